"""Case engine: service items (事项) as versioned case types, cases (办件) with a current-status
pointer over append-only status rows, tasks (待办) in the inbox of the role and region that must
act, materials, public notices with objections, generated documents, and per-region delegation.

The engine knows no business line by name: business lines publish case-type definitions
(:mod:`.definition`) and register the guards, effects, forms and documents they name
(:mod:`.hooks`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from minzheng.foundation.accounts.scoping import ScopedQuerySet
from minzheng.foundation.registry.models import Household, Person


class CaseType(models.Model):
    code = models.CharField("事项代码", max_length=40, primary_key=True)
    name = models.CharField("事项名称", max_length=60)
    category = models.CharField("类别", max_length=30, blank=True, default="")
    number_prefix = models.CharField("编号前缀", max_length=4)
    published = models.ForeignKey(
        "CaseTypeVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="现行版本"
    )
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "事项"
        ordering = ["sort", "code"]

    def __str__(self):
        return self.name


class VersionState(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    RETIRED = "retired", "已停用"


class CaseTypeVersion(models.Model):
    """One version of a case type. Published versions are never edited: a change is a new version,
    and running cases keep the version they were opened under."""

    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, related_name="versions", verbose_name="事项")
    version = models.PositiveIntegerField("版本号")
    state = models.CharField("状态", max_length=10, choices=VersionState.choices, default=VersionState.DRAFT)
    definition = models.JSONField("定义")
    note = models.CharField("修订说明", max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "事项版本"
        constraints = [models.UniqueConstraint(fields=["case_type", "version"], name="case_type_version_unique")]

    def __str__(self):
        return f"{self.case_type_id} v{self.version}"

    @property
    def spec(self):
        from .definition import Definition

        cache = self.__dict__.get("_spec")
        if cache is None:
            cache = self.__dict__["_spec"] = Definition.model_validate(self.definition)
        return cache


class Delegation(models.Model):
    """The county delegates the decision of a case type to its townships (暂行办法第四十八条;
    审核确认办法 第二十条), from a date; the most specific region wins, a row with
    ``delegated=False`` under a delegating county takes one township back."""

    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, related_name="+", verbose_name="事项")
    region_code = models.CharField("区划代码", max_length=12)
    delegated = models.BooleanField("委托乡镇审核确认", default=True)
    effective_from = models.DateField("起始日期")
    document = models.CharField("依据文件", max_length=200, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "审批权限委托"
        constraints = [
            models.UniqueConstraint(fields=["case_type", "region_code", "effective_from"], name="delegation_unique")
        ]

    def __str__(self):
        return f"{self.case_type_id}@{self.region_code} {self.effective_from}"


class Channel(models.TextChoices):
    WINDOW = "window", "窗口受理"
    PORTAL = "portal", "网上申请"
    ASSISTED = "assisted", "代办"
    OFFICE = "office", "依职权发起"


class Case(models.Model):
    number = models.CharField("办件编号", max_length=30, unique=True)
    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, related_name="cases", verbose_name="事项")
    version = models.ForeignKey(CaseTypeVersion, on_delete=models.PROTECT, related_name="+", verbose_name="事项版本")
    applicant = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="申请人"
    )
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="家庭"
    )
    region_code = models.CharField("所在区划代码", max_length=12)
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices, default=Channel.WINDOW)
    step = models.CharField("当前环节", max_length=30)
    status = models.ForeignKey(
        "CaseStatus", null=True, on_delete=models.PROTECT, related_name="+", verbose_name="当前状态记录"
    )
    outcome = models.CharField("办理结果", max_length=15, blank=True, default="")
    opened_at = models.DateTimeField("申请时间")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    accepted_on = models.DateField("受理日期", null=True, blank=True)
    due_date = models.DateField("办结期限", null=True, blank=True)
    extended = models.BooleanField("已延期", default=False)
    delegated = models.BooleanField("委托乡镇审核确认", default=False)
    suspended_since = models.DateField("挂起日期", null=True, blank=True)
    suspended_days = models.PositiveIntegerField("累计挂起工作日", default=0)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    data = models.JSONField("办理数据", default=dict, blank=True)  # forms of each action, assessment, links

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "办件"
        indexes = [
            models.Index(fields=["region_code", "opened_at"], name="case_region_opened"),
            models.Index(fields=["household"], name="case_household"),
        ]

    def __str__(self):
        return self.number

    @property
    def spec(self):
        return self.version.spec

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


class CaseStatus(models.Model):
    """One status change of a case, never edited: who, when, which action, from which step to which,
    the opinion (意见), the action's form data and attachments."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="history", verbose_name="办件")
    seq = models.PositiveIntegerField("序号")
    action = models.CharField("动作", max_length=30)
    action_name = models.CharField("动作名称", max_length=30)
    from_step = models.CharField("原环节", max_length=30, blank=True, default="")
    to_step = models.CharField("新环节", max_length=30)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField("办理人", max_length=150, blank=True, default="")
    actor_role = models.CharField("办理角色", max_length=30, blank=True, default="")
    at = models.DateTimeField("时间")
    opinion = models.TextField("意见", blank=True, default="")
    data = models.JSONField("数据", default=dict, blank=True)
    attachments = models.ManyToManyField("files.StoredFile", blank=True, related_name="+", verbose_name="附件")

    class Meta:
        verbose_name = verbose_name_plural = "办件状态记录"
        ordering = ["case_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="case_status_seq_unique")]

    def __str__(self):
        return f"{self.case_id}#{self.seq} {self.action_name}"


class TaskState(models.TextChoices):
    OPEN = "open", "待办"
    DONE = "done", "已办"
    CANCELLED = "cancelled", "已取消"


class TaskQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state=TaskState.OPEN)


