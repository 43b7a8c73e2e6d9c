"""Benefits engine: programs, enrollments with an append-only history, periodic reviews, monthly
payment cycles with their entitlements, and the funds ledger.

The engine knows no business line by name: a business line (e.g. ``assistance``) registers its
programs, the standard types it reads (:mod:`minzheng.foundation.parameters.standards`) and each
program's per-person line (:mod:`.standards`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from minzheng.foundation.accounts.scoping import ScopedQuerySet
from minzheng.foundation.crypto.fields import EncryptedTextField
from minzheng.foundation.registry.models import Household, HukouType, Person


class Program(models.Model):
    """A benefit program (低保, 特困 …). Seeded by the business line that owns it."""

    code = models.CharField("代码", max_length=30, primary_key=True)
    name = models.CharField("名称", max_length=60)
    short_name = models.CharField("简称", max_length=20)
    pays_monthly = models.BooleanField("按月发放", default=True)
    number_prefix = models.CharField("发放摘要前缀", max_length=4, default="")
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "保障项目"
        ordering = ["sort", "code"]

    def __str__(self):
        return self.name


class EnrollmentState(models.TextChoices):
    ACTIVE = "active", "在保"
    SUSPENDED = "suspended", "暂停"
    PHASE_OUT = "phase_out", "渐退期"
    EXITED = "exited", "已退出"


PAYABLE_STATES = (EnrollmentState.ACTIVE, EnrollmentState.PHASE_OUT)


class ReviewClass(models.TextChoices):
    A = "A", "A类（每年）"
    B = "B", "B类（每年）"
    C = "C", "C类（城市每季、农村每半年）"


class Enrollment(models.Model):
    """A household (or, for 特困 and 单人户, one person) on a program's roll.

    ``state``, ``monthly_amount`` and ``last_event`` point at the latest :class:`EnrollmentEvent`;
    the events are the history, each effective from the first day of a month, and the payroll
    reads them (the state in force in the paid month), not the pointer.
    """

    number = models.CharField("保障编号", max_length=30)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+", verbose_name="保障项目")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+", verbose_name="家庭")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="保障对象（单人）"
    )
    region_code = models.CharField("所在区划代码", max_length=12)
    hukou_type = models.CharField("户籍类型", max_length=5, choices=HukouType.choices)
    classification = models.CharField("认定类别", max_length=30, blank=True, default="")
    mode = models.CharField("供养方式", max_length=20, blank=True, default="")
    state = models.CharField("状态", max_length=10, choices=EnrollmentState.choices)
    monthly_amount = models.DecimalField("月保障金额", max_digits=12, decimal_places=2)
    persons_covered = models.PositiveSmallIntegerField("保障人数")
    components = models.JSONField("金额构成", default=list, blank=True)
    start_month = models.DateField("起始月份")
    end_month = models.DateField("退出月份", null=True, blank=True)
    phase_out_until = models.DateField("渐退期截止", null=True, blank=True)
    review_class = models.CharField("复核类别", max_length=1, choices=ReviewClass.choices, default=ReviewClass.B)
    next_review = models.DateField("下次复核日期", null=True, blank=True)
    predecessor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="successors", verbose_name="接续自"
    )
    source_case = models.CharField("来源办件", max_length=40, blank=True, default="")
    assessment = models.JSONField("认定测算", default=dict, blank=True)
    last_event = models.ForeignKey("EnrollmentEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "保障对象"
        constraints = [models.UniqueConstraint(fields=["number"], name="enrollment_number_unique")]
        indexes = [
            models.Index(fields=["program", "region_code"], name="enrollment_program_region"),
            models.Index(fields=["region_code", "next_review"], name="enrollment_review_due"),
            models.Index(fields=["household", "program"], name="enrollment_household"),
        ]

    def __str__(self):
        return self.number


class EventKind(models.TextChoices):
    ENROL = "enrol", "纳入"
    AMOUNT = "amount", "调整金额"
    SUSPEND = "suspend", "暂停"
    RESUME = "resume", "恢复"
    PHASE_OUT = "phase_out", "进入渐退期"
    EXIT = "exit", "退出"
    REVIEW = "review", "复核"
    MEMBER = "member", "成员变更"
    TRANSFER_OUT = "transfer_out", "转出（接续）"
    TRANSFER_IN = "transfer_in", "转入（接续）"


class EnrollmentEvent(models.Model):
    """One dated change of an enrollment: the state, amount and breakdown in force from
    ``effective_month`` (first day of a month). Append-only."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("变动类型", max_length=14, choices=EventKind.choices)
    state = models.CharField("变动后状态", max_length=10, choices=EnrollmentState.choices)
    monthly_amount = models.DecimalField("变动后月金额", max_digits=12, decimal_places=2)
    persons_covered = models.PositiveSmallIntegerField("变动后保障人数")
    components = models.JSONField("金额构成", default=list, blank=True)
    effective_month = models.DateField("生效月份")
    reason = models.CharField("原因代码", max_length=30, blank=True, default="")
    note = models.CharField("说明", max_length=300, blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "保障变动记录"
        indexes = [models.Index(fields=["enrollment", "effective_month"], name="event_enrollment_month")]
        ordering = ["enrollment_id", "effective_month", "id"]

    def __str__(self):
        return f"{self.enrollment_id}:{self.kind}@{self.effective_month}"


class ReviewOutcome(models.TextChoices):
    UNCHANGED = "unchanged", "维持不变"
    AMOUNT_CHANGED = "amount_changed", "调整金额"
    PHASE_OUT = "phase_out", "进入渐退期"
    EXIT = "exit", "退出"


class Review(models.Model):
    """A periodic review (定期复核) of an enrollment and its outcome."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="reviews")
    region_code = models.CharField(max_length=12)
    due_date = models.DateField("应复核日期", null=True, blank=True)
    reviewed_on = models.DateField("复核日期")
    outcome = models.CharField("复核结论", max_length=16, choices=ReviewOutcome.choices)
    new_amount = models.DecimalField("新月金额", max_digits=12, decimal_places=2, null=True, blank=True)
    review_class = models.CharField("复核类别", max_length=1, choices=ReviewClass.choices)
    note = models.CharField("复核意见", max_length=300, blank=True, default="")
    event = models.ForeignKey(EnrollmentEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "定期复核"

    def __str__(self):
        return f"{self.enrollment_id}@{self.reviewed_on}"


class CycleState(models.TextChoices):
    DRAFT = "draft", "草稿"
    CALCULATED = "calculated", "已计算"
    APPROVED = "approved", "已审批"
    EXPORTED = "exported", "已导出"
    RECONCILED = "reconciled", "已对账"


class PaymentCycle(models.Model):
    """The monthly payment of one program in one region (发放批次). Frozen once approved."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+", verbose_name="保障项目")
    month = models.DateField("发放月份")
    region_code = models.CharField("发放区划", max_length=12)
    state = models.CharField("状态", max_length=10, choices=CycleState.choices, default=CycleState.DRAFT)
    lines = models.PositiveIntegerField("笔数", default=0)
    persons = models.PositiveIntegerField("人数", default=0)
    total = models.DecimalField("金额合计", max_digits=16, decimal_places=2, default=0)
    calculated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    calculated_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    bank_format = models.CharField("银行文件格式", max_length=30, blank=True, default="")
    # every layout a bank file of this cycle was exported in: a result file may come back in any
    bank_formats = models.JSONField("已导出的银行文件格式", default=list, blank=True)
    held_lines = models.PositiveIntegerField("暂缓发放笔数", default=0)
    held_total = models.DecimalField("暂缓发放金额", max_digits=16, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "发放批次"
        constraints = [
            models.UniqueConstraint(fields=["program", "month", "region_code"], name="cycle_program_month_region")
        ]

    def __str__(self):
        return f"{self.program_id}-{self.month:%Y-%m}-{self.region_code}"


class CycleEvent(models.Model):
    """Every state change of a payment cycle (append-only)."""

    cycle = models.ForeignKey(PaymentCycle, on_delete=models.PROTECT, related_name="events")
    state = models.CharField(max_length=10, choices=CycleState.choices)
    note = models.CharField(max_length=300, blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "发放批次记录"

    def __str__(self):
        return f"{self.cycle_id}→{self.state}"


class LineStatus(models.TextChoices):
    PENDING = "pending", "待发放"
    PAID = "paid", "已到账"
    FAILED = "failed", "失败"
    HELD = "held", "暂缓发放"  # a hold check found a reason not to pay (see ``holds.py``); never exported


class Entitlement(models.Model):
    """One payment line of a cycle: the amount of one enrollment for the month, its breakdown, and
    a snapshot of the payee and bank account as they were when calculated (ciphertext copied, never
    decrypted by the calculation)."""

    # The payroll inserts a million of these in one statement, so every index counts: none of
    # their own on ``cycle`` and ``enrollment`` (the two unique constraints below lead with them),
    # and no per-row foreign-key check at all. ``enrollment`` and ``household``: the rows come
    # from a join over those very tables, which are never deleted (PROTECT). ``cycle``: every line
    # is written by the statement that takes its id from the cycle row it holds locked FOR UPDATE,
    # and the check PostgreSQL would run at commit (a lookup and a KEY SHARE lock of that one row,
    # per line) was 4.7 of 18.8 s of a million-line calculation; Django still cascades deletes.
    cycle = models.ForeignKey(
        PaymentCycle, on_delete=models.CASCADE, related_name="entitlements", db_constraint=False, db_index=False
    )
    line_no = models.PositiveIntegerField("序号")
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    region_code = models.CharField(max_length=12)
    hukou_type = models.CharField(max_length=5, choices=HukouType.choices)
    state = models.CharField("保障状态", max_length=10, choices=EnrollmentState.choices)
    persons_covered = models.PositiveSmallIntegerField("保障人数")
    amount = models.DecimalField("金额", max_digits=12, decimal_places=2)
    components = models.JSONField("金额构成", default=list, blank=True)
    payee_name = models.CharField("收款人", max_length=50)
    payee_id_number = EncryptedTextField("收款人身份证号")
    payee_id_number_masked = models.CharField(max_length=18)
    bank_name = models.CharField("开户银行", max_length=60, blank=True, default="")
    bank_account = EncryptedTextField("银行账号", blank=True, default="")
    bank_account_masked = models.CharField(max_length=40, blank=True, default="")
    status = models.CharField("发放结果", max_length=8, choices=LineStatus.choices, default=LineStatus.PENDING)
    failure_reason = models.CharField("失败原因", max_length=200, blank=True, default="")
    reissues = models.PositiveSmallIntegerField("补发次数", default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "发放明细"
        constraints = [
            # enrollment first: the same index finds an enrollment's payments across cycles
            models.UniqueConstraint(fields=["enrollment", "cycle"], name="entitlement_once_per_cycle"),
            models.UniqueConstraint(fields=["cycle", "line_no"], name="entitlement_line_unique"),
        ]

    def __str__(self):
        return f"{self.cycle_id}#{self.line_no}"


class EntitlementHold(models.Model):
    """Why a line of a cycle is held (暂缓发放): one row per hold check × subject (e.g. a person
    recorded dead) × enrollment, written by the calculation from the checks business lines register
    (:mod:`.holds`). Keyed by enrollment, not by line, so a release survives a recalculation; a
    release is an explicit act of a finance user with a reason, before approval, and audited."""

    cycle = models.ForeignKey(PaymentCycle, on_delete=models.CASCADE, related_name="holds")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="+")
    rule = models.CharField("核查规则", max_length=50)
    subject = models.CharField("核查对象", max_length=70)  # stable key within the check, e.g. "p:<person id>"
    reason = models.CharField("暂缓原因", max_length=300)
    created_at = models.DateTimeField("发现时间", auto_now_add=True)
    released_at = models.DateTimeField("解除时间", null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    release_reason = models.CharField("解除理由", max_length=300, blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "暂缓发放"
        constraints = [
            models.UniqueConstraint(fields=["cycle", "enrollment", "rule", "subject"], name="hold_once_per_subject")
        ]

    def __str__(self):
        return f"{self.cycle_id}:{self.enrollment_id}:{self.rule}"


class LedgerKind(models.TextChoices):
    APPROPRIATION = "appropriation", "拨付（批次审批）"
    PAID = "paid", "到账"
    FAILED = "failed", "发放失败退回"
    REISSUE = "reissue", "补发"
    RECOVERY = "recovery", "追回"


class LedgerEntry(models.Model):
    """资金台账: every movement of money of a program in a month (append-only)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    month = models.DateField("月份")
    region_code = models.CharField(max_length=12)
    kind = models.CharField("类型", max_length=14, choices=LedgerKind.choices)
    amount = models.DecimalField("金额", max_digits=16, decimal_places=2)
    lines = models.PositiveIntegerField("笔数", default=0)
    cycle = models.ForeignKey(PaymentCycle, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "资金台账"
        indexes = [models.Index(fields=["program", "month"], name="ledger_program_month")]

    def __str__(self):
        return f"{self.program_id}-{self.month:%Y-%m}:{self.kind} {self.amount}"


from .payment_models import OneOffPayment, PaymentStatus, PayMethod, Recovery  # noqa: E402, F401  (one-off payments)
