"""The eldercare line's own tables (what only it knows), each pointing at the supervised care home
(``supervision.Supervised`` of kind ``care_home``) and at registry persons; what a home *is* (nature,
beds, operator, 医养结合) are the kind's typed attributes in the engine (ADR 0019). Every table is
scoped by the home's entity region (``supervised__entity__region_code``), never a copy."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from minzheng.engines.supervision.models import Supervised
from minzheng.foundation.accounts.scoping import ScopedQuerySet
from minzheng.foundation.registry.models import Person

HOME_REGION = "supervised__entity__region_code"


class HomeScoped(ScopedQuerySet):
    region_field = HOME_REGION


def _user(label: str, *, null: bool = True):
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=null, blank=null, related_name="+", verbose_name=label
    )


def _home(related_name: str):
    return models.ForeignKey(Supervised, on_delete=models.PROTECT, related_name=related_name, verbose_name="养老机构")


# ---------------------------------------------------------------------------------------------------
# 公建民营 contracts


class Contract(models.Model):
    """A 公建民营 contract: the state's home run by an operator for a term, for fees."""

    supervised = _home("eldercare_contracts")
    operator_name = models.CharField("运营方", max_length=200)
    operator_uscc = models.CharField("运营方统一社会信用代码", max_length=18, blank=True, default="")
    number = models.CharField("合同编号", max_length=60)
    signed_on = models.DateField("签订日期")
    starts_on = models.DateField("起始日期")
    ends_on = models.DateField("终止日期")
    annual_fee = models.DecimalField("年承包（租赁）费", max_digits=12, decimal_places=2)
    terms = models.CharField("主要条款", max_length=1000, blank=True, default="")
    ended_early_on = models.DateField("提前终止日期", null=True, blank=True)
    recorded_by = _user("经办人")
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = HomeScoped.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "公建民营合同"
        ordering = ["supervised", "-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="eldercare_contract_term"),
            models.CheckConstraint(condition=Q(annual_fee__gte=0), name="eldercare_contract_fee"),
        ]

    def __str__(self):
        return f"{self.number} {self.operator_name}"


