"""Writes of the verification engine: a 核对申请 with the members' 授权书, the 核对报告, and its 复议.

Each is one transaction that checks, writes and audits; a refusal (``Refused``, Chinese, HTTP 409)
writes nothing. Source: 审核确认办法 (民发〔2021〕57号) 第十七条 (the county verifies at the
township's request, starting within 3 working days); 广州实施细则 (every person covered signs an
授权书; a guardian for a person without capacity, heirs for a deceased person).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from minzheng.foundation.accounts.scoping import ALL, has_permission, user_prefixes
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.calendar.services import add_working_days
from minzheng.foundation.files.services import file_store, file_store_generated
from minzheng.foundation.numbering.services import sequence_take
from minzheng.foundation.registry.models import Household, Membership, Person
from minzheng.foundation.validation import Refused

from .findings import finding_codes
from .models import (
    AppealState,
    Authorization,
    DataSource,
    ReportAppeal,
    RequestState,
    SignerRole,
    VerificationReport,
    VerificationRequest,
)

DUE_WORKING_DAYS = 3  # 民发〔2021〕57号: the county starts the 信息核对 within 3 working days of the request
COUNTY_DIGITS = 6  # a grant at county level or above: its prefix has at most 6 digits


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _office(user, permission: str, region_code: str) -> str:
    """The office acting: the user's most specific grant covering the region, as a 12-digit code."""
    prefixes = user_prefixes(user, permission)
    if prefixes is ALL:
        return region_code[:9].ljust(12, "0")
    covering = [p for p in prefixes if region_code.startswith(p)]
    return max(covering, key=len).ljust(12, "0") if covering else ""


def county_office(user, permission: str, region_code: str) -> bool:
    """The user holds ``permission`` over the region through a grant at county level or above (the
    核对机构 is the county's)."""
    prefixes = user_prefixes(user, permission)
    if prefixes is ALL:
        return True
    return any(region_code.startswith(p) and len(p) <= COUNTY_DIGITS for p in prefixes)


def _sources_check(sources) -> list[str]:
    codes = list(dict.fromkeys(str(s) for s in sources or []))
    if not codes:
        raise Refused("请至少选择一项核对项目")
    known = dict(DataSource.objects.filter(code__in=codes).values_list("code", "enabled"))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise Refused(f"未知的核对项目：{'、'.join(unknown)}")
    disabled = [c for c in codes if not known[c]]
    if disabled:
        raise Refused(f"核对项目已停用：{'、'.join(disabled)}")
    unsupported = [c for c in codes if c not in finding_codes(codes)]
    if unsupported:
        raise Refused(f"以下数据源没有核对规则：{'、'.join(unsupported)}")
    return codes


def _person_of(value, members: dict[int, Person]) -> Person | None:
    pk = value.pk if isinstance(value, Person) else value
    try:
        return members.get(int(pk))
    except (TypeError, ValueError):
        return None


def _authorization_problems(person: Person, a: dict, today: dt.date) -> list[str]:
    """Why one 授权书 does not do (empty when it does)."""
    who = person.name
    out = []
    role = a.get("signer_role") or SignerRole.SELF
    if role not in SignerRole.values:
        return [f"{who}的授权书签署身份不正确"]
    if not str(a.get("signer_name") or "").strip():
        out.append(f"{who}的授权书缺少签署人姓名")
    if not a.get("file"):
        out.append(f"{who}的授权书缺少签署文件")
    signed, expires = a.get("signed_at"), a.get("expires_at")
    if not isinstance(signed, dt.date):
        out.append(f"{who}的授权书缺少签署日期")
    elif signed > today:
        out.append(f"{who}的授权书签署日期晚于今天")
    if isinstance(expires, dt.date) and expires < today:
        out.append(f"{who}的授权书已于 {expires.isoformat()} 过期")
    if isinstance(signed, dt.date) and isinstance(expires, dt.date) and expires < signed:
        out.append(f"{who}的授权书有效期早于签署日期")
    if role == SignerRole.PROXY:  # with the other problems of the same letter: all shown at once
        out.append(f"{who}的授权书为他人代为签署，不能作为核对授权，须附{who}本人（或监护人）签字的书面授权书")
    elif person.death_date is not None:
        if role != SignerRole.HEIR:
            out.append(f"{who}已死亡，授权书须由继承人签署")
    elif role == SignerRole.HEIR:
        out.append(f"{who}在世，继承人不能代为签署授权书")
    elif _age(person.birth_date, today) < 18 and role != SignerRole.GUARDIAN:
        out.append(f"{who}未满18周岁，授权书须由监护人签署")
    return out


