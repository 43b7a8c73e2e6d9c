"""Gradings (等级评定): score sheets as data, the evaluator, the grading process, grades.

**Sheets.** A score sheet (:class:`~.models.GradingSheet`, per kind, versioned) has sections with
their maxima and grades with two thresholds: the total, and a minimum share of **every** section's
maximum. :func:`sheet_evaluate` gives the highest grade whose conditions all hold (or none), the
total, the lowest section share and the reasoning in Chinese; it refuses an unknown section, a
missing one, a negative score or one above its maximum. Shares are compared exactly
(``score ≥ share × maximum`` in Decimal), never through a rounded percentage.

**The process** (stages recorded by the engine itself, each a :class:`~.models.GradingEvent` and
an audit row): self-assessment (自评, by the entity through its account or by staff) → panel
scoring (评审打分: one row per member; closing the panel averages them per section, to the cent)
→ public notice (公示: start and end days, and the reference of whatever publishes it) → decision
(评定: the proposed grade, with its validity). An objection upheld during the notice sends the
grading back to the panel (:func:`grading_return`).

**The case engine.** The engines must not import ``cases``; a business line that runs the notice as
a case (a case type whose step has ``notice_days``) wires it: either its case effect calls
:func:`grading_notice_open` / :func:`grading_decide` with the case number as ``reference``, or it
registers an opener with :func:`notice_opener_register` for its kind, which the engine calls when a
grading's notice starts (it returns the reference of what it opened, e.g. the case number).

Time limits and validity are standards (``foundation.parameters``): ``supervision_grade_validity_months``
(how long a grade is valid when the decision does not say) and ``supervision_grade_expiry_notice_days``
(how many days before its end a grade is flagged by :func:`grades_expiring`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, QuerySet

from minzheng.foundation.accounts.scoping import permission_require
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.parameters.standards import COUNT, DAYS, MONTHS, standard_type, standards_for
from minzheng.foundation.plugins import Registry
from minzheng.foundation.regions.selectors import region_prefix

from ._shared import actor, add_months, day, label, locked, text, today
from .kinds import kind_get
from .models import Channel, Grading, GradingEvent, GradingGrade, GradingScore, GradingSection, GradingSheet, Supervised
from .models import GradingState as S

CENT = Decimal("0.01")
SHARE_PLACES = Decimal("0.0001")

VALIDITY_MONTHS = standard_type(
    "supervision_grade_validity_months", "等级评定结果有效期", MONTHS, "个月", program="supervision",
    help="评定决定未写明有效期时，自评定之日起的月数",
)  # fmt: skip
EXPIRY_NOTICE_DAYS = standard_type(
    "supervision_grade_expiry_notice_days", "等级到期提醒天数", DAYS, "天", program="supervision",
    help="有效期届满前该天数内的等级列入到期提醒",
)  # fmt: skip
PANEL_MIN = standard_type(
    "supervision_grading_panel_min", "评审专家最少人数", COUNT, "人", program="supervision",
    help="评审打分结束时至少须有的评审人员人数；未配置按 1 人",
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------
# Sheets and the evaluator (pure)


@dataclass(frozen=True)
class Section:
    name: str
    maximum: Decimal


@dataclass(frozen=True)
class Grade:
    name: str
    rank: int  # higher is better
    min_total: Decimal
    min_section_share: Decimal  # 0..1


def _decimal(value, field_: str, what: str) -> Decimal:
    if isinstance(value, bool):
        raise ValidationError({field_: f"{what}应为数值"})
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field_: f"{what}应为数值"}) from None
    if not number.is_finite():
        raise ValidationError({field_: f"{what}应为数值"})
    return number


@dataclass(frozen=True)
class Sheet:
    """A score sheet as the evaluator reads it: sections in order, grades (any order)."""

    code: str
    sections: tuple[Section, ...]
    grades: tuple[Grade, ...]
    name: str = ""

    def __post_init__(self):
        names = [s.name for s in self.sections]
        if not names:
            raise ValidationError({"sections": "评分表至少须有一个评分项"})
        if len(set(names)) != len(names):
            raise ValidationError({"sections": "评分项名称重复"})
        for s in self.sections:
            if not s.name.strip():
                raise ValidationError({"sections": "评分项须有名称"})
            if s.maximum <= 0:
                raise ValidationError({"sections": f"评分项「{s.name}」的满分须大于 0"})
        if len({g.rank for g in self.grades}) != len(self.grades) or len({g.name for g in self.grades}) != len(
            self.grades
        ):
            raise ValidationError({"grades": "等级名称或等次重复"})
        top = sum((s.maximum for s in self.sections), Decimal(0))
        for g in self.grades:
            if not (0 <= g.min_section_share <= 1):
                raise ValidationError({"grades": f"等级「{g.name}」的各项得分率须在 0 到 1 之间"})
            if g.min_total < 0 or g.min_total > top:
                raise ValidationError({"grades": f"等级「{g.name}」的总分门槛须在 0 到满分 {_n(top)} 之间"})

    @property
    def maximum(self) -> Decimal:
        return sum((s.maximum for s in self.sections), Decimal(0))

    @classmethod
    def from_data(cls, code: str, sections, grades, name: str = "") -> Sheet:
        """From plain data: ``sections`` ``[{"name", "maximum"}]``, ``grades`` ``[{"name", "rank",
        "min_total", "min_section_share"}]`` (numbers as text or Decimal)."""
        try:
            secs = tuple(Section(str(s["name"]).strip(), _decimal(s["maximum"], "sections", "满分")) for s in sections)
            grs = tuple(
                Grade(
                    str(g["name"]).strip(),
                    int(g["rank"]),
                    _decimal(g["min_total"], "grades", "总分门槛"),
                    _decimal(g["min_section_share"], "grades", "得分率门槛"),
                )
                for g in grades
            )
        except (KeyError, TypeError) as exc:
            raise ValidationError({"sheet": f"评分表数据不完整：缺少 {exc}"}) from None
        return cls(code, secs, grs, name)


def sheet_of(sheet) -> Sheet:
    """The evaluator's :class:`Sheet` of a stored :class:`~.models.GradingSheet` (or a Sheet)."""
    if isinstance(sheet, Sheet):
        return sheet
    sections = tuple(Section(s.name, s.maximum) for s in sheet.sections.order_by("order"))
    grades = tuple(Grade(g.name, g.rank, g.min_total, g.min_section_share) for g in sheet.grades.all())
    return Sheet(sheet.code, sections, grades, sheet.name)


