"""Annual reports (年度报告): typed report templates per kind, one report per entity and year.

A template (:class:`~.models.ReportTemplate`) belongs to a kind and declares its fields as
:class:`~minzheng.engines.supervision.kinds.Attribute` specs (type, required, choices, range: the
same typing and Chinese refusals as an entity's attributes, :func:`~.kinds.attribute_clean`) and the
day of the following year by which the report is due (``due_month``/``due_day``, data of the
template). A report is saved as a draft (partial values), submitted (every required field
present; ``late`` when first submitted after the due day), and reviewed: accepted, or returned with
the reason and submitted again. The entity files it through its institution account (``channel``
``institution``, ``user`` None: the site has checked the account's entity) or staff enter it
(``supervision.report`` over the entity's region). :func:`reports_missing` lists the entities whose
report is overdue.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from minzheng.foundation.accounts.scoping import permission_require
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.regions.selectors import region_prefix

from . import kinds as k
from ._shared import actor, label, locked, text, today
from .models import AnnualReport, Channel, ReportState, ReportTemplate, Supervised, SupervisionStatus

SPEC_KEYS = {"code", "label", "type", "required", "choices", "min", "max", "unit", "help"}


def _bound(type_: str, raw, code: str):
    if raw is None or raw == "":
        return None
    try:
        if type_ in (k.INT, k.TEXT):
            if isinstance(raw, bool):
                raise ValueError
            return int(raw)
        if type_ == k.DECIMAL:
            return Decimal(str(raw))
        if type_ == k.DATE:
            return raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw))
    except (ValueError, ArithmeticError):
        raise ValidationError({"fields": f"填报项目「{code}」的上下限格式不正确"}) from None
    raise ValidationError({"fields": f"填报项目「{code}」的类型不能设上下限"})


def attribute_of(spec: dict) -> k.Attribute:
    """The :class:`~.kinds.Attribute` of a stored field spec."""
    try:
        return k.Attribute(
            code=spec["code"], label=spec["label"], type=spec["type"], required=bool(spec.get("required")),
            choices=tuple(tuple(c) for c in spec.get("choices") or ()),
            min=_bound(spec["type"], spec.get("min"), spec["code"]), max=_bound(spec["type"], spec.get("max"), spec["code"]),
            unit=spec.get("unit") or "", help=spec.get("help") or "",
        )  # fmt: skip
    except (KeyError, TypeError) as exc:
        raise ValidationError({"fields": f"填报项目不完整：缺少 {exc}"}) from None
    except ValueError as exc:
        raise ValidationError({"fields": str(exc)}) from None


def template_kind(template: ReportTemplate) -> k.Kind:
    """The template's fields as a :class:`~.kinds.Kind` (for :func:`~.kinds.attributes_clean`)."""
    return k.Kind(template.kind, template.name, tuple(attribute_of(s) for s in template.fields))


def due_on(template: ReportTemplate, year: int) -> dt.date:
    """The day the report for ``year`` is due: ``due_month``/``due_day`` of the following year
    (the month's last day when it is shorter)."""
    last = calendar.monthrange(year + 1, template.due_month)[1]
    return dt.date(year + 1, template.due_month, min(template.due_day, last))


def _plain(value):
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _spec_plain(spec: dict) -> dict:
    unknown = set(spec) - SPEC_KEYS
    if unknown:
        raise ValidationError({"fields": f"填报项目不认识的设置：{'、'.join(sorted(unknown))}"})
    return {key: _plain(value) if key in ("min", "max") else value for key, value in spec.items()}


