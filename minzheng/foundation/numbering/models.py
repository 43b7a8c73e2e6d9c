from django.db import models


class Sequence(models.Model):
    """A named counter (e.g. households of one township, cases of one county and year)."""

    key = models.CharField(max_length=60, primary_key=True)
    last = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "编号序列"

    def __str__(self):
        return f"{self.key}={self.last}"


class IssuedNumber(models.Model):
    """One number given out of a series to one subject, kept so that it is given once: a 文号
    (series = issuing office × document word × year) to one document of one decision. The table
    guarantees what the counter promises: no serial twice in a series, no subject numbered twice."""

    series = models.CharField("序列", max_length=60)
    serial = models.BigIntegerField("序号")
    subject = models.CharField("编号对象", max_length=120, unique=True)
    text = models.CharField("编号", max_length=60)
    issued_at = models.DateTimeField("编号时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "已发编号"
        constraints = [models.UniqueConstraint(fields=["series", "serial"], name="issued_number_series_serial")]

    def __str__(self):
        return self.text