def _n(value: Decimal) -> str:
    """A number for people: no trailing zeros."""
    return f"{value.normalize():f}"


def _pct(share: Decimal) -> str:
    return f"{(share * 100).quantize(CENT, ROUND_HALF_UP).normalize():f}%"


@dataclass(frozen=True)
class Result:
    total: Decimal
    grade: str | None
    lowest_share: Decimal  # the lowest score / maximum over the sections, 4 places
    explanation: list[str] = field(default_factory=list)
    rank: int | None = None
    scores: dict = field(default_factory=dict)  # the cleaned scores, by section


def scores_clean(sheet: Sheet, scores) -> dict[str, Decimal]:
    """The scores as Decimals by section; refuses (Chinese, all at once) an unknown section, a
    missing one, a non-number, a negative score, one above the maximum or with more than 2 places."""
    if not isinstance(scores, dict):
        raise ValidationError({"scores": "得分应为“评分项: 分数”的对照"})
    maxima = {s.name: s.maximum for s in sheet.sections}
    errors: dict[str, str] = {}
    out: dict[str, Decimal] = {}
    for name, raw in scores.items():
        if name not in maxima:
            errors[str(name)] = f"评分表没有评分项「{name}」（评分项：{'、'.join(maxima)}）"
            continue
        try:
            value = _decimal(raw, name, f"「{name}」的得分")
        except ValidationError as exc:
            errors[name] = exc.message_dict[name][0]
            continue
        if value < 0:
            errors[name] = f"「{name}」的得分不能为负数"
        elif value > maxima[name]:
            errors[name] = f"「{name}」的得分 {_n(value)} 超过该项满分 {_n(maxima[name])}"
        elif value.as_tuple().exponent < -2:
            errors[name] = f"「{name}」的得分最多保留2位小数"
        out[name] = value
    for name in maxima:
        if name not in scores:
            errors[name] = f"缺少评分项「{name}」的得分"
    if errors:
        raise ValidationError(errors)
    return {name: out[name] for name in maxima}