def verification_request(
    *,
    user,
    household: Household,
    sources,
    case_number: str = "",
    purpose: str = "",
    authorizations: list[dict] = (),
) -> VerificationRequest:
    """A 核对申请 for a household: every current member must be covered by an 授权书 signed by the
    member (本人), a guardian (required for a minor, allowed for an adult without capacity) or, for a
    deceased member, an heir; none may have expired. ``authorizations``: ``[{person, signer_name,
    signer_role, file (bytes or an UploadedFile), file_name, signed_at, expires_at}]``.

    Needs ``verification.request`` over the household's region. Due: 3 working days. Refused whole
    (nothing stored, not even a file) if anything is wrong. Audited."""
    region = household.region_code
    if not has_permission(user, "verification.request", region):
        raise PermissionDenied("无权为该家庭申请核对")
    codes = _sources_check(sources)
    today = timezone.localdate()
    members = {
        m.person_id: m.person
        for m in Membership.objects.filter(household=household, valid_to__isnull=True).select_related("person")
    }
    given: dict[int, dict] = {}
    problems = []
    for a in authorizations or []:
        person = _person_of(a.get("person"), members)
        if person is None:
            problems.append("授权书的签署对象不是该家庭的现有成员")
            continue
        if person.pk in given:
            problems.append(f"{person.name}有多份授权书")
            continue
        given[person.pk] = a
        problems += _authorization_problems(person, a, today)
    missing = [p.name for pk, p in sorted(members.items()) if pk not in given]
    if missing:
        problems.insert(0, f"以下家庭成员没有授权书：{'、'.join(missing)}")
    if problems:
        raise Refused("；".join(problems))
    year = today.year
    with transaction.atomic():
        number = f"HD{year}{sequence_take(key=f'verification.request.{year}'):06d}"
        req = VerificationRequest.objects.create(
            number=number,
            household=household,
            region_code=region,
            office_code=_office(user, "verification.request", region),
            case_number=str(case_number or "").strip()[:40],
            purpose=str(purpose or "").strip()[:100],
            sources=codes,
            requested_by=user if getattr(user, "pk", None) else None,
            due=add_working_days(today, DUE_WORKING_DAYS),
        )
        for pk, a in given.items():
            data = a["file"]
            name = a.get("file_name") or getattr(data, "name", "") or f"授权书-{members[pk].name}.pdf"
            stored = file_store(user=user, data=data, name=name, region_code=region)
            Authorization.objects.create(
                request=req,
                person=members[pk],
                signer_name=str(a["signer_name"]).strip()[:50],
                signer_role=a.get("signer_role") or SignerRole.SELF,
                scope=codes,
                file=stored,
                signed_at=a["signed_at"],
                expires_at=a.get("expires_at"),
            )
        audit_record(
            action="create", object_type="verification.verificationrequest", object_id=req.pk, region_code=region,
            summary=f"核对申请 {number}：家庭 {household.number}，{len(given)} 人，{len(codes)} 项",
            changes={"sources": codes, "persons": sorted(given), "case_number": req.case_number, "due": req.due.isoformat()},
        )  # fmt: skip
    return req


# ---------------------------------------------------------------- the report


def _report_create(*, user, req: VerificationRequest, corrections=None) -> VerificationReport:
    """Compute, number, store and render a new version of the request's report (in the caller's
    transaction, with the request row locked)."""
    from .report import report_compute, report_pdf

    today = timezone.localdate()
    expired = [
        a.person.name for a in req.authorizations.select_related("person") if a.expires_at and a.expires_at < today
    ]
    if expired:
        raise Refused(f"以下人员的授权书已过期，须重新签署：{'、'.join(expired)}")
    data = report_compute(household=req.household, codes=list(req.sources), as_of=today, corrections=corrections)
    version = (req.reports.aggregate(v=Max("version"))["v"] or 0) + 1
    year = today.year
    report = VerificationReport.objects.create(
        request=req,
        number=f"HB{year}{sequence_take(key=f'verification.report.{year}'):06d}",
        version=version,
        region_code=req.region_code,
        batches=data["batches"],
        findings=data["findings"],
        summary=data["summary"],
        issued_by=user if getattr(user, "pk", None) else None,
    )
    report.refresh_from_db()
    pdf = report_pdf(report)
    report.document = file_store_generated(
        user=user if getattr(user, "pk", None) else None,
        data=pdf,
        name=f"核对报告-{report.number}.pdf",
        region_code=req.region_code,
    )
    report.save(update_fields=["document"])
    return report