class ReviewResult(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    PASS = "pass", "合格"
    BASIC = "basic", "基本合格"
    FAIL = "fail", "不合格"


class ContractReview(models.Model):
    """The yearly performance review (年度绩效考核) of a 公建民营 contract."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="reviews", verbose_name="合同")
    year = models.PositiveSmallIntegerField("考核年度")
    score = models.DecimalField("得分", max_digits=5, decimal_places=1)
    result = models.CharField("结果", max_length=10, choices=ReviewResult.choices)
    note = models.CharField("考核意见", max_length=1000, blank=True, default="")
    reviewed_on = models.DateField("考核日期")
    recorded_by = _user("经办人")
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "公建民营年度考核"
        ordering = ["contract", "year"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "year"], name="eldercare_contract_review_year"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=100), name="eldercare_review_score"),
        ]

    def __str__(self):
        return f"{self.contract_id} · {self.year} · {self.get_result_display()}"


# ---------------------------------------------------------------------------------------------------
# Residents


class BedType(models.TextChoices):
    GENERAL = "general", "普通床位"
    NURSING = "nursing", "护理型床位"
    DEMENTIA = "dementia", "失智照护床位"


class AbilityLevel(models.TextChoices):
    """老年人能力评估 (GB/T 42195-2022): 能力完好, 轻度, 中度, 重度失能."""

    INTACT = "intact", "能力完好"
    MILD = "mild", "轻度失能"
    MODERATE = "moderate", "中度失能"
    SEVERE = "severe", "重度失能"


class DischargeReason(models.TextChoices):
    HOME = "home", "返回家庭"
    TRANSFER = "transfer", "转入其他机构"
    HOSPITAL = "hospital", "长期住院"
    DEATH = "death", "死亡"
    OTHER = "other", "其他"


class Admission(models.Model):
    """A registry person's stay in a care home: admitted on a day, discharged on a day (or still
    there). A 特困 person admitted in centralised support names the enrollment and the case that
    decides the 供养方式 (opened on the admission as evidence); the roll changes only there."""

    supervised = _home("eldercare_admissions")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name="入住老人")
    admitted_on = models.DateField("入住日期")
    bed_type = models.CharField("床位类型", max_length=10, choices=BedType.choices, default=BedType.GENERAL)
    monthly_fee = models.DecimalField("月服务费（床位费和护理费）", max_digits=10, decimal_places=2, default=0)
    centralised = models.BooleanField("特困人员集中供养", default=False)
    enrollment_number = models.CharField("特困保障编号", max_length=30, blank=True, default="")
    support_case = models.CharField("供养方式变更办件", max_length=40, blank=True, default="")
    support_note = models.CharField("供养方式变更情况", max_length=300, blank=True, default="")
    discharged_on = models.DateField("退住日期", null=True, blank=True)
    discharge_reason = models.CharField(
        "退住原因", max_length=10, choices=DischargeReason.choices, blank=True, default=""
    )
    discharge_case = models.CharField("退住后供养方式变更办件", max_length=40, blank=True, default="")
    discharge_note = models.CharField("退住说明", max_length=300, blank=True, default="")
    recorded_by = _user("经办人")
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = HomeScoped.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "入住登记"
        ordering = ["supervised", "-admitted_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(discharged_on__isnull=True), name="eldercare_one_open_admission"
            ),
            models.CheckConstraint(
                condition=Q(discharged_on__isnull=True) | Q(discharged_on__gte=F("admitted_on")),
                name="eldercare_discharge_after_admission",
            ),
            models.CheckConstraint(condition=Q(monthly_fee__gte=0), name="eldercare_admission_fee"),
        ]
        indexes = [
            models.Index(fields=["supervised", "admitted_on", "discharged_on"], name="eldercare_admission_stay"),
        ]

    def __str__(self):
        return f"{self.person_id} @ {self.supervised_id} {self.admitted_on}"


class AbilityAssessment(models.Model):
    """An ability assessment (老年人能力评估) of a resident, with its day; the latest counts."""

    admission = models.ForeignKey(
        Admission, on_delete=models.PROTECT, related_name="assessments", verbose_name="入住登记"
    )
    level = models.CharField("能力等级", max_length=10, choices=AbilityLevel.choices)
    assessed_on = models.DateField("评估日期")
    assessor = models.CharField("评估机构（人员）", max_length=100, blank=True, default="")
    recorded_by = _user("经办人")
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "老年人能力评估"
        ordering = ["admission", "assessed_on", "pk"]

    def __str__(self):
        return f"{self.admission_id} · {self.get_level_display()} · {self.assessed_on}"


# ---------------------------------------------------------------------------------------------------
# Prepaid fees (预付费)


class PrepaidReport(models.Model):
    """A home's report of the prepaid fees it holds, as of a day: one line per resident."""

    supervised = _home("eldercare_prepaid_reports")
    as_of = models.DateField("报送截止日期")
    reported_by = _user("报送人")
    reported_at = models.DateTimeField("报送时间", auto_now_add=True)
    breaches = models.PositiveIntegerField("超限项数", default=0)

    objects = HomeScoped.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "预付费报送"
        ordering = ["supervised", "-as_of", "-pk"]

    def __str__(self):
        return f"{self.supervised_id} · {self.as_of}"


class PrepaidLine(models.Model):
    """One resident's prepaid service fees and deposit held by the home, and the limits in force."""

    report = models.ForeignKey(PrepaidReport, on_delete=models.CASCADE, related_name="lines", verbose_name="报送")
    admission = models.ForeignKey(Admission, on_delete=models.PROTECT, related_name="+", verbose_name="入住登记")
    monthly_fee = models.DecimalField("月服务费", max_digits=10, decimal_places=2)
    prepaid_balance = models.DecimalField("预收服务费余额", max_digits=12, decimal_places=2)
    deposit = models.DecimalField("押金", max_digits=12, decimal_places=2)
    prepaid_limit = models.DecimalField("预收上限", max_digits=12, decimal_places=2)
    deposit_limit = models.DecimalField("押金上限", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = verbose_name_plural = "预付费明细"
        ordering = ["report", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(monthly_fee__gte=0) & Q(prepaid_balance__gte=0) & Q(deposit__gte=0),
                name="eldercare_prepaid_not_negative",
            )
        ]

    def __str__(self):
        return f"{self.report_id} · {self.admission_id}"

    @property
    def prepaid_over(self) -> bool:
        return self.prepaid_balance > self.prepaid_limit

    @property
    def deposit_over(self) -> bool:
        return self.deposit > self.deposit_limit