def sheet_evaluate(sheet, scores: dict) -> Result:
    """The total, the grade (the highest whose total threshold and every section's minimum share
    both hold; None if none does), the lowest share and the explanation in Chinese."""
    sheet = sheet_of(sheet)
    clean = scores_clean(sheet, scores)
    total = sum(clean.values(), Decimal(0))
    shares = {s.name: clean[s.name] / s.maximum for s in sheet.sections}
    lowest_name = min(
        sheet.sections, key=lambda s: (shares[s.name], [x.name for x in sheet.sections].index(s.name))
    ).name
    lowest = shares[lowest_name]
    lines = [f"总分 {_n(total)}（满分 {_n(sheet.maximum)}）"]
    for s in sheet.sections:
        lines.append(f"{s.name} {_n(clean[s.name])}/{_n(s.maximum)}，得分率 {_pct(shares[s.name])}")
    lines.append(f"最低得分率 {_pct(lowest)}（{lowest_name}）")
    found: Grade | None = None
    for g in sorted(sheet.grades, key=lambda g: -g.rank):
        short = [s.name for s in sheet.sections if clean[s.name] < g.min_section_share * s.maximum]
        total_ok = total >= g.min_total
        rule = f"{g.name}：须总分 ≥ {_n(g.min_total)} 且各项得分率 ≥ {_pct(g.min_section_share)}"
        if total_ok and not short:
            lines.append(f"{rule}，均符合")
            found = g
            break
        why = []
        if not total_ok:
            why.append(f"总分 {_n(total)} 不足 {_n(g.min_total)}")
        if short:
            why.append(f"{'、'.join(short)}得分率不足 {_pct(g.min_section_share)}")
        lines.append(f"{rule}；{'，'.join(why)}，不符合")
    lines.append(f"评定结果：{found.name}" if found else "评定结果：未达到任何等级")
    return Result(total=total, grade=found.name if found else None, lowest_share=lowest.quantize(SHARE_PLACES, ROUND_HALF_UP),
                  explanation=lines, rank=found.rank if found else None, scores=clean)  # fmt: skip


# ---------------------------------------------------------------------------------------------------
# Hooks: what a business line runs when a grading's notice starts (e.g. opens a case with a 公示 step)


NOTICE_OPENERS: Registry = Registry("等级评定公示")


def notice_opener_register(kind: str, opener: Callable) -> Callable:
    """``opener(grading=…, user=…) -> str``: called (in the transaction) when a grading of ``kind``
    enters its public notice without a reference; returns the reference of what it opened."""
    NOTICE_OPENERS[kind] = opener
    return opener


# ---------------------------------------------------------------------------------------------------
# Services: sheets


@transaction.atomic
def grading_sheet_create(*, user, kind: str, code: str, name: str, effective_from, sections, grades,
                         source_document: str = "") -> GradingSheet:  # fmt: skip
    """A new version of a score sheet (``supervision.configure``), unpublished; checked whole."""
    permission_require(user, "supervision.configure", None, message="无权配置评分表")
    kind_get(kind)
    code, name = text(code, 40), text(name, 200)
    if not code or not name:
        raise ValidationError({"code": "请填写评分表代码和名称"})
    sheet = Sheet.from_data(code, sections, grades, name)
    start = day(effective_from, "effective_from", "启用日期")
    version = (GradingSheet.objects.filter(code=code).aggregate(v=Max("version"))["v"] or 0) + 1
    if GradingSheet.objects.filter(code=code).exclude(kind=kind).exists():
        raise ValidationError({"code": f"评分表代码「{code}」已用于其他类别"})
    row = GradingSheet.objects.create(kind=kind, code=code, version=version, name=name, effective_from=start,
                                      source_document=text(source_document, 200), created_by=actor(user))  # fmt: skip
    GradingSection.objects.bulk_create(
        [GradingSection(sheet=row, order=i, name=s.name, maximum=s.maximum) for i, s in enumerate(sheet.sections, 1)]
    )
    GradingGrade.objects.bulk_create(
        [
            GradingGrade(
                sheet=row, rank=g.rank, name=g.name, min_total=g.min_total, min_section_share=g.min_section_share
            )
            for g in sheet.grades
        ]
    )
    audit_record(action="supervision.grading_sheet_create", object_type="supervision.gradingsheet", object_id=row.pk,
                 summary=f"新建评分表 {name}（{code} 第{version}版）",
                 changes={"sections": {s.name: str(s.maximum) for s in sheet.sections},
                          "grades": {g.name: [str(g.min_total), str(g.min_section_share)] for g in sheet.grades}})  # fmt: skip
    return row


