"""Guards, effects and documents every case type may use: materials complete, the public notice
over and unopposed, objections resolved; 受理通知书, 一次性告知书, 不予受理通知书, 不予批准通知书 and
终止通知书, with the accepting office as issuer."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from minzheng.foundation.documents.spec import Checklist, Document, Fields, Note, Paragraph
from minzheng.foundation.numbering.services import number_issue
from minzheng.foundation.regions.models import Region

from .definition import LEVEL_DIGITS
from .hooks import case_document, case_effect, case_guard
from .models import NoticeState, ObjectionState, PublicNotice, TaskState

REMEDY = "如对本决定不服，可以自收到本通知书之日起六十日内依法申请行政复议，或者在六个月内依法提起行政诉讼。"


def materials_missing(case, step: str | None = None) -> list:
    """Required materials of the case type not yet uploaded, up to ``step`` (default: current)."""
    have = set(case.materials.values_list("code", flat=True))
    return [m for m in case.spec.materials_due(step or case.step) if m.code not in have]


@case_guard("materials_complete")
def _materials_complete(ctx):
    missing = materials_missing(ctx.case, ctx.source)
    if missing:
        return "申请材料不齐全，缺少：" + "、".join(m.name for m in missing) + "。请先上传，或出具一次性告知书"
    return None


def _current_notice(case):
    return case.notices.exclude(state=NoticeState.WITHDRAWN).order_by("-pk").first()


@case_guard("notice_over")
def _notice_over(ctx):
    notice = _current_notice(ctx.case)
    if notice is None:
        return "该办件没有公示记录"
    if ctx.today <= notice.end_date:
        return f"公示期至 {notice.end_date:%Y年%m月%d日} 结束，公示期满后方可进入下一环节"
    return None


@case_guard("no_open_objection")
def _no_open_objection(ctx):
    n = ctx.case.notices.filter(objections__state=ObjectionState.OPEN).count()
    if n:
        return f"公示期间有 {n} 条异议尚未处理，须重新调查或民主评议后再作初审意见"
    return None


@case_guard("has_open_objection")
def _has_open_objection(ctx):
    if not ctx.case.notices.filter(objections__state=ObjectionState.OPEN).exists():
        return "没有待处理的公示异议"
    return None


@case_effect("objections_resolve")
def _objections_resolve(ctx):
    from .services import objections_resolve

    objections_resolve(case=ctx.case, user=ctx.user, resolution=f"{ctx.opinion}")
    PublicNotice.objects.filter(case=ctx.case, state=NoticeState.OPEN).update(state=NoticeState.ENDED)


# ---------------------------------------------------------------- documents


def office_name(case, level: str = "township") -> str:
    """乡镇人民政府 / 街道办事处 of the case's township, or the bureau for the county."""
    if level in ("county", "city"):
        return settings.MINZHENG_BUREAU_NAME
    code = case.region_code[: LEVEL_DIGITS["township"]].ljust(12, "0")
    name = Region.objects.filter(code=code).values_list("name", flat=True).first() or ""
    if not name:
        return settings.MINZHENG_BUREAU_NAME
    return name + ("办事处" if name.endswith("街道") else "人民政府")


def addressee(case) -> str:
    return case.applicant.name if case.applicant else "申请人"


def doc_number(case, word: str, level: str = "township") -> str:
    """The 文号 of a document the office of ``level`` issues for ``case``: ``受〔2026〕17号``, the
    17th 受 document of that office in 2026 (one row-locked counter per office × word × year, in
    the numbering foundation). The document generated again for the same decision (same case,
    document and status) keeps its number."""
    from .services import issuing, office_code

    kind, anchor = issuing(case)
    office = office_code(case.region_code, level)
    year = timezone.localdate().year
    return number_issue(
        series=f"doc:{office}:{word}:{year}",
        subject=f"cases.case:{case.pk}:{kind or word}:{anchor}",
        render=lambda serial: f"{word}〔{year}〕{serial}号",
    )


def opinion_of(status) -> str:
    return (status.opinion if status else "") or ""


