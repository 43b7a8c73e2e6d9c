"""Verification engine (家庭经济状况核对): partner data sources and their versioned batches,
verification requests with the members' authorisation letters, reports and their review (复议).

The rows of a batch are not database rows: an accepted batch is an immutable Parquet file under
``MINZHENG_VAR_DIR/sources/`` (sorted by the ID number's blind index, the ID number SM4-encrypted,
see :mod:`.store`), read by DuckDB for single and batch verification and by the monitoring engine.
The database keeps what people and other tables refer to: the source, each batch's version and
figures, requests, authorisations, reports.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from minzheng.foundation.accounts.scoping import ScopedQuerySet
from minzheng.foundation.files.models import StoredFile
from minzheng.foundation.registry.models import Household, Person


class DataSource(models.Model):
    """One kind of partner data (死亡登记, 车辆登记 …) with its declared schema.

    ``columns``: ``[{"name", "label", "type", "required", "sensitive", "choices"}]`` where type is
    one of ``id_number``, ``string``, ``date``, ``decimal``, ``integer``, ``boolean``,
    ``region_code``, ``choice``; ``id_column`` names the column holding the resident ID number.
    Seeded by the business line that uses it (``assistance``); owner and freshness are editable.
    """

    code = models.CharField("代码", max_length=30, primary_key=True)
    name = models.CharField("名称", max_length=60)
    department = models.CharField("提供部门", max_length=60)
    owner = models.CharField("数据责任人", max_length=100, blank=True, default="")
    description = models.TextField("说明", blank=True, default="")
    columns = models.JSONField("字段", default=list)
    id_column = models.CharField("身份证号字段", max_length=40)
    freshness_days = models.PositiveIntegerField("更新周期（天）", default=30)
    internal = models.BooleanField("平台内部数据", default=False)
    enabled = models.BooleanField("启用", default=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "数据源"
        ordering = ["sort", "code"]

    def __str__(self):
        return f"{self.department}·{self.name}"


class BatchState(models.TextChoices):
    ACCEPTED = "accepted", "已接收"
    REFUSED = "refused", "已拒收"


class BatchChannel(models.TextChoices):
    UPLOAD = "upload", "工作台上传"
    CLI = "cli", "命令行"
    API = "api", "部门接口推送"
    INTERNAL = "internal", "平台内部"


class SourceBatch(models.Model):
    """One load of a source: a full snapshot of what the partner holds as of ``as_of``. Accepted
    batches get consecutive versions per source; the latest accepted one is the source's current
    data. A refused batch keeps its row-by-row errors and no data."""

    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="batches", verbose_name="数据源")
    version = models.PositiveIntegerField("版本", null=True, blank=True)  # set when accepted
    state = models.CharField("状态", max_length=10, choices=BatchState.choices)
    channel = models.CharField("方式", max_length=10, choices=BatchChannel.choices)
    file_name = models.CharField("文件名", max_length=255, blank=True, default="")
    file_sha256 = models.CharField("文件 SHA-256", max_length=64, blank=True, default="")
    as_of = models.DateField("数据日期", null=True, blank=True)
    rows = models.PositiveIntegerField("行数", default=0)
    persons = models.PositiveIntegerField("人数", default=0)
    matched = models.PositiveIntegerField("匹配到本平台人员", default=0)
    errors = models.JSONField("错误", default=list, blank=True)  # [{"row", "column", "message"}], capped
    error_count = models.PositiveIntegerField("错误行数", default=0)
    path = models.CharField("存储路径", max_length=255, blank=True, default="")  # relative to VAR_DIR
    seconds = models.FloatField("耗时（秒）", default=0)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="提交人",
    )
    loaded_at = models.DateTimeField("提交时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "数据批次"
        ordering = ["-loaded_at"]
        constraints = [models.UniqueConstraint(fields=["source", "version"], name="sourcebatch_version_unique")]
        indexes = [models.Index(fields=["source", "state", "version"], name="sourcebatch_current")]

    def __str__(self):
        return f"{self.source_id} v{self.version or '-'}"


class RequestState(models.TextChoices):
    REQUESTED = "requested", "待核对"
    REPORTED = "reported", "已出报告"
    APPEALED = "appealed", "复议中"
    CANCELLED = "cancelled", "已撤回"


class VerificationRequest(models.Model):
    """A 核对需求: one household, the members covered (each with an :class:`Authorization`), the
    sources to query and, where there is one, the case that asked (its number)."""

    number = models.CharField("核对编号", max_length=30)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+", verbose_name="家庭")
    region_code = models.CharField("所在区划代码", max_length=12)
    office_code = models.CharField("申请单位区划", max_length=12)
    case_number = models.CharField("关联办件", max_length=40, blank=True, default="")
    purpose = models.CharField("核对事由", max_length=100, blank=True, default="")
    sources = models.JSONField("核对项目", default=list)  # DataSource codes
    state = models.CharField("状态", max_length=10, choices=RequestState.choices, default=RequestState.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="申请人",
    )
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    due = models.DateField("应办结日期", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "核对申请"
        ordering = ["-requested_at"]
        constraints = [models.UniqueConstraint(fields=["number"], name="verificationrequest_number_unique")]
        indexes = [models.Index(fields=["region_code", "state"], name="verificationrequest_region")]

    def __str__(self):
        return self.number


class SignerRole(models.TextChoices):
    SELF = "self", "本人"
    GUARDIAN = "guardian", "监护人"
    HEIR = "heir", "继承人"
    # signed online by someone else for the member, who did not confirm it: the member's own signed
    # paper 授权书 is required before the case is accepted, and only that paper counts for a 核对申请
    PROXY = "proxy", "代为签署"


class Authorization(models.Model):
    """The 授权书 of one person covered by a request, signed by the person, a guardian or an heir."""

    request = models.ForeignKey(
        VerificationRequest, on_delete=models.CASCADE, related_name="authorizations", verbose_name="核对申请"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name="被核对人")
    signer_name = models.CharField("签署人", max_length=50)
    signer_role = models.CharField("签署身份", max_length=10, choices=SignerRole.choices, default=SignerRole.SELF)
    scope = models.JSONField("授权范围", default=list)  # DataSource codes; empty = all requested
    file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="+", verbose_name="授权书文件")
    signed_at = models.DateField("签署日期")
    expires_at = models.DateField("有效期至", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "授权书"
        constraints = [models.UniqueConstraint(fields=["request", "person"], name="authorization_unique")]

    def __str__(self):
        return f"{self.request_id}:{self.person_id}"


class VerificationReport(models.Model):
    """A 核对报告: per member and source what was found, the family summary against the standards,
    the batch of each source it read (``batches``: {source code: batch id}). A corrected report after
    a 复议 is a new version of the same request; the earlier stays."""

    request = models.ForeignKey(
        VerificationRequest, on_delete=models.PROTECT, related_name="reports", verbose_name="核对申请"
    )
    number = models.CharField("报告编号", max_length=30)
    version = models.PositiveSmallIntegerField("版本", default=1)
    region_code = models.CharField("所在区划代码", max_length=12)
    batches = models.JSONField("所用数据批次", default=dict)
    findings = models.JSONField("核对结果", default=list)
    summary = models.JSONField("汇总", default=dict)
    document = models.ForeignKey(
        StoredFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="报告文件"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="出具人",
    )
    issued_at = models.DateTimeField("出具时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "核对报告"
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="verificationreport_number_unique"),
            models.UniqueConstraint(fields=["request", "version"], name="verificationreport_version_unique"),
        ]

    def __str__(self):
        return self.number


class AppealState(models.TextChoices):
    OPEN = "open", "复议中"
    UPHELD = "upheld", "维持原报告"
    CORRECTED = "corrected", "更正报告"


class ReportAppeal(models.Model):
    """A 复议 of a report: the grounds, and the decision — upheld, or a corrected report version."""

    report = models.ForeignKey(
        VerificationReport, on_delete=models.PROTECT, related_name="appeals", verbose_name="核对报告"
    )
    grounds = models.TextField("复议理由")
    filed_by_name = models.CharField("申请人", max_length=50)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="登记人",
    )
    filed_at = models.DateTimeField("申请时间", auto_now_add=True)
    state = models.CharField("状态", max_length=10, choices=AppealState.choices, default=AppealState.OPEN)
    decision = models.TextField("复议意见", blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="决定人",
    )
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    corrected_report = models.ForeignKey(
        VerificationReport,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="更正后的报告",
    )

    class Meta:
        verbose_name = verbose_name_plural = "核对报告复议"
        ordering = ["-filed_at"]

    def __str__(self):
        return f"{self.report_id} 复议"