class BreachKind(models.TextChoices):
    PREPAID = "prepaid", "预收服务费超过周期上限"
    DEPOSIT = "deposit", "押金超过上限"


class PrepaidBreach(models.Model):
    """A breach of a prepaid-fee limit found in a report: an alert for the county office."""

    line = models.ForeignKey(PrepaidLine, on_delete=models.CASCADE, related_name="breaches", verbose_name="明细")
    supervised = _home("eldercare_prepaid_breaches")
    kind = models.CharField("类型", max_length=10, choices=BreachKind.choices)
    amount = models.DecimalField("金额", max_digits=12, decimal_places=2)
    limit = models.DecimalField("上限", max_digits=12, decimal_places=2)
    basis = models.CharField("依据", max_length=300)
    found_on = models.DateField("发现日期")
    resolved_on = models.DateField("消除日期", null=True, blank=True)

    objects = HomeScoped.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "预付费超限"
        ordering = ["-found_on", "pk"]

    def __str__(self):
        return f"{self.supervised_id} · {self.get_kind_display()} · {self.found_on}"


class CustodyKind(models.TextChoices):
    PREPAID_IN = "prepaid_in", "预收服务费存入"
    DEPOSIT_IN = "deposit_in", "押金存入"
    DRAWDOWN = "drawdown", "按月划转服务费"
    REFUND = "refund", "退还"


class CustodyEntry(models.Model):
    """One booking on the home's custody account (预收费存管账户): append-only, with the balance
    after it; a mistake is corrected by a further booking, never by an edit."""

    supervised = _home("eldercare_custody")
    admission = models.ForeignKey(
        Admission, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="入住登记"
    )
    seq = models.PositiveIntegerField("序号")
    kind = models.CharField("类型", max_length=12, choices=CustodyKind.choices)
    amount = models.DecimalField("金额", max_digits=12, decimal_places=2)
    balance_after = models.DecimalField("账户余额", max_digits=14, decimal_places=2)
    booked_on = models.DateField("记账日期")
    bank_reference = models.CharField("银行流水号", max_length=60, blank=True, default="")
    note = models.CharField("摘要", max_length=200, blank=True, default="")
    recorded_by = _user("经办人")
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = HomeScoped.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "预收费存管账户流水"
        ordering = ["supervised", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["supervised", "seq"], name="eldercare_custody_seq"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="eldercare_custody_amount"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="eldercare_custody_balance"),
        ]

    def __str__(self):
        return f"{self.supervised_id} #{self.seq} {self.get_kind_display()} {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("存管账户流水只能追加，不能修改")
        super().save(*args, **kwargs)


# ---------------------------------------------------------------------------------------------------
# Incidents (突发事件)


class IncidentKind(models.TextChoices):
    FIRE = "fire", "火灾"
    INJURY = "injury", "跌倒、走失等意外伤害"
    FOOD = "food", "食物中毒"
    EPIDEMIC = "epidemic", "传染病疫情"
    DEATH = "death", "非正常死亡"
    DISPUTE = "dispute", "纠纷、群体性事件"
    OTHER = "other", "其他"


class IncidentState(models.TextChoices):
    REPORTED = "reported", "已报告"
    HANDLED = "handled", "已处置"
    CLOSED = "closed", "已结案"


class Incident(models.Model):
    """A 突发事件 in a home: reported (with the hours it took), handled, closed; the time limits in
    force on the day it happened are kept with it (standards ``eldercare_incident_*``)."""

    supervised = _home("eldercare_incidents")
    kind = models.CharField("类型", max_length=10, choices=IncidentKind.choices)
    occurred_at = models.DateTimeField("发生时间")
    reported_at = models.DateTimeField("报告时间")
    description = models.CharField("事件经过", max_length=2000)
    casualties = models.PositiveSmallIntegerField("伤亡人数", default=0)
    state = models.CharField("状态", max_length=10, choices=IncidentState.choices, default=IncidentState.REPORTED)
    report_due = models.DateTimeField("报告时限")
    handle_due = models.DateField("处置时限")
    close_due = models.DateField("结案时限")
    handled_on = models.DateField("处置日期", null=True, blank=True)
    handling = models.CharField("处置情况", max_length=2000, blank=True, default="")
    closed_on = models.DateField("结案日期", null=True, blank=True)
    conclusion = models.CharField("结案意见", max_length=2000, blank=True, default="")
    recorded_by = _user("经办人")

    objects = HomeScoped.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "突发事件"
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(reported_at__gte=F("occurred_at")), name="eldercare_incident_report"),
            models.CheckConstraint(
                condition=Q(state="closed", closed_on__isnull=False) | (~Q(state="closed") & Q(closed_on__isnull=True)),
                name="eldercare_incident_closed_day",
            ),
        ]

    def __str__(self):
        return f"{self.supervised_id} · {self.get_kind_display()} · {self.get_state_display()}"

    @property
    def reported_late(self) -> bool:
        return self.reported_at > self.report_due