@transaction.atomic
def report_template_create(*, user, kind: str, code: str, name: str, fields, due_month: int, due_day: int,
                           first_year: int) -> ReportTemplate:  # fmt: skip
    """A report template for ``kind`` (``supervision.configure``); the fields are checked as
    attribute declarations, the due day as a day of the year."""
    permission_require(user, "supervision.configure", None, message="无权配置年度报告模板")
    k.kind_get(kind)
    code, name = text(code, 40), text(name, 200)
    if not k.CODE_RE.match(code or "") or not name:
        raise ValidationError({"code": "模板代码应为小写字母开头的字母、数字和下划线，并须有名称"})
    if ReportTemplate.objects.filter(code=code).exists():
        raise ValidationError({"code": f"模板代码「{code}」已存在"})
    specs = [_spec_plain(dict(s)) for s in fields or []]
    if not specs:
        raise ValidationError({"fields": "模板至少须有一个填报项目"})
    template_kind(ReportTemplate(kind=kind, name=name, fields=specs))  # refuses what a declaration would
    try:
        dt.date(2024, int(due_month), int(due_day))  # a leap year: 29 February allowed
    except (TypeError, ValueError):
        raise ValidationError({"due_day": "报送截止日期不是有效的月、日"}) from None
    if not (2000 <= int(first_year) <= today().year + 1):
        raise ValidationError({"first_year": "首个报告年度无效"})
    row = ReportTemplate.objects.create(kind=kind, code=code, name=name, fields=specs, due_month=int(due_month),
                                        due_day=int(due_day), first_year=int(first_year), created_by=actor(user))  # fmt: skip
    audit_record(action="supervision.report_template_create", object_type="supervision.reporttemplate",
                 object_id=row.pk, summary=f"新建年度报告模板 {name}（{code}）",
                 changes={"fields": [s["code"] for s in specs], "due": f"{due_month}-{due_day}"})  # fmt: skip
    return row


def _channel_check(user, channel: str, region: str, filed_by_name: str) -> None:
    if channel == Channel.STAFF:
        permission_require(user, "supervision.report", region, message="无权代录该区划的年度报告")
    elif channel == Channel.INSTITUTION:
        if user is not None:
            raise PermissionDenied("机构端填报不能由工作人员账号代为办理")
        if not text(filed_by_name, 50):
            raise ValidationError({"filed_by_name": "请注明填报人"})
    else:
        raise ValidationError({"channel": "填报方式无效"})


def _audit(report: AnnualReport, action: str, summary: str, changes: dict | None = None) -> None:
    audit_record(action=f"supervision.{action}", object_type="supervision.annualreport", object_id=report.pk,
                 region_code=report.region_code, summary=f"{summary}：{label(report.supervised)} {report.year}年度",
                 changes=changes)  # fmt: skip


@transaction.atomic
def report_save(*, user, template: ReportTemplate, supervised: Supervised, year: int, values: dict,
                channel: str = Channel.STAFF, filed_by_name: str = "") -> AnnualReport:  # fmt: skip
    """Save (create or update) the draft of an entity's report for ``year``: the given values are
    cleaned against the template and merged into the draft. A submitted or accepted report is not
    edited (a returned one is)."""
    region = supervised.entity.region_code
    _channel_check(user, channel, region, filed_by_name)
    if template.kind != supervised.kind:
        raise ValidationError({"template": "该模板不适用于该类监管对象"})
    if isinstance(year, bool) or not isinstance(year, int) or not (template.first_year <= year <= today().year):
        raise ValidationError({"year": f"报告年度应在 {template.first_year} 至 {today().year} 之间"})
    clean = k.attributes_clean(template_kind(template), dict(values or {}))
    supervised = locked(Supervised, supervised)
    report = (
        AnnualReport.objects.select_for_update().filter(template=template, supervised=supervised, year=year).first()
    )
    if report is None:
        report = AnnualReport(template=template, supervised=supervised, region_code=region, year=year,
                              due_on=due_on(template, year))  # fmt: skip
    elif report.state not in (ReportState.DRAFT, ReportState.RETURNED):
        raise ValidationError({"state": f"年度报告「{report.get_state_display()}」，不能修改"})
    merged = {**report.values, **{code: _plain(v) for code, v in clean.items()}}
    report.values = {code: v for code, v in merged.items() if v is not None}
    report.channel, report.filed_by = channel, actor(user)
    report.filed_by_name = text(filed_by_name, 50) or (str(user) if user else "")
    report.save()
    _audit(report, "report_save", "保存年度报告", {"fields": sorted(clean), "channel": channel})
    return report


