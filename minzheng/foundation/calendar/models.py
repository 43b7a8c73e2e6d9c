"""Locally entered holiday notices (国务院办公厅关于XXXX年部分节假日安排的通知).

The ``chinese-calendar`` package carries the national calendar for the years it was built with;
a year entered here replaces the package for that whole year, so an administrator can enter next
year's notice as soon as it is published, or correct a year, without waiting for a release.
"""

from django.conf import settings
from django.db import models


class CalendarYear(models.Model):
    """One year's notice as entered locally; its days are authoritative for the whole year."""

    year = models.PositiveSmallIntegerField("年份", primary_key=True)
    source = models.CharField("依据文件", max_length=200, help_text="如 国办发明电〔2026〕X号")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_at = models.DateTimeField("录入时间")

    class Meta:
        verbose_name = verbose_name_plural = "节假日安排（年度）"
        ordering = ["-year"]

    def __str__(self):
        return f"{self.year}年 {self.source}"


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", "放假"
    WORKDAY = "workday", "调休上班"


class CalendarDay(models.Model):
    """A day that differs from the plain week: a holiday (放假) or a make-up workday (调休上班)."""

    year = models.ForeignKey(CalendarYear, verbose_name="年份", on_delete=models.CASCADE, related_name="days")
    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=10, choices=DayKind.choices)
    name = models.CharField("名称", max_length=50, help_text="如 春节、国庆节调休")

    class Meta:
        verbose_name = verbose_name_plural = "节假日与调休日"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}"