@transaction.atomic
def grading_sheet_publish(*, user, sheet: GradingSheet) -> GradingSheet:
    permission_require(user, "supervision.configure", None, message="无权发布评分表")
    sheet = locked(GradingSheet, sheet)
    if sheet.published:
        raise ValidationError({"sheet": "该评分表已发布；修改请新建版本"})
    sheet.published = True
    sheet.save(update_fields=["published"])
    audit_record(action="supervision.grading_sheet_publish", object_type="supervision.gradingsheet",
                 object_id=sheet.pk, summary=f"发布评分表 {sheet}")  # fmt: skip
    return sheet


# ---------------------------------------------------------------------------------------------------
# Services: the grading process


def _move(grading: Grading, to: str, allowed_from: set[str], *, user, note: str = "", doing: str) -> str:
    before = grading.state
    if before not in allowed_from:
        raise ValidationError({"state": f"等级评定处于「{S(before).label}」，不能{doing}"})
    grading.state = to
    GradingEvent.objects.create(grading=grading, state_from=before, state_to=to, note=note[:1000], actor=actor(user))
    return before


def _require(user, grading_or_region, message: str) -> None:
    region = grading_or_region if isinstance(grading_or_region, str) else grading_or_region.region_code
    permission_require(user, "supervision.grade", region, message=message)


def _audit(grading: Grading, action: str, summary: str, changes: dict | None = None) -> None:
    audit_record(action=f"supervision.{action}", object_type="supervision.grading", object_id=grading.pk,
                 region_code=grading.region_code, summary=f"{summary}：{label(grading.supervised)}",
                 changes=changes)  # fmt: skip


def _plain(scores: dict[str, Decimal]) -> dict[str, str]:
    return {k: f"{v:f}" for k, v in scores.items()}


@transaction.atomic
def grading_self_assess(*, user, supervised: Supervised, sheet: GradingSheet, scores: dict, assessed_on=None,
                        channel: str = Channel.STAFF, submitted_by_name: str = "") -> Grading:  # fmt: skip
    """Start a grading with the entity's self-assessment (自评): entered by staff (``supervision.grade``
    over the entity's region) or through the institution's own account (``institution``: ``user``
    None, the site has checked the account's entity). One running grading per entity and sheet."""
    region = supervised.entity.region_code
    if channel == Channel.STAFF:
        _require(user, region, "无权在该区划组织等级评定")
    elif channel == Channel.INSTITUTION:
        if user is not None:
            raise PermissionDenied("机构端自评不能由工作人员账号代为办理")
        if not text(submitted_by_name, 50):
            raise ValidationError({"submitted_by_name": "请注明提交人"})
    else:
        raise ValidationError({"channel": "提交方式无效"})
    if not sheet.published:
        raise ValidationError({"sheet": "评分表尚未发布"})
    if sheet.kind != supervised.kind:
        raise ValidationError({"sheet": "评分表不适用于该类监管对象"})
    supervised = locked(Supervised, supervised)
    if Grading.objects.filter(supervised=supervised, sheet__code=sheet.code,
                              state__in=[S.SELF_ASSESSED, S.PANEL, S.SCORED, S.NOTICE]).exists():  # fmt: skip
        raise ValidationError({"supervised": f"{label(supervised)}已有进行中的等级评定"})
    result = sheet_evaluate(sheet, scores)
    on = day(assessed_on, "assessed_on", "自评日期", future=False)
    grading = Grading.objects.create(
        supervised=supervised, sheet=sheet, region_code=region, state=S.SELF_ASSESSED,
        self_scores=_plain(result.scores), self_total=result.total, self_grade=result.grade or "",
        self_assessed_on=on, created_by=actor(user),
    )  # fmt: skip
    who = text(submitted_by_name, 50) or (str(user) if user else "")
    GradingEvent.objects.create(grading=grading, state_to=S.SELF_ASSESSED, actor=actor(user),
                                note=f"自评 {_n(result.total)} 分（{result.grade or '未达等级'}），{Channel(channel).label}：{who}")  # fmt: skip
    _audit(
        grading,
        "grading_self_assess",
        f"等级评定自评 {_n(result.total)} 分",
        {"scores": _plain(result.scores), "grade": result.grade, "channel": channel},
    )
    return grading


