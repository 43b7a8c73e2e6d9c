"""The printable 检查记录 (inspection record) through the foundation's documents machinery: the
entity, the inspection, every item with its result, the hazards with their deadlines, the
conclusion and the signatures (who signed electronically, or the refusal to sign)."""

from __future__ import annotations

from minzheng.foundation.documents.render import render_pdf
from minzheng.foundation.documents.spec import Document, Fields, Heading, Note, Paragraph, Signatures, Table

from .kinds import KINDS
from .models import Inspection, InspectionState, Outcome, TemplateItem


def inspection_document(inspection: Inspection) -> Document:
    supervised = inspection.supervised
    entity = supervised.entity
    kind = KINDS.get(supervised.kind)
    template = inspection.template
    results = {r.item_id: r for r in inspection.results.all()}
    inspectors = [inspection.lead_inspector, *inspection.inspectors.all()]
    blocks: list = [
        Fields(
            [
                ("被检查单位", entity.name),
                ("统一社会信用代码", entity.uscc),
                ("类别", kind.label if kind else supervised.kind),
                ("法定代表人（负责人）", entity.representative_name),
                ("地址", entity.address),
                ("检查类型", inspection.get_purpose_display()),
                ("检查日期", inspection.inspected_on),
                ("检查人员", "、".join(str(u) for u in inspectors)),
                ("检查表", f"{template.name}（第{template.version}版）"),
            ],
            wide=["地址", "检查表"],
        )
    ]
    items = TemplateItem.objects.filter(section__template=template).select_related("section")
    section = None
    rows: list = []

    def flush():
        if rows:
            blocks.append(Table(["序号", "检查内容", "依据", "结果", "情况说明"], list(rows), widths=[1, 5, 4, 1.5, 4]))
            rows.clear()

    for item in items:
        if item.section_id != section:
            flush()
            section = item.section_id
            blocks.append(Heading(f"{item.section.order}. {item.section.title}"))
        r = results.get(item.pk)
        outcome = r.get_outcome_display() if r else "未记录"
        if r and r.outcome == Outcome.FAIL and item.hazard_on_fail:
            outcome += f"（{item.get_hazard_level_display()}）"
        rows.append([item.code, item.text, item.legal_basis, outcome, r.note if r else ""])
    flush()
    hazards = list(inspection.hazards.order_by("pk"))
    if hazards:
        blocks.append(Heading("发现的隐患和整改期限"))
        blocks.append(
            Table(
                ["等级", "隐患", "整改期限"],
                [[h.get_level_display(), h.description, h.deadline] for h in hazards],
                widths=[1.5, 8, 2.5],
            )
        )
    if inspection.score_max:
        blocks.append(Paragraph(f"得分：{inspection.score} / {inspection.score_max}（不适用的项目不计）", indent=False))
    blocks.append(Heading("检查结论"))
    blocks.append(Paragraph(inspection.conclusion or "（未填写）"))
    if inspection.state == InspectionState.COMPLETED:
        signed = [f"检查人员已电子签名：{inspection.lead_inspector}"]
        if inspection.representative_signature_id:
            signed.append(f"被检查单位签字人已电子签名：{inspection.representative_name}")
        if inspection.representative_refused:
            signed.append(f"被检查单位拒绝签字：{inspection.representative_refused}")
        blocks.append(Note("；".join(signed) + "。签名图像随检查记录存档。"))
    else:
        blocks.append(Note("检查尚未完成，本记录仅供核对。"))
    blocks.append(Signatures(["检查人员（签字）", "被检查单位负责人（签字）"]))
    return Document(title="监督检查记录", blocks=blocks, issued_on=inspection.inspected_on)


def inspection_pdf(inspection: Inspection) -> bytes:
    """The 检查记录 as PDF bytes (also stored on completion, ``Inspection.record``)."""
    return render_pdf(inspection_document(inspection))
