from django.db import models


class Sequence(models.Model):
    """A named counter (e.g. households of one township, cases of one county and year)."""

    key = models.CharField(max_length=60, primary_key=True)
    last = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "编号序列"

    def __str__(self):
        return f"{self.key}={self.last}"