# ---------------------------------------------------------------------------------------------------
# Care workers (养老护理员)


class CertificateLevel(models.TextChoices):
    """《养老护理员国家职业技能标准（2019年版）》: 五个等级."""

    NONE = "", "无证书"
    L5 = "5", "五级/初级工"
    L4 = "4", "四级/中级工"
    L3 = "3", "三级/高级工"
    L2 = "2", "二级/技师"
    L1 = "1", "一级/高级技师"


class WorkerRole(models.TextChoices):
    CARER = "carer", "养老护理员"
    HEAD = "head", "机构负责人"


class CareWorker(models.Model):
    """A registry person working in a home as a 养老护理员 or as its 机构负责人."""

    supervised = _home("eldercare_workers")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name="人员")
    role = models.CharField("岗位", max_length=8, choices=WorkerRole.choices, default=WorkerRole.CARER)
    certificate_level = models.CharField(
        "职业技能等级", max_length=2, choices=CertificateLevel.choices, blank=True, default=""
    )
    certificate_number = models.CharField("证书编号", max_length=40, blank=True, default="")
    hired_on = models.DateField("入职日期")
    left_on = models.DateField("离职日期", null=True, blank=True)
    recorded_by = _user("经办人")

    objects = HomeScoped.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "养老护理员"
        ordering = ["supervised", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["supervised", "person", "role"],
                condition=Q(left_on__isnull=True),
                name="eldercare_worker_current",
            )
        ]

    def __str__(self):
        return f"{self.person_id} · {self.get_role_display()} @ {self.supervised_id}"


class TrainingKind(models.TextChoices):
    CARER = "carer", "养老护理员培训"
    HEAD = "head", "养老机构负责人培训"


class Training(models.Model):
    worker = models.ForeignKey(CareWorker, on_delete=models.PROTECT, related_name="trainings", verbose_name="人员")
    kind = models.CharField("类型", max_length=8, choices=TrainingKind.choices)
    title = models.CharField("培训名称", max_length=200)
    hours = models.DecimalField("学时", max_digits=6, decimal_places=1)
    completed_on = models.DateField("结业日期")
    recorded_by = _user("经办人")

    class Meta:
        verbose_name = verbose_name_plural = "培训记录"
        ordering = ["worker", "completed_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(hours__gt=0), name="eldercare_training_hours")]

    def __str__(self):
        return f"{self.worker_id} · {self.title}"


class Competition(models.Model):
    """A skills competition (养老护理职业技能竞赛) held by a region's office."""

    name = models.CharField("竞赛名称", max_length=200)
    region_code = models.CharField("举办区划", max_length=12)
    held_on = models.DateField("举办日期")
    max_score = models.DecimalField("满分", max_digits=6, decimal_places=1, default=100)
    recorded_by = _user("经办人")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "技能竞赛"
        ordering = ["-held_on", "pk"]

    def __str__(self):
        return self.name


class CompetitionEntry(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.PROTECT, related_name="entries", verbose_name="竞赛")
    worker = models.ForeignKey(CareWorker, on_delete=models.PROTECT, related_name="entries", verbose_name="参赛人员")
    score = models.DecimalField("成绩", max_digits=6, decimal_places=1)

    class Meta:
        verbose_name = verbose_name_plural = "竞赛成绩"
        ordering = ["competition", "-score", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "worker"], name="eldercare_entry_once"),
            models.CheckConstraint(condition=Q(score__gte=0), name="eldercare_entry_score"),
        ]

    def __str__(self):
        return f"{self.competition_id} · {self.worker_id} · {self.score}"