@case_document("acceptance_notice", "受理通知书")
def acceptance_notice(case, status):
    spec = case.spec
    limit = spec.delegated_days if case.delegated and spec.delegated_days else spec.legal_days
    when = case.opened_at.astimezone(timezone.get_current_timezone())
    blocks = [
        Paragraph(
            f"你于 {when:%Y年%m月%d日} 提出的{spec.name}，经审查，申请材料齐全，符合法定形式，本机关决定予以受理。"
        ),
        Fields(
            [
                ("办件编号", case.number),
                ("受理日期", f"{case.accepted_on:%Y年%m月%d日}" if case.accepted_on else ""),
                ("法定办结时限", f"{limit} 个工作日" if limit else "—"),
                ("预计办结日期", f"{case.due_date:%Y年%m月%d日}前" if case.due_date else "—"),
            ]
        ),
        Paragraph(
            "办理期间，工作人员将入户调查并核对家庭经济状况，请如实提供情况并配合调查。可凭办件编号和身份证号后六位查询办理进度。"
        ),
    ]
    return Document(title="受理通知书", number=doc_number(case, "受"), addressee=addressee(case), blocks=blocks,
                    issuer=office_name(case), issued_on=timezone.localdate())  # fmt: skip


@case_document("missing_materials_notice", "一次性告知书")
def missing_materials_notice(case, status):
    spec = case.spec
    have = set(case.materials.values_list("code", flat=True))
    items = [(m.name + (f"（{m.note}）" if m.note else ""), m.code in have) for m in spec.materials if m.required]
    blocks = [
        Paragraph(
            f"你提出的{spec.name}（办件编号 {case.number}），申请材料尚不齐全。现将需要补正的全部材料一次性告知如下"
            "（已勾选的为已提交材料）："
        ),
        Checklist(items),
    ]
    if opinion_of(status):
        blocks.append(Paragraph(f"说明：{opinion_of(status)}"))
    blocks.append(
        Paragraph("请补齐上述材料后到受理窗口提交或在网上办事大厅上传。可通过政务数据共享获取的材料，无需另行提供。")
    )
    return Document(title="一次性告知书", number=doc_number(case, "告"), addressee=addressee(case), blocks=blocks,
                    issuer=office_name(case), issued_on=timezone.localdate())  # fmt: skip


@case_document("not_accepted_notice", "不予受理通知书")
def not_accepted_notice(case, status):
    blocks = [
        Paragraph(f"你提出的{case.spec.name}（办件编号 {case.number}），经审查，决定不予受理。"),
        Paragraph(f"理由：{opinion_of(status)}"),
        Note(REMEDY),
    ]
    return Document(title="不予受理通知书", number=doc_number(case, "不受"), addressee=addressee(case), blocks=blocks,
                    issuer=office_name(case), issued_on=timezone.localdate())  # fmt: skip


def _county_only(case, step: str) -> bool:
    """A county step that is never delegated (e.g. 县级审批 of a proposal above the township's limit)."""
    s = next((x for x in case.spec.steps if x.code == step), None)
    return s is not None and s.level == "county" and not s.delegable


@case_document("refusal_notice", "不予批准通知书")
def refusal_notice(case, status):
    level = "township" if case.delegated else "county"
    if status is not None and _county_only(case, status.from_step):  # refused where only the county decides
        level = "county"
    blocks = [
        Paragraph(f"你提出的{case.spec.name}（办件编号 {case.number}），经调查、核对、审核，决定不予批准。"),
        Paragraph(f"理由：{opinion_of(status)}"),
        Note(REMEDY),
    ]
    return Document(title="不予批准通知书", number=doc_number(case, "不批", level), addressee=addressee(case), blocks=blocks,
                    issuer=office_name(case, level), issued_on=timezone.localdate())  # fmt: skip


@case_document("termination_notice", "终止通知书")
def termination_notice(case, status):
    level = "township" if case.delegated else "county"
    what = case.data.get("enrollment_number", "")
    blocks = [
        Paragraph(
            f"经{case.spec.name}（办件编号 {case.number}）办理，决定终止"
            + (f"你家庭的救助待遇（保障编号 {what}）" if what else "该事项的办理")
            + "。"
        ),
        Paragraph(f"理由：{opinion_of(status)}"),
        Note(REMEDY),
    ]
    return Document(title="终止通知书", number=doc_number(case, "终", level), addressee=addressee(case), blocks=blocks,
                    issuer=office_name(case, level), issued_on=timezone.localdate())  # fmt: skip


def open_task(case):
    return case.tasks.filter(state=TaskState.OPEN).first()