@transaction.atomic
def grading_panel_score(*, user, grading: Grading, member_name: str, scores: dict, member=None) -> GradingScore:
    """Record one panel member's scores (the first one moves the grading to 评审打分中). A member
    scores once; ``member`` is their account when they have one."""
    grading = locked(Grading, grading)
    _require(user, grading, "无权录入该区划的评审打分")
    name = text(member_name, 50) or (str(member) if member else "")
    if not name:
        raise ValidationError({"member_name": "请填写评审人员姓名"})
    if grading.state == S.SELF_ASSESSED:
        _move(grading, S.PANEL, {S.SELF_ASSESSED}, user=user, doing="开始评审打分", note="开始评审打分")
        grading.save(update_fields=["state"])
    elif grading.state != S.PANEL:
        raise ValidationError({"state": f"等级评定处于「{grading.get_state_display()}」，不能录入评审打分"})
    if grading.panel_scores.filter(member_name=name).exists():
        raise ValidationError({"member_name": f"评审人员「{name}」已打分"})
    result = sheet_evaluate(grading.sheet, scores)
    row = GradingScore.objects.create(grading=grading, member=member, member_name=name,
                                      scores=_plain(result.scores), total=result.total)  # fmt: skip
    _audit(
        grading, "grading_panel_score", f"评审打分（{name}）{_n(result.total)} 分", {"scores": _plain(result.scores)}
    )
    return row


@transaction.atomic
def grading_panel_close(*, user, grading: Grading) -> Grading:
    """Close the panel: each section's score is the members' mean (to the cent, half up), the
    total and the proposed grade follow from the sheet. At least the standard
    ``supervision_grading_panel_min`` members (1 when not configured)."""
    grading = locked(Grading, grading)
    _require(user, grading, "无权办理该区划的等级评定")
    rows = list(grading.panel_scores.all())
    standards = standards_for(region_code=grading.region_code, hukou_type="", as_of=today())
    minimum = int(standards.get(PANEL_MIN.key)) if standards.has(PANEL_MIN.key) else 1
    if grading.state == S.PANEL and len(rows) < minimum:
        raise ValidationError({"panel": f"评审人员须至少 {minimum} 人，现有 {len(rows)} 人"})
    _move(grading, S.SCORED, {S.PANEL}, user=user, doing="结束评审打分", note=f"{len(rows)} 名评审人员打分")
    sheet = sheet_of(grading.sheet)
    mean = {s.name: (sum((Decimal(r.scores[s.name]) for r in rows), Decimal(0)) / len(rows)).quantize(CENT, ROUND_HALF_UP)
            for s in sheet.sections}  # fmt: skip
    result = sheet_evaluate(sheet, mean)
    grading.scores, grading.total, grading.proposed_grade = _plain(result.scores), result.total, result.grade or ""
    grading.save(update_fields=["state", "scores", "total", "proposed_grade"])
    _audit(
        grading,
        "grading_panel_close",
        f"评审结束：{_n(result.total)} 分，拟评 {result.grade or '未达等级'}",
        {"scores": grading.scores, "members": len(rows)},
    )
    return grading


