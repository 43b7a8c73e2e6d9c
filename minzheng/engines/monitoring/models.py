"""Monitoring engine (低收入人口动态监测预警): rules, the alerts they raise, how each alert is
handled, and hardship reports (一键报贫) that become alerts.

A rule is configuration: which registered detector it runs (:mod:`.detectors`), the sources it
reads, its severity, the handling it suggests, how often it runs, whether it is on. Thresholds are
time-versioned standards per region (the benefits engine's ``Standard`` rows). An alert is unique
per rule × subject × evidence (``evidence_key``): while the same evidence stands, a re-run raises
nothing new.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from minzheng.foundation.accounts.scoping import ScopedQuerySet
from minzheng.foundation.crypto.fields import EncryptedTextField
from minzheng.foundation.files.models import StoredFile
from minzheng.foundation.registry.models import Household, Person


class Severity(models.TextChoices):
    HIGH = "high", "高"
    MEDIUM = "medium", "中"
    LOW = "low", "低"


class Handling(models.TextChoices):
    """The four ways of the 2023 意见 §三(四)."""

    DELIVER = "deliver", "落实政策"
    REFER = "refer", "转办推送"
    COORDINATE = "coordinate", "一事一议"
    RECHECK = "recheck", "复核认定"


class Cadence(models.TextChoices):
    DAILY = "daily", "每日"
    WEEKLY = "weekly", "每周"
    MONTHLY = "monthly", "每月"
    QUARTERLY = "quarterly", "每季度"


class MonitoringRule(models.Model):
    code = models.CharField("规则代码", max_length=40, primary_key=True)
    name = models.CharField("名称", max_length=60)
    description = models.TextField("说明")
    detector = models.CharField("检测器", max_length=60)  # a name registered in .detectors
    sources = models.JSONField("读取数据", default=list)  # DataSource codes and/or platform tables
    severity = models.CharField("预警等级", max_length=6, choices=Severity.choices, default=Severity.MEDIUM)
    handling = models.CharField("建议处置", max_length=10, choices=Handling.choices)
    advice = models.CharField("处置提示", max_length=200, blank=True, default="")
    cadence = models.CharField("运行周期", max_length=10, choices=Cadence.choices, default=Cadence.DAILY)
    due_days = models.PositiveSmallIntegerField("处置时限（工作日）", default=10)
    enabled = models.BooleanField("启用", default=True)
    discovery = models.BooleanField("主动发现", default=False)  # subjects are people on no roll
    params = models.JSONField("参数", default=dict, blank=True)  # non-numeric settings, e.g. program codes
    sort = models.PositiveSmallIntegerField(default=0)
    last_run_at = models.DateTimeField("上次运行", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "监测规则"
        ordering = ["sort", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class AlertState(models.TextChoices):
    OPEN = "open", "待处置"
    HANDLING = "handling", "处置中"
    CLOSED = "closed", "已办结"


class Alert(models.Model):
    """One finding for one household (or, for people known only from partner data, one person by
    the blind index of their ID number), assigned to the township (``office_code``)."""

    number = models.CharField("预警编号", max_length=30)
    rule = models.ForeignKey(MonitoringRule, on_delete=models.PROTECT, related_name="alerts", verbose_name="规则")
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="家庭"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="人员"
    )
    subject_key = models.CharField("对象标识", max_length=70)  # "h:<household id>" or "p:<id blind index>"
    subject_name = models.CharField("对象姓名", max_length=50, blank=True, default="")
    subject_masked = models.CharField("身份证号（脱敏）", max_length=18, blank=True, default="")
    region_code = models.CharField("所在区划代码", max_length=12)
    office_code = models.CharField("承办乡镇（街道）", max_length=12)
    evidence = models.JSONField("依据", default=dict)
    evidence_key = models.CharField("依据指纹", max_length=64)
    severity = models.CharField("预警等级", max_length=6, choices=Severity.choices)
    state = models.CharField("状态", max_length=10, choices=AlertState.choices, default=AlertState.OPEN)
    raised_at = models.DateTimeField("预警时间", auto_now_add=True)
    due = models.DateField("处置期限", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "预警"
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="alert_number_unique"),
            models.UniqueConstraint(fields=["rule", "subject_key", "evidence_key"], name="alert_evidence_unique"),
        ]
        indexes = [
            models.Index(fields=["office_code", "state", "due"], name="alert_office_open"),
            models.Index(fields=["household", "raised_at"], name="alert_household"),
        ]

    def __str__(self):
        return self.number


class AlertHandling(models.Model):
    """One step taken on an alert: the way (four ways), what was done, the department referred to
    and its answer, the case opened; ``closes`` ends the alert."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="handlings", verbose_name="预警")
    way = models.CharField("处置方式", max_length=10, choices=Handling.choices)
    note = models.TextField("处置情况")
    department = models.CharField("转办部门", max_length=60, blank=True, default="")
    answer = models.TextField("部门反馈", blank=True, default="")
    case_number = models.CharField("关联办件", max_length=40, blank=True, default="")
    closes = models.BooleanField("办结", default=False)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="处置人",
    )
    handled_at = models.DateTimeField("处置时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "预警处置"
        ordering = ["handled_at", "pk"]

    def __str__(self):
        return f"{self.alert_id} {self.way}"


class ReportChannel(models.TextChoices):
    PORTAL = "portal", "网上大厅"
    HOTLINE = "hotline", "12345热线"
    WORKBENCH = "workbench", "工作人员登记"
    GRID = "grid", "网格员"


class HardshipReport(models.Model):
    """一键报贫: anyone reports a family in difficulty; it becomes an alert for the township with
    a deadline, and the reporter (unless anonymous) gets a reference number and a reply."""

    number = models.CharField("受理编号", max_length=30)
    channel = models.CharField("来源", max_length=10, choices=ReportChannel.choices)
    anonymous = models.BooleanField("匿名", default=False)
    reporter_name = models.CharField("报告人", max_length=50, blank=True, default="")
    reporter_phone = EncryptedTextField("报告人电话", blank=True, default="")
    reporter_phone_masked = models.CharField("报告人电话（脱敏）", max_length=20, blank=True, default="")
    for_self = models.BooleanField("为本人报告", default=False)
    subject_name = models.CharField("困难对象姓名", max_length=50, blank=True, default="")
    description = models.TextField("困难情况")
    region_code = models.CharField("所在区划代码", max_length=12)
    address = models.CharField("详细地址", max_length=200, blank=True, default="")
    photo = models.ForeignKey(
        StoredFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="照片"
    )
    alert = models.OneToOneField(
        Alert, null=True, blank=True, on_delete=models.PROTECT, related_name="hardship_report", verbose_name="预警"
    )
    reply = models.TextField("答复", blank=True, default="")
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    # the reporter's 查询码, kept only as its blind index (HMAC-SM3); "" = none issued (reports made
    # before issue 14: the township issues one on request)
    access_code_hash = models.CharField("查询码摘要", max_length=64, blank=True, default="", editable=False)
    created_at = models.DateTimeField("报告时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "困难报告"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="hardshipreport_number_unique"),
            models.UniqueConstraint(
                fields=["access_code_hash"], condition=~models.Q(access_code_hash=""), name="hardshipreport_code_unique"
            ),
        ]
        indexes = [models.Index(fields=["region_code", "created_at"], name="hardship_region")]

    def __str__(self):
        return self.number