def report_issue(*, user, request: VerificationRequest) -> VerificationReport:
    """出具核对报告 (``verification.issue`` at county level): run the findings of the members over
    the current batches, record the batch of every source read, the findings per member and
    source, the summary against the standards, and the PDF. Audited."""
    region = request.region_code
    if not has_permission(user, "verification.issue", region):
        raise PermissionDenied("无权出具该核对报告")
    if not county_office(user, "verification.issue", region):
        raise PermissionDenied("核对报告由县级核对机构出具")
    with transaction.atomic():
        req = VerificationRequest.objects.select_for_update().get(pk=request.pk)
        if req.state != RequestState.REQUESTED:
            raise Refused(f"该核对申请{req.get_state_display()}，不能再出具报告")
        report = _report_create(user=user, req=req)
        req.state = RequestState.REPORTED
        req.save(update_fields=["state"])
        audit_record(
            action="create", object_type="verification.verificationreport", object_id=report.pk, region_code=region,
            summary=f"出具核对报告 {report.number}（核对申请 {req.number}）",
            changes={"batches": report.batches, "over_limit": report.summary.get("over_limit"),
                     "reasons": report.summary.get("reasons")},
        )  # fmt: skip
    request.refresh_from_db()
    return report


def appeal_file(*, user, report: VerificationReport, grounds: str, filed_by_name: str) -> ReportAppeal:
    """登记复议: against the latest version of a report, one open appeal at a time. Needs
    ``verification.request`` or ``verification.issue`` over the region. Audited."""
    region = report.region_code
    if not (has_permission(user, "verification.request", region) or has_permission(user, "verification.issue", region)):
        raise PermissionDenied("无权为该核对报告登记复议")
    grounds, filed_by_name = str(grounds or "").strip(), str(filed_by_name or "").strip()
    if not grounds:
        raise Refused("请填写复议理由")
    if not filed_by_name:
        raise Refused("请填写复议申请人")
    with transaction.atomic():
        req = VerificationRequest.objects.select_for_update().get(pk=report.request_id)
        latest = req.reports.order_by("-version").first()
        if latest is None or latest.pk != report.pk:
            raise Refused("只能对最新版本的核对报告申请复议")
        if ReportAppeal.objects.filter(report__request=req, state=AppealState.OPEN).exists():
            raise Refused("该核对报告已有复议在办理中")
        appeal = ReportAppeal.objects.create(
            report=report, grounds=grounds, filed_by_name=filed_by_name[:50],
            filed_by=user if getattr(user, "pk", None) else None,
        )  # fmt: skip
        req.state = RequestState.APPEALED
        req.save(update_fields=["state"])
        audit_record(
            action="create", object_type="verification.reportappeal", object_id=appeal.pk, region_code=region,
            summary=f"核对报告 {report.number} 复议申请（{filed_by_name}）", changes={"grounds": grounds},
        )  # fmt: skip
    return appeal


def appeal_decide(
    *, user, appeal: ReportAppeal, upheld: bool, decision: str, corrections: list[dict] | None = None
) -> ReportAppeal:
    """复议决定 (``verification.issue`` at county level): upheld, or corrected — a new version of
    the report, re-run over the current batches with the ``corrections`` applied and recorded
    (``[{person_id, source, item, detail?, action: exclude|amend, annual_amount?, value?, count?,
    reason}]``); the appeal points to it. Audited."""
    region = appeal.report.region_code
    if not has_permission(user, "verification.issue", region) or not county_office(user, "verification.issue", region):
        raise PermissionDenied("复议由县级核对机构决定")
    decision = str(decision or "").strip()
    if not decision:
        raise Refused("请填写复议意见")
    if not upheld and not corrections:
        raise Refused("更正报告须列明更正的核对结果")
    with transaction.atomic():
        req = VerificationRequest.objects.select_for_update().get(pk=appeal.report.request_id)
        appeal = ReportAppeal.objects.select_for_update().get(pk=appeal.pk)
        if appeal.state != AppealState.OPEN:
            raise Refused(f"该复议已办结（{appeal.get_state_display()}）")
        corrected = None
        if not upheld:
            corrected = _report_create(user=user, req=req, corrections=corrections)
        appeal.state = AppealState.UPHELD if upheld else AppealState.CORRECTED
        appeal.decision = decision
        appeal.decided_by = user if getattr(user, "pk", None) else None
        appeal.decided_at = timezone.now()
        appeal.corrected_report = corrected
        appeal.save(update_fields=["state", "decision", "decided_by", "decided_at", "corrected_report"])
        req.state = RequestState.REPORTED
        req.save(update_fields=["state"])
        audit_record(
            action="update", object_type="verification.reportappeal", object_id=appeal.pk, region_code=region,
            summary=f"核对报告 {appeal.report.number} 复议决定：{appeal.get_state_display()}"
            + (f"，更正报告 {corrected.number}（第 {corrected.version} 版）" if corrected else ""),
            changes={"decision": decision, "corrections": corrected.summary.get("corrections") if corrected else None},
        )  # fmt: skip
    return appeal
