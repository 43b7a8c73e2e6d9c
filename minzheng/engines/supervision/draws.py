"""双随机一公开: draw plans that pick entities and inspectors at random, reproducibly, and publish.

**The pools.** The entity pool (检查对象名录库) is every supervised entity of the plan's kind whose
status is among the plan's (运营 by default) and whose region lies under the plan's, ordered by USCC;
each carries its risk class on the draw day (:class:`~.models.RiskClass`: 较高 when it has an open
major hazard, its current grade is 未达等级, or it is on a list that raises risk; else 一般). The
inspector pool (执法检查人员名录库) is every active user holding ``supervision.inspect`` through a grant
at, above or under the plan's region (``accounts.selectors.users_with_permission``), ordered by
username, each with the townships (9-digit prefixes) of their grants at township level or below.

**Exclusions.** An inspector is never paired with an entity they have declared an avoidance with
(:class:`~.models.Avoidance` in force), nor — where the standard
``supervision_draw_exclude_township`` is 1 for the region on the day, or the plan says so — with an
entity of their own township.

**The draw** (:func:`draw_compute`, algorithm ``sha256-es-v1``, a pure function of what the plan
records). ``u(x) = (int(SHA-256(seed ␟ x)[:8]) + ½) / 2⁶⁴`` is a uniform number in (0, 1) fixed by
the seed. Entities: weighted sampling without replacement (Efraimidis–Spirakis): each entity's key
is ``−ln u("entity" ␟ USCC) / w`` with ``w`` the weight of its risk class (standard
``supervision_draw_weight``, mode = class; 1 when not configured), and the ``n`` smallest keys are
drawn (ties by USCC), in that order; ``n`` is the plan's count, or ``round_half_up(share × pool)``
(at least 1). A class of weight 3 is about three times as likely to be drawn. Inspectors: the pool is
shuffled by the key ``u("inspector" ␟ username)``; each drawn entity in turn takes, from the front
of that queue, the first ``k`` inspectors not excluded from it, who then go to the back (those
skipped keep their place): the work is spread evenly and no excluded pair is ever made. Hashes, not
``random``: the result does not depend on the Python version, and anyone can re-run it from the
recorded seed and pools (:func:`draw_verify`).

**Publishing** (公开): :func:`draw_publish` stamps the result, :func:`draw_findings_publish` the
findings summary after the inspections; the portal reads :func:`published_draws`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import math
from collections import deque
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from minzheng.foundation.accounts.models import User
from minzheng.foundation.accounts.scoping import has_permission, permission_require
from minzheng.foundation.accounts.selectors import permission_holders
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.numbering.services import sequence_take
from minzheng.foundation.parameters.standards import FLAG, MULTIPLE, standard_type, standards_for
from minzheng.foundation.regions.prefixes import prefix_q
from minzheng.foundation.regions.selectors import region_get, region_prefix

from . import listings
from ._shared import actor, day, label, locked, text
from .kinds import kind_get
from .models import (
    Avoidance,
    DrawPair,
    DrawPlan,
    Grading,
    GradingState,
    Hazard,
    HazardLevel,
    HazardState,
    Inspection,
    Purpose,
    RiskClass,
    Supervised,
    SupervisionStatus,
)

ALGORITHM = "sha256-es-v1"
TOWNSHIP_DIGITS = 9
MAX_PER_ENTITY = 10

DRAW_WEIGHT = standard_type(
    "supervision_draw_weight",
    "双随机抽取权重（信用风险分类）",
    MULTIPLE,
    "倍",
    modes=tuple(RiskClass.choices),
    program="supervision",
    help="同一抽查中该风险分类的监管对象被抽中的相对机会；未配置的分类按 1 倍",
)
EXCLUDE_TOWNSHIP = standard_type(
    "supervision_draw_exclude_township",
    "双随机抽查回避本乡镇（街道）检查人员",
    FLAG,
    "",
    program="supervision",
    help="1：不派监管对象所在乡镇（街道）的检查人员检查该对象",
)


# ---------------------------------------------------------------------------------------------------
# The pure draw


def _unit(seed: str, *parts: str) -> float:
    """``u(seed ␟ part ␟ …)``: a uniform number in (0, 1) from the first 8 bytes of the SHA-256."""
    digest = hashlib.sha256("\x1f".join((seed, *parts)).encode("utf-8")).digest()
    return (int.from_bytes(digest[:8], "big") + 0.5) / 2.0**64


def _units(seed: str, space: str, names) -> list[float]:
    """:func:`_unit` of ``(seed, space, name)`` for many names at once (the common prefix hashed once)."""
    head = hashlib.sha256(f"{seed}\x1f{space}\x1f".encode())
    out = []
    for name in names:
        h = head.copy()
        h.update(name.encode("utf-8"))
        out.append((int.from_bytes(h.digest()[:8], "big") + 0.5) / 2.0**64)
    return out


@dataclass(frozen=True)
class Pair:
    uscc: str
    risk_class: str
    inspectors: tuple[str, ...]


def draw_compute(*, seed: str, entity_pool, inspector_pool, exclusions, weights: dict, count: int,
                 per_entity: int, exclude_township: bool) -> list[Pair]:  # fmt: skip
    """The pairs of a draw, from what a plan records: ``entity_pool`` ``[[uscc, class, township],
    …]``, ``inspector_pool`` ``[[username, [townships]], …]``, ``exclusions`` ``[[uscc, username,
    reason], …]``, ``weights`` ``{class: multiple}``. Refuses (``ValidationError``, Chinese) a count
    above the pool, or an entity for which fewer than ``per_entity`` inspectors remain."""
    if count > len(entity_pool):
        raise ValidationError({"entities": f"检查对象名录库只有 {len(entity_pool)} 户，不能抽取 {count} 户"})
    if per_entity > len(inspector_pool):
        raise ValidationError(
            {"inspectors_per_entity": f"执法检查人员名录库只有 {len(inspector_pool)} 人，不能每户派 {per_entity} 人"}
        )
    weight = {cls: float(Decimal(str(w))) for cls, w in weights.items()}
    units = _units(seed, "entity", [row[0] for row in entity_pool])
    log = math.log
    keyed = [(-log(u) / weight.get(row[1], 1.0), *row) for u, row in zip(units, entity_pool, strict=True)]
    drawn = heapq.nsmallest(count, keyed)
    avoid: dict[str, set[str]] = {}
    for uscc, username, _reason in exclusions:
        avoid.setdefault(uscc, set()).add(username)
    townships = {username: set(ts) for username, ts in inspector_pool}
    names = [username for username, _ts in inspector_pool]
    queue = deque(name for _u, name in sorted(zip(_units(seed, "inspector", names), names, strict=True)))
    pairs = []
    for _key, uscc, cls, township in drawn:
        excluded = avoid.get(uscc, set())
        picked, skipped = [], []
        while queue and len(picked) < per_entity:
            username = queue.popleft()
            if username in excluded or (exclude_township and township in townships[username]):
                skipped.append(username)
            else:
                picked.append(username)
        queue.extendleft(reversed(skipped))
        queue.extend(picked)
        if len(picked) < per_entity:
            raise ValidationError(
                {
                    "inspectors_per_entity": f"监管对象 {uscc} 回避后可派检查人员只有 {len(picked)} 人，不足 {per_entity} 人"
                }
            )
        pairs.append(Pair(uscc, cls, tuple(picked)))
    return pairs


def draw_count(*, pool_size: int, count: int | None, share: Decimal | None) -> int:
    if count is not None:
        return count
    n = int((share * pool_size).to_integral_value(ROUND_HALF_UP))
    return max(n, 1) if pool_size and share > 0 else n


# ---------------------------------------------------------------------------------------------------
# The pools from the database (set-based: a handful of queries whatever the pool's size)


def _region(region_code: str):
    region = region_get(region_code or "")
    if region is None:
        raise ValidationError({"region_code": f"区划代码 {region_code or '（空）'} 不存在"})
    return region


def risk_classes(*, kind: str, prefix: str, on: dt.date) -> dict[int, str]:
    """``{supervised id: risk class}`` of the entities of ``kind`` under ``prefix`` that are 较高
    on ``on`` (the others are 一般): an open major hazard, a current grade of 未达等级, or an entry
    on a list that raises risk. Three queries."""
    high: set[int] = set()
    hazards = Hazard.objects.filter(prefix_q("supervised__entity__region_code", [prefix]), supervised__kind=kind,
                                    level=HazardLevel.MAJOR, found_on__lte=on).exclude(state=HazardState.CLOSED)  # fmt: skip
    high |= set(hazards.values_list("supervised_id", flat=True))
    decided = Grading.objects.filter(
        prefix_q("supervised__entity__region_code", [prefix]), supervised__kind=kind, state=GradingState.DECIDED,
        valid_from__lte=on, valid_until__gte=on,
    ).values_list("supervised_id", "decided_on", "pk", "grade")  # fmt: skip
    latest: dict[int, tuple] = {}
    for sid, decided_on, pk, grade in decided:
        if sid not in latest or (decided_on, pk) > latest[sid][:2]:
            latest[sid] = (decided_on, pk, grade)
    high |= {sid for sid, (_d, _pk, grade) in latest.items() if not grade}
    high |= listings.listed_supervised_ids(kind=kind, prefix=prefix, on=on)
    return dict.fromkeys(high, RiskClass.HIGH)


def entity_pool(*, kind: str, prefix: str, statuses, on: dt.date) -> list[tuple[int, str, str, str]]:
    """``[(supervised id, uscc, risk class, township), …]`` by USCC."""
    rows = Supervised.objects.filter(prefix_q("entity__region_code", [prefix]), kind=kind, status__in=statuses)
    rows = rows.order_by("entity__uscc").values_list("pk", "entity__uscc", "entity__region_code")
    rows = list(rows)
    classes = risk_classes(kind=kind, prefix=prefix, on=on)
    return [(pk, uscc, classes.get(pk, RiskClass.NORMAL), region[:TOWNSHIP_DIGITS]) for pk, uscc, region in rows]


def inspector_pool(*, prefix: str) -> list[tuple[int, str, list[str]]]:
    """``[(user id, username, [townships]), …]`` by username: the active users holding
    ``supervision.inspect`` at, above or under ``prefix`` (the rule of
    ``accounts.selectors.users_with_permission``, read as values in one query); townships of their
    grants at township level or below."""
    holders = permission_holders("supervision.inspect", prefix, below=True)
    out = []
    for user_id, (username, prefixes) in holders.items():
        towns = sorted({p[:TOWNSHIP_DIGITS] for p in prefixes if len(p) >= TOWNSHIP_DIGITS})
        out.append((user_id, username, towns))
    out.sort(key=lambda row: row[1])
    return out


# ---------------------------------------------------------------------------------------------------
# Services


def _plan_clean(*, kind, region_code, entities, share, inspectors_per_entity, seed, statuses):
    errors: dict[str, str] = {}
    try:
        kind_get(kind or "")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    region = None
    try:
        region = _region(region_code)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    count = None
    if (entities is None) == (share is None):
        errors["entities"] = "请指定抽取数量（entities）或抽取比例（share）之一"
    elif entities is not None:
        if isinstance(entities, bool) or not isinstance(entities, int) or entities < 1:
            errors["entities"] = "抽取数量应为正整数"
        else:
            count = entities
    else:
        try:
            if isinstance(share, bool) or (isinstance(share, float) and not math.isfinite(share)):
                raise InvalidOperation
            share = Decimal(str(share))
            if not share.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors["share"] = "抽取比例应为 0 到 1 之间的数"
        else:
            if not (0 < share <= 1):
                errors["share"] = "抽取比例应大于 0 且不超过 1（如 0.05 表示 5%）"
            elif share.as_tuple().exponent < -4:
                errors["share"] = "抽取比例最多保留4位小数"
    k = inspectors_per_entity
    if isinstance(k, bool) or not isinstance(k, int) or not (1 <= k <= MAX_PER_ENTITY):
        errors["inspectors_per_entity"] = f"每户检查人员数应为 1 到 {MAX_PER_ENTITY} 的整数"
    if not isinstance(seed, str) or not seed.strip() or len(seed) > 100:
        errors["seed"] = "随机种子应为不超过100字的文字"
    statuses = list(statuses or [SupervisionStatus.OPERATING])
    bad = [s for s in statuses if s not in SupervisionStatus.values]
    if bad:
        errors["statuses"] = f"监管状态「{'、'.join(map(str, bad))}」无效，应为 {'、'.join(SupervisionStatus.values)}"
    if errors:
        raise ValidationError(errors)
    return region, count, (share if count is None else None), statuses


@transaction.atomic
def draw_run(*, user, kind: str, region_code: str, inspectors_per_entity: int, seed: str,
             entities: int | None = None, share=None, statuses=None, name: str = "",
             purpose: str = Purpose.RANDOM, exclude_township: bool | None = None, on=None) -> DrawPlan:  # fmt: skip
    """Draw a plan (``supervision.draw`` over the region): the pools read, recorded with the seed,
    the weights and the exclusions, the pairs computed by :func:`draw_compute` and saved. Not yet
    public (:func:`draw_publish`)."""
    region, count, share, statuses = _plan_clean(
        kind=kind, region_code=region_code, entities=entities, share=share,
        inspectors_per_entity=inspectors_per_entity, seed=seed, statuses=statuses,
    )  # fmt: skip
    permission_require(user, "supervision.draw", region.code, message="无权在该区划组织双随机抽查")
    if purpose not in Purpose.values:
        raise ValidationError({"purpose": "检查类型无效"})
    on = day(on, "drawn_on", "抽取日期", future=False)
    prefix = region.prefix
    standards = standards_for(region_code=region.code, hukou_type="", as_of=on)
    weights = {}
    for cls in RiskClass.values:
        w = standards.decimal(DRAW_WEIGHT.key, cls) if standards.has(DRAW_WEIGHT.key, cls) else Decimal(1)
        if w <= 0:
            raise ValidationError({"weights": f"{RiskClass(cls).label}的抽取权重须大于 0"})
        weights[cls] = f"{w.normalize():f}"
    if exclude_township is None:
        exclude_township = standards.has(EXCLUDE_TOWNSHIP.key) and standards.get(EXCLUDE_TOWNSHIP.key) == 1
    pool = entity_pool(kind=kind, prefix=prefix, statuses=statuses, on=on)
    inspectors = inspector_pool(prefix=prefix)
    by_uscc = {uscc: pk for pk, uscc, _cls, _t in pool}
    users = {username: user_id for user_id, username, _towns in inspectors}
    avoid = Avoidance.objects.filter(prefix_q("supervised__entity__region_code", [prefix]), supervised__kind=kind,
                                     ended_on__isnull=True, declared_on__lte=on)  # fmt: skip
    exclusions = sorted(
        [uscc, username, reason]
        for uscc, username, reason in avoid.values_list("supervised__entity__uscc", "inspector__username", "reason")
        if uscc in by_uscc and username in users
    )
    record = {
        "entity_pool": [[uscc, cls, town] for _pk, uscc, cls, town in pool],
        "inspector_pool": [[username, towns] for _id, username, towns in inspectors],
        "exclusions": exclusions,
        "weights": weights,
    }
    n = draw_count(pool_size=len(pool), count=count, share=share)
    pairs = draw_compute(seed=seed, **record, count=n, per_entity=inspectors_per_entity,
                         exclude_township=exclude_township)  # fmt: skip
    serial = sequence_take(key=f"supervision.draw.{prefix}.{on.year}")
    plan = DrawPlan.objects.create(
        number=f"SJ{prefix}-{on.year}-{serial:04d}",
        name=text(name, 200) or f"{kind_get(kind).label}双随机抽查（{on.isoformat()}）",
        kind=kind, purpose=purpose, region_code=region.code, statuses=statuses, entity_count=count,
        entity_share=share, inspectors_per_entity=inspectors_per_entity, exclude_township=exclude_township,
        seed=seed, algorithm=ALGORITHM, drawn_on=on, created_by=actor(user), **record,
    )  # fmt: skip
    rows = [
        DrawPair(plan=plan, order=i, supervised_id=by_uscc[p.uscc], uscc=p.uscc, risk_class=p.risk_class,
                 inspector_usernames=list(p.inspectors))
        for i, p in enumerate(pairs, 1)
    ]  # fmt: skip
    DrawPair.objects.bulk_create(rows, batch_size=1000)
    saved = dict(DrawPair.objects.filter(plan=plan).values_list("order", "pk"))
    through = DrawPair.inspectors.through
    through.objects.bulk_create(
        [through(drawpair_id=saved[i], user_id=users[u]) for i, p in enumerate(pairs, 1) for u in p.inspectors],
        batch_size=2000,
    )
    high = sum(1 for p in pairs if p.risk_class == RiskClass.HIGH)
    audit_record(
        action="supervision.draw_run", object_type="supervision.drawplan", object_id=plan.pk, region_code=region.code,
        summary=f"双随机抽取 {plan.number}：{len(pool)} 户中抽取 {len(pairs)} 户（较高风险 {high} 户），"
        f"{len(inspectors)} 名检查人员中每户 {inspectors_per_entity} 人，种子 {seed[:30]}",
        changes={"seed": seed, "count": len(pairs), "entity_pool": len(pool), "inspector_pool": len(inspectors),
                 "weights": weights, "exclude_township": exclude_township, "exclusions": len(exclusions)},
    )  # fmt: skip
    return plan


def draw_from_json(data) -> dict:
    """``minzheng supervision draw --plan-json F``: the plan of ``data`` (``kind``, ``region_code``,
    ``entities`` or ``share``, ``inspectors_per_entity``, ``seed``; optional ``name``,
    ``statuses``, ``exclude_township``, ``date``) drawn by the system, as ``{"plan", "seed",
    "pairs": [{"entity", "inspectors"}]}``. Unknown keys are refused."""
    if not isinstance(data, dict):
        raise ValidationError({"plan": "抽查计划应为一个 JSON 对象"})
    allowed = {"kind", "region_code", "entities", "share", "inspectors_per_entity", "seed", "name", "statuses",
               "exclude_township", "date"}  # fmt: skip
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError({"plan": f"不认识的项目：{'、'.join(unknown)}（可用：{'、'.join(sorted(allowed))}）"})
    missing = [k for k in ("kind", "region_code", "inspectors_per_entity", "seed") if k not in data]
    if missing:
        raise ValidationError({"plan": f"缺少项目：{'、'.join(missing)}"})
    exclude = data.get("exclude_township")
    if exclude is not None and not isinstance(exclude, bool):
        raise ValidationError({"exclude_township": "exclude_township 应为 true 或 false"})
    plan = draw_run(
        user=None, kind=data["kind"], region_code=str(data["region_code"]), entities=data.get("entities"),
        share=data.get("share"), inspectors_per_entity=data["inspectors_per_entity"], seed=data["seed"],
        name=data.get("name") or "", statuses=data.get("statuses"), exclude_township=exclude, on=data.get("date"),
    )  # fmt: skip
    return draw_result(plan)


def draw_result(plan: DrawPlan) -> dict:
    pairs = plan.pairs.order_by("order").values_list("uscc", "inspector_usernames")
    return {"plan": plan.number, "seed": plan.seed,
            "pairs": [{"entity": uscc, "inspectors": list(names)} for uscc, names in pairs]}  # fmt: skip


@transaction.atomic
def draw_publish(*, user, plan: DrawPlan) -> DrawPlan:
    """Publish (公开) the drawn result, stamped now; once."""
    plan = locked(DrawPlan, plan)
    permission_require(user, "supervision.draw", plan.region_code, message="无权公开该区划的抽查结果")
    if plan.published_at is not None:
        raise ValidationError({"plan": f"抽查结果已于 {timezone.localtime(plan.published_at):%Y-%m-%d %H:%M} 公开"})
    plan.published_at = timezone.now()
    plan.save(update_fields=["published_at"])
    audit_record(action="supervision.draw_publish", object_type="supervision.drawplan", object_id=plan.pk,
                 region_code=plan.region_code, summary=f"公开双随机抽取结果 {plan.number}")  # fmt: skip
    return plan


def draw_findings(plan: DrawPlan) -> dict:
    """What the inspections of a plan found: pairs, inspected (completed), hazards by level."""
    pairs = plan.pairs.all()
    done = Inspection.objects.filter(draw_pair__plan=plan, state="completed")
    hazards = Hazard.objects.filter(inspection__draw_pair__plan=plan)
    return {
        "drawn": pairs.count(),
        "inspected": done.count(),
        "with_hazards": done.filter(hazards__isnull=False).distinct().count(),
        "hazards_general": hazards.filter(level=HazardLevel.GENERAL).count(),
        "hazards_major": hazards.filter(level=HazardLevel.MAJOR).count(),
    }


@transaction.atomic
def draw_findings_publish(*, user, plan: DrawPlan, summary: str = "") -> DrawPlan:
    """Publish the findings summary (检查结果公开) after the result was published; the text given, or
    one made from :func:`draw_findings`. Once."""
    plan = locked(DrawPlan, plan)
    permission_require(user, "supervision.draw", plan.region_code, message="无权公开该区划的抽查结果")
    if plan.published_at is None:
        raise ValidationError({"plan": "请先公开抽取结果，再公开检查结果"})
    if plan.findings_published_at is not None:
        raise ValidationError({"plan": "检查结果已经公开"})
    summary = text(summary, 4000, multiline=True)
    if not summary:
        f = draw_findings(plan)
        summary = (f"本次抽取 {f['drawn']} 户，已完成检查 {f['inspected']} 户，其中发现隐患的 {f['with_hazards']} 户；"
                   f"一般隐患 {f['hazards_general']} 项，重大隐患 {f['hazards_major']} 项。")  # fmt: skip
    plan.findings_summary, plan.findings_published_at = summary, timezone.now()
    plan.save(update_fields=["findings_summary", "findings_published_at"])
    audit_record(action="supervision.draw_findings_publish", object_type="supervision.drawplan", object_id=plan.pk,
                 region_code=plan.region_code, summary=f"公开双随机检查结果 {plan.number}",
                 changes={"summary": summary})  # fmt: skip
    return plan


@transaction.atomic
def draw_pair_link(*, user, pair: DrawPair, inspection: Inspection) -> DrawPair:
    """Link the inspection made on a drawn entity to its pair (by one of the drawn inspectors, or
    a user holding ``supervision.draw``)."""
    pair = locked(DrawPair, pair)
    region = inspection.region_code
    if user is not None and not has_permission(user, "supervision.draw", region):
        if not (has_permission(user, "supervision.inspect", region) and user.username in pair.inspector_usernames):
            raise PermissionDenied("只有抽中的检查人员或抽查组织者可以关联该检查")
    if inspection.supervised_id != pair.supervised_id:
        raise ValidationError({"inspection": "该检查不是对抽中对象的检查"})
    if pair.inspection_id is not None:
        raise ValidationError({"inspection": "该抽取结果已关联检查"})
    if DrawPair.objects.filter(inspection=inspection).exists():
        raise ValidationError({"inspection": "该检查已关联其他抽取结果"})
    pair.inspection = inspection
    pair.save(update_fields=["inspection"])
    audit_record(action="supervision.draw_pair_link", object_type="supervision.drawpair", object_id=pair.pk,
                 region_code=region, summary=f"抽查 {pair.plan.number} 关联检查 #{inspection.pk}",
                 changes={"inspection": inspection.pk})  # fmt: skip
    return pair


@transaction.atomic
def avoidance_declare(*, user, inspector: User, supervised: Supervised, reason: str, declared_on=None) -> Avoidance:
    """Record an avoidance (回避) between an inspector and an entity: declared by the inspector
    (``supervision.inspect`` over the entity's region) or entered by a draw organiser
    (``supervision.draw``)."""
    region = supervised.entity.region_code
    if user is not None and not (user.pk == inspector.pk and has_permission(user, "supervision.inspect", region)):
        permission_require(user, "supervision.draw", region, message="无权登记该区划的检查回避")
    reason = text(reason, 300)
    if not reason:
        raise ValidationError({"reason": "请填写回避原因"})
    if Avoidance.objects.filter(inspector=inspector, supervised=supervised, ended_on__isnull=True).exists():
        raise ValidationError({"inspector": "该检查人员已对该监管对象申报回避"})
    on = day(declared_on, "declared_on", "申报日期", future=False)
    row = Avoidance.objects.create(inspector=inspector, supervised=supervised, reason=reason, declared_on=on,
                                   recorded_by=actor(user))  # fmt: skip
    audit_record(action="supervision.avoidance_declare", object_type="supervision.avoidance", object_id=row.pk,
                 region_code=region, summary=f"{inspector.username} 对 {label(supervised)} 申报回避",
                 changes={"inspector": inspector.username, "reason": reason})  # fmt: skip
    return row


@transaction.atomic
def avoidance_end(*, user, avoidance: Avoidance, reason: str, ended_on=None) -> Avoidance:
    """End an avoidance in force (``supervision.draw`` over the entity's region)."""
    avoidance = locked(Avoidance, avoidance)
    region = avoidance.supervised.entity.region_code
    permission_require(user, "supervision.draw", region, message="无权解除该区划的检查回避")
    if avoidance.ended_on is not None:
        raise ValidationError({"avoidance": f"该回避已于 {avoidance.ended_on} 解除"})
    reason = text(reason, 300)
    if not reason:
        raise ValidationError({"reason": "请填写解除原因"})
    on = day(ended_on, "ended_on", "解除日期", future=False)
    if on < avoidance.declared_on:
        raise ValidationError({"ended_on": "解除日期不能早于申报日期"})
    avoidance.ended_on, avoidance.end_reason = on, reason
    avoidance.save(update_fields=["ended_on", "end_reason"])
    audit_record(action="supervision.avoidance_end", object_type="supervision.avoidance", object_id=avoidance.pk,
                 region_code=region, summary=f"解除检查回避：{avoidance.inspector.username}", changes={"reason": reason})  # fmt: skip
    return avoidance


# ---------------------------------------------------------------------------------------------------
# Reads


def draw_verify(plan: DrawPlan) -> bool:
    """Re-run the draw from what the plan recorded and compare with its saved pairs."""
    n = draw_count(pool_size=len(plan.entity_pool), count=plan.entity_count, share=plan.entity_share)
    again = draw_compute(seed=plan.seed, entity_pool=plan.entity_pool, inspector_pool=plan.inspector_pool,
                         exclusions=plan.exclusions, weights=plan.weights, count=n,
                         per_entity=plan.inspectors_per_entity, exclude_township=plan.exclude_township)  # fmt: skip
    saved = list(plan.pairs.order_by("order").values_list("uscc", "risk_class", "inspector_usernames"))
    return [(p.uscc, p.risk_class, list(p.inspectors)) for p in again] == [(u, c, list(i)) for u, c, i in saved]


def draws_for(user, *, region: str = "") -> QuerySet:
    """The plans under the user's ``supervision.view`` grants."""
    qs = DrawPlan.objects.for_user(user, "supervision.view")
    return qs.under(region_prefix(region)) if region else qs


def published_draws(region: str) -> QuerySet:
    """The published plans the portal shows for ``region`` (a code or prefix): plans of a region
    under it, and plans of a region above it (a city's draw covers its counties), newest first."""
    region_obj = region_get(region or "")
    prefix = region_obj.prefix if region_obj else (region or "").strip()
    above = [prefix[:n].ljust(12, "0") for n in (2, 4, 6, 9, 12) if n <= len(prefix)]
    qs = DrawPlan.objects.filter(published_at__isnull=False).filter(
        prefix_q("region_code", [prefix]) | Q(region_code__in=above)
    )
    return qs.order_by("-published_at", "-pk").prefetch_related("pairs")