@transaction.atomic
def report_submit(*, user, report: AnnualReport, channel: str = Channel.STAFF, filed_by_name: str = "") -> AnnualReport:
    """Submit a draft or returned report: every required field must be there. ``late`` is set
    when the first submission falls after the due day."""
    report = locked(AnnualReport, report)
    _channel_check(user, channel, report.region_code, filed_by_name)
    if report.state not in (ReportState.DRAFT, ReportState.RETURNED):
        raise ValidationError({"state": f"年度报告「{report.get_state_display()}」，不能报送"})
    k.attributes_clean(template_kind(report.template), report.values, partial=False)
    first = report.submitted_at is None
    report.state, report.submitted_at, report.channel = ReportState.SUBMITTED, timezone.now(), channel
    if first:
        report.late = timezone.localdate(report.submitted_at) > report.due_on
    report.save(update_fields=["state", "submitted_at", "channel", "late"])
    _audit(
        report,
        "report_submit",
        "报送年度报告" + ("（逾期）" if report.late and first else ""),
        {"channel": channel, "late": report.late},
    )
    return report


@transaction.atomic
def report_review(*, user, report: AnnualReport, accept: bool, reason: str = "") -> AnnualReport:
    """Review a submitted report (``supervision.report``): accept it, or return it with the reason."""
    report = locked(AnnualReport, report)
    permission_require(user, "supervision.report", report.region_code, message="无权审核该区划的年度报告")
    if report.state != ReportState.SUBMITTED:
        raise ValidationError({"state": f"年度报告「{report.get_state_display()}」，不能审核"})
    reason = text(reason, 1000)
    if not accept and not reason:
        raise ValidationError({"reason": "退回须说明原因"})
    report.state = ReportState.ACCEPTED if accept else ReportState.RETURNED
    report.return_reason = "" if accept else reason
    report.reviewed_by, report.reviewed_at = actor(user), timezone.now()
    report.save(update_fields=["state", "return_reason", "reviewed_by", "reviewed_at"])
    _audit(
        report,
        "report_review",
        "年度报告审核通过" if accept else f"退回年度报告（{reason[:40]}）",
        {"accept": accept, "reason": reason},
    )
    return report


# ---------------------------------------------------------------------------------------------------
# Reads


def reports_for(user, *, template: ReportTemplate | None = None, year: int | None = None, region: str = "",
                state: str = "", late: bool | None = None) -> QuerySet:  # fmt: skip
    """The reports under the user's ``supervision.view`` grants, filtered."""
    qs = AnnualReport.objects.for_user(user, "supervision.view").select_related("supervised__entity", "template")
    if template is not None:
        qs = qs.filter(template=template)
    if year is not None:
        qs = qs.filter(year=year)
    if region:
        qs = qs.under(region_prefix(region))
    if state:
        qs = qs.filter(state=state)
    if late is not None:
        qs = qs.filter(late=late)
    return qs


def reports_missing(
    user, *, template: ReportTemplate, year: int, region: str = "", on: dt.date | None = None
) -> QuerySet:
    """The supervised entities of the template's kind (运营 or 暂停) under the user's
    ``supervision.view`` grants (``user`` None: all) whose report for ``year`` has not been
    submitted although it was due before ``on``; empty before the due day."""
    on = on or today()
    base = Supervised.objects.all() if user is None else Supervised.objects.for_user(user, "supervision.view")
    if on <= due_on(template, year):
        return base.none()
    if region:
        base = base.under(region_prefix(region))
    filed = AnnualReport.objects.filter(template=template, year=year, submitted_at__isnull=False)
    return (
        base.filter(kind=template.kind, status__in=[SupervisionStatus.OPERATING, SupervisionStatus.SUSPENDED])
        .exclude(pk__in=filed.values("supervised_id"))
        .select_related("entity")
        .order_by("entity__region_code", "entity__uscc")
    )