class Task(models.Model):
    """The work one step of one case asks of a role in one office (待办)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks", verbose_name="办件")
    step = models.CharField("环节", max_length=30)
    step_name = models.CharField("环节名称", max_length=30)
    role = models.CharField("办理角色", max_length=30)
    region_code = models.CharField("办理机构区划", max_length=12)  # the office: county 330381000000 …
    state = models.CharField("状态", max_length=10, choices=TaskState.choices, default=TaskState.OPEN)
    created_at = models.DateTimeField("创建时间")
    start_date = models.DateField("起算日期")
    due_date = models.DateField("办理期限", null=True, blank=True)
    not_before = models.DateField("可办理日期", null=True, blank=True)  # e.g. the end of a public notice
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "待办"
        indexes = [
            # the inbox: open tasks of a role under a region prefix, by deadline
            models.Index(
                fields=["role", "region_code", "due_date"], name="task_inbox", condition=models.Q(state="open")
            ),
            # the first page of a large inbox (county, city, superuser): walk open tasks by deadline and stop at
            # the 50th in the user's ranges instead of sorting all of them (docs/benchmarks.md §7)
            models.Index(fields=["due_date", "id"], name="task_open_due", condition=models.Q(state="open")),
            models.Index(fields=["case", "state"], name="task_case"),
        ]

    def __str__(self):
        return f"{self.case_id}:{self.step_name}"


class Material(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials", verbose_name="办件")
    code = models.CharField("材料类型", max_length=40)
    name = models.CharField("材料名称", max_length=60)
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+", verbose_name="文件")
    step = models.CharField("提交环节", max_length=30)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    note = models.CharField("说明", max_length=200, blank=True, default="")
    # whose material it is, when it is one person's (a member's own signed 授权书)
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="所属成员"
    )

    class Meta:
        verbose_name = verbose_name_plural = "申请材料"

    def __str__(self):
        return f"{self.case_id}:{self.name}"


class NoticeState(models.TextChoices):
    OPEN = "open", "公示中"
    ENDED = "ended", "已结束"
    WITHDRAWN = "withdrawn", "已撤回"


class PublicNoticeQuerySet(ScopedQuerySet):
    def showing(self, on):
        return self.filter(state=NoticeState.OPEN, start_date__lte=on, end_date__gte=on)


class PublicNotice(models.Model):
    """公示 in the applicant's village or community: period [start_date, end_date] in calendar days
    from the day after posting; the content shows only what the case type allows, names masked."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notices", verbose_name="办件")
    region_code = models.CharField("公示区划", max_length=12)
    title = models.CharField("标题", max_length=100)
    content = models.JSONField("公示内容")  # {"name": "张*华", "persons": 3, "amount": "1,127.00", …}
    posted_on = models.DateField("发布日期")
    start_date = models.DateField("公示开始")
    end_date = models.DateField("公示截止")
    state = models.CharField("状态", max_length=10, choices=NoticeState.choices, default=NoticeState.OPEN)

    objects = PublicNoticeQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "公示"
        indexes = [models.Index(fields=["region_code", "end_date"], name="notice_region_end")]

    def __str__(self):
        return f"{self.title}（{self.start_date}—{self.end_date}）"


class ObjectionState(models.TextChoices):
    OPEN = "open", "待处理"
    RESOLVED = "resolved", "已处理"


class Objection(models.Model):
    notice = models.ForeignKey(PublicNotice, on_delete=models.PROTECT, related_name="objections", verbose_name="公示")
    content = models.TextField("异议内容")
    name = models.CharField("异议人", max_length=50, blank=True, default="")  # may be anonymous
    phone_masked = models.CharField("联系电话（脱敏）", max_length=20, blank=True, default="")
    channel = models.CharField("渠道", max_length=10, default="window")
    filed_at = models.DateTimeField("提出时间")
    state = models.CharField("状态", max_length=10, choices=ObjectionState.choices, default=ObjectionState.OPEN)
    resolution = models.TextField("处理结果", blank=True, default="")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "公示异议"

    def __str__(self):
        return f"异议#{self.pk}"


class CaseDocument(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents", verbose_name="办件")
    kind = models.CharField("文书类型", max_length=40)
    title = models.CharField("文书名称", max_length=60)
    number = models.CharField("文号", max_length=60, blank=True, default="")
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+", verbose_name="文件")
    status = models.ForeignKey(CaseStatus, null=True, on_delete=models.PROTECT, related_name="documents")
    created_at = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "办件文书"

    def __str__(self):
        return f"{self.case_id}:{self.title}"