@transaction.atomic
def grading_notice_open(*, user, grading: Grading, start, end, reference: str = "") -> Grading:
    """Start the public notice (公示) of the proposed grade from ``start`` to ``end``. Without a
    ``reference``, the kind's registered opener (:func:`notice_opener_register`) is called and its
    answer kept as the reference."""
    grading = locked(Grading, grading)
    _require(user, grading, "无权办理该区划的等级评定")
    start = day(start, "notice_start", "公示开始日期")
    end = day(end, "notice_end", "公示结束日期")
    if end < start:
        raise ValidationError({"notice_end": "公示结束日期不能早于开始日期"})
    _move(grading, S.NOTICE, {S.SCORED}, user=user, doing="开始公示", note=f"公示 {start} 至 {end}")
    grading.notice_start, grading.notice_end = start, end
    reference = text(reference, 60)
    opener = NOTICE_OPENERS.get(grading.supervised.kind)
    if not reference and opener is not None:
        reference = text(opener(grading=grading, user=user) or "", 60)
    grading.notice_reference = reference
    grading.save(update_fields=["state", "notice_start", "notice_end", "notice_reference"])
    _audit(
        grading,
        "grading_notice_open",
        f"等级评定公示（拟评 {grading.proposed_grade or '未达等级'}）",
        {"start": start.isoformat(), "end": end.isoformat(), "reference": reference},
    )
    return grading


@transaction.atomic
def grading_return(*, user, grading: Grading, reason: str) -> Grading:
    """Send a scored or noticed grading back to the panel (an objection upheld, scores to redo):
    the panel's scores go into the audit row and the panel scores again."""
    grading = locked(Grading, grading)
    _require(user, grading, "无权办理该区划的等级评定")
    reason = text(reason, 1000)
    if not reason:
        raise ValidationError({"reason": "请填写退回原因"})
    before = _move(grading, S.PANEL, {S.SCORED, S.NOTICE}, user=user, doing="退回重新评审", note=reason)
    old = list(grading.panel_scores.values("member_name", "scores", "total"))
    grading.panel_scores.all().delete()
    grading.scores, grading.total, grading.proposed_grade = {}, None, ""
    grading.notice_start = grading.notice_end = None
    grading.notice_reference = ""
    grading.save(update_fields=["state", "scores", "total", "proposed_grade", "notice_start", "notice_end",
                                "notice_reference"])  # fmt: skip
    _audit(
        grading,
        "grading_return",
        f"等级评定退回重新评审（{reason[:40]}）",
        {"from": before, "reason": reason, "panel": [{**r, "total": str(r["total"])} for r in old]},
    )
    return grading


@transaction.atomic
def grading_decide(*, user, grading: Grading, decided_on=None, decision_number: str = "", valid_from=None,
                   valid_until=None) -> Grading:  # fmt: skip
    """Decide the grade after the notice has ended: the proposed grade (or none), valid from
    ``valid_from`` (the decision day) to ``valid_until`` (or the standard's months later)."""
    grading = locked(Grading, grading)
    _require(user, grading, "无权办理该区划的等级评定")
    if grading.state != S.NOTICE:
        raise ValidationError({"state": f"等级评定处于「{grading.get_state_display()}」，不能评定（须经公示）"})
    on = day(decided_on, "decided_on", "评定日期", future=False)
    if on <= grading.notice_end:
        raise ValidationError({"decided_on": f"公示期至 {grading.notice_end} 结束，公示期满后方可评定"})
    start = day(valid_from, "valid_from", "有效期起", default=on)
    if valid_until in (None, ""):
        standards = standards_for(region_code=grading.region_code, hukou_type="", as_of=on)
        if not standards.has(VALIDITY_MONTHS.key):
            raise ValidationError({"valid_until": "请填写有效期至（本地区未配置等级评定结果有效期）"})
        until = add_months(start, int(standards.get(VALIDITY_MONTHS.key))) - dt.timedelta(days=1)
    else:
        until = day(valid_until, "valid_until", "有效期至")
    if until < start:
        raise ValidationError({"valid_until": "有效期至不能早于有效期起"})
    _move(grading, S.DECIDED, {S.NOTICE}, user=user, doing="评定", note=text(decision_number, 100))
    rank = grading.sheet.grades.filter(name=grading.proposed_grade).values_list("rank", flat=True).first()
    grading.grade, grading.grade_rank = grading.proposed_grade, rank
    grading.decided_on, grading.decision_number = on, text(decision_number, 100)
    grading.valid_from, grading.valid_until = start, until
    grading.save(update_fields=["state", "grade", "grade_rank", "decided_on", "decision_number", "valid_from",
                                "valid_until"])  # fmt: skip
    _audit(grading, "grading_decide", f"评定等级 {grading.grade or '未达等级'}（有效期至 {until}）",
           {"grade": grading.grade, "valid_from": start.isoformat(), "valid_until": until.isoformat(),
            "decision_number": grading.decision_number})  # fmt: skip
    return grading


@transaction.atomic
def grading_withdraw(*, user, grading: Grading, reason: str) -> Grading:
    """End a running grading without a grade (the entity withdrew, closed …)."""
    grading = locked(Grading, grading)
    _require(user, grading, "无权办理该区划的等级评定")
    reason = text(reason, 1000)
    if not reason:
        raise ValidationError({"reason": "请填写终止原因"})
    _move(grading, S.WITHDRAWN, {S.SELF_ASSESSED, S.PANEL, S.SCORED, S.NOTICE}, user=user, doing="终止", note=reason)
    grading.save(update_fields=["state"])
    _audit(grading, "grading_withdraw", f"终止等级评定（{reason[:40]}）", {"reason": reason})
    return grading


# ---------------------------------------------------------------------------------------------------
# Reads


def sheet_for(*, kind: str, on: dt.date, code: str = "") -> GradingSheet | None:
    """The published sheet of ``kind`` (and ``code``) in force on ``on``: the latest start on or
    before it, the highest version."""
    qs = GradingSheet.objects.filter(kind=kind, published=True, effective_from__lte=on)
    if code:
        qs = qs.filter(code=code)
    return qs.order_by("-effective_from", "-version").first()


def grade_history(supervised: Supervised) -> QuerySet:
    """The entity's decided gradings, newest first (its history of grades)."""
    return supervised.gradings.filter(state=S.DECIDED).order_by("-decided_on", "-pk")


def grade_current(supervised: Supervised, on: dt.date | None = None) -> Grading | None:
    """The decided grading in force on ``on`` (the latest decided whose validity covers it)."""
    on = on or today()
    return grade_history(supervised).filter(valid_from__lte=on, valid_until__gte=on).first()


def grades_expiring(user, *, region: str = "", within_days: int | None = None, on: dt.date | None = None) -> QuerySet:
    """Decided grades under the user's ``supervision.view`` grants (``user`` None: all) ending
    within ``within_days`` of ``on`` (the standard ``supervision_grade_expiry_notice_days`` of the
    region when not given) that no later decision of the same entity and sheet has replaced."""
    on = on or today()
    if within_days is None:
        standards = standards_for(region_code=(region or "").ljust(12, "0") if region else "", hukou_type="", as_of=on)
        if not standards.has(EXPIRY_NOTICE_DAYS.key):
            raise ValidationError({"within_days": "本地区未配置等级到期提醒天数，请指定天数"})
        within_days = int(standards.get(EXPIRY_NOTICE_DAYS.key))
    if within_days < 0:
        raise ValidationError({"within_days": "天数不能为负数"})
    qs = Grading.objects.all() if user is None else Grading.objects.for_user(user, "supervision.view")
    if region:
        qs = qs.under(region_prefix(region))
    qs = qs.filter(state=S.DECIDED, valid_until__gte=on, valid_until__lte=on + dt.timedelta(days=within_days))
    newer = Grading.objects.filter(state=S.DECIDED, supervised_id=OuterRef("supervised_id"),
                                   sheet__code=OuterRef("sheet__code"), decided_on__gt=OuterRef("decided_on"))  # fmt: skip
    return qs.exclude(Exists(newer)).select_related("supervised__entity", "sheet").order_by("valid_until", "pk")
