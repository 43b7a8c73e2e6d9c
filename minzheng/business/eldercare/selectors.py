"""Every read of the eldercare line, starting from the user's grants (``for_user`` with the
permission named: another township's home is not found); the figures are set-based (a handful of
statements whatever the number of homes, ``figures``)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from minzheng.engines.benefits.models import Enrollment
from minzheng.engines.supervision.kinds import KINDS
from minzheng.engines.supervision.models import (
    AttributeValue,
    Hazard,
    HazardLevel,
    HazardState,
    StatusChange,
    Supervised,
    SupervisionStatus,
)
from minzheng.foundation.regions.prefixes import prefix_q
from minzheng.foundation.validation import is_digits

from .models import (
    AbilityAssessment,
    Admission,
    CareWorker,
    Competition,
    CompetitionEntry,
    Contract,
    CustodyEntry,
    Incident,
    IncidentState,
    PrepaidBreach,
    PrepaidReport,
)
from .policy import BED_ATTRIBUTES, KIND, LEVELS, NATURES, PUBLIC_NATURES

VIEW = "eldercare.view"
TEKUN = "tekun"
# the grading target of public homes: a county home 二级 or better, a township home 一级 or better
GRADE_TARGET = {"county": 2, "township": 1}
GRADE_NAMES = {1: "一级", 2: "二级", 3: "三级", 4: "四级", 5: "五级"}


def _prefix_filter(qs, field: str, region: str):
    """Rows under ``region`` (a 12-digit code means that region and everything under it)."""
    from minzheng.foundation.regions.selectors import region_prefix

    if region:
        if not is_digits(region):
            raise ValidationError({"region": "区划代码须为数字"})
        qs = qs.filter(prefix_q(field, [region_prefix(region)]))
    return qs


# ---------------------------------------------------------------------------------------------------
# Homes


def homes_for(user, *, permission: str = VIEW, region: str = "", nature: str = "", status: str = "",
              q: str = "") -> QuerySet:  # fmt: skip
    """The care homes the user may see, filtered by region prefix, nature, status and a name or
    credit-code fragment."""
    qs = Supervised.objects.for_user(user, permission).filter(kind=KIND).select_related("entity")
    qs = _prefix_filter(qs, "entity__region_code", region)
    if nature:
        qs = qs.filter(
            Exists(
                AttributeValue.objects.filter(
                    supervised=OuterRef("pk"), code="nature", value_text=nature, superseded_at__isnull=True
                )
            )
        )
    if status:
        qs = qs.filter(status=status)
    if q:
        q = q.strip()
        qs = qs.filter(Q(entity__name__contains=q) | Q(entity__uscc=q.upper()))
    return qs.order_by("entity__region_code", "entity__name", "pk")


def home_get(user, pk, *, permission: str = VIEW) -> Supervised:
    """One care home the user may see (404 otherwise)."""
    obj = Supervised.objects.for_user(user, permission).filter(kind=KIND, pk=pk).select_related("entity").first()
    if obj is None:
        raise Http404("养老机构不存在")
    return obj


def attributes_of(homes) -> dict[int, dict]:
    """``{home id: {code: value}}`` of the current attributes of many homes, in one statement."""
    out: dict[int, dict] = defaultdict(dict)
    rows = AttributeValue.objects.filter(supervised__in=homes, superseded_at__isnull=True)
    for r in rows.only("supervised_id", "code", "type", "value_int", "value_decimal", "value_date", "value_bool",
                       "value_text"):  # fmt: skip
        out[r.supervised_id][r.code] = r.value
    return out


def home_attributes(home: Supervised) -> list[tuple]:
    """``[(Attribute, value, display)]`` in the order the kind declares them."""
    kind = KINDS.get(KIND)
    values = attributes_of([home]).get(home.pk, {})
    return [(a, values.get(a.code), a.display(values.get(a.code))) for a in kind.attributes] if kind else []


def attribute_history(home: Supervised) -> QuerySet:
    return AttributeValue.objects.filter(supervised=home).select_related("set_by").order_by("code", "set_at", "pk")


def residents(home: Supervised, *, current: bool = True) -> QuerySet:
    qs = Admission.objects.filter(supervised=home).select_related("person")
    if current:
        qs = qs.filter(discharged_on__isnull=True)
    return qs.order_by("-admitted_on", "pk")


def latest_assessments(admissions) -> dict[int, AbilityAssessment]:
    out = {}
    for a in AbilityAssessment.objects.filter(admission__in=admissions).order_by("admission_id", "assessed_on", "pk"):
        out[a.admission_id] = a
    return out


def admission_get(user, pk, *, permission: str = VIEW) -> Admission:
    obj = (
        Admission.objects.for_user(user, permission)
        .filter(pk=pk, supervised__kind=KIND)
        .select_related("person", "supervised__entity")
        .first()
    )
    if obj is None:
        raise Http404("入住登记不存在")
    return obj


def contracts(home: Supervised) -> QuerySet:
    return Contract.objects.filter(supervised=home).prefetch_related("reviews")


def prepaid_reports(home: Supervised) -> QuerySet:
    return PrepaidReport.objects.filter(supervised=home).prefetch_related("lines__admission__person", "lines__breaches")


def custody_ledger(home: Supervised) -> QuerySet:
    return CustodyEntry.objects.filter(supervised=home).order_by("seq")


def breaches_for(user, *, region: str = "", open_only: bool = True) -> QuerySet:
    qs = PrepaidBreach.objects.for_user(user, "eldercare.prepaid").select_related(
        "supervised__entity", "line__admission__person"
    )
    qs = _prefix_filter(qs, "supervised__entity__region_code", region)
    if open_only:
        qs = qs.filter(resolved_on__isnull=True)
    return qs


def incidents(home: Supervised) -> QuerySet:
    return Incident.objects.filter(supervised=home)


def incident_get(user, pk, *, permission: str = VIEW) -> Incident:
    obj = Incident.objects.for_user(user, permission).filter(pk=pk).select_related("supervised__entity").first()
    if obj is None:
        raise Http404("突发事件不存在")
    return obj


def incidents_overdue(user, *, on: dt.date | None = None) -> QuerySet:
    """Incidents not handled, or not closed, past their time limit."""
    on = on or timezone.localdate()
    qs = Incident.objects.for_user(user, VIEW).exclude(state=IncidentState.CLOSED)
    return qs.filter(Q(state=IncidentState.REPORTED, handle_due__lt=on) | Q(close_due__lt=on))


def workers(home: Supervised, *, current: bool = True) -> QuerySet:
    qs = CareWorker.objects.filter(supervised=home).select_related("person").prefetch_related("trainings")
    return qs.filter(left_on__isnull=True) if current else qs


def ranking(competition: Competition) -> list[dict]:
    """The competition's entries by score, with their rank (equal scores share a rank: 1, 2, 2, 4)."""
    rows = list(
        CompetitionEntry.objects.filter(competition=competition)
        .select_related("worker__person", "worker__supervised__entity")
        .order_by("-score", "pk")
    )
    out, rank, last = [], 0, None
    for i, e in enumerate(rows, start=1):
        if e.score != last:
            rank, last = i, e.score
        out.append({"rank": rank, "entry": e, "name": e.worker.person.name, "home": e.worker.supervised.entity.name,
                    "score": e.score})  # fmt: skip
    return out


# ---------------------------------------------------------------------------------------------------
# Occupancy


def occupancy(homes, day: dt.date) -> dict[int, int]:
    """``{home id: residents on day}``: admitted on or before it and not discharged by it (the day
    of discharge is not counted), one grouped statement."""
    from django.db.models import Count

    rows = (
        Admission.objects.filter(supervised__in=homes, admitted_on__lte=day)
        .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gt=day))
        .values("supervised_id")
        .annotate(n=Count("pk"))
    )
    return {r["supervised_id"]: r["n"] for r in rows}


def occupancy_series(home: Supervised, start: dt.date, end: dt.date) -> list[tuple[dt.date, int]]:
    """The home's residents on each day from ``start`` to ``end``: the stays overlapping the range
    read once and swept day by day."""
    if end < start:
        raise ValidationError({"end": "结束日期不能早于开始日期"})
    if (end - start).days > 366:
        raise ValidationError({"end": "最多查询一年"})
    stays = Admission.objects.filter(supervised=home, admitted_on__lte=end).filter(
        Q(discharged_on__isnull=True) | Q(discharged_on__gt=start)
    )
    delta: Counter = Counter()
    for admitted, discharged in stays.values_list("admitted_on", "discharged_on"):
        delta[max(admitted, start)] += 1
        if discharged is not None and discharged <= end:
            delta[discharged] -= 1
    out, n, day = [], 0, start
    while day <= end:
        n += delta.get(day, 0)
        out.append((day, n))
        day += dt.timedelta(days=1)
    return out


# ---------------------------------------------------------------------------------------------------
# Figures


def _in_force(model, *, on: dt.date, extra: Q, partition: tuple[str, ...]):
    """Rows of ``model`` matching ``extra`` with ``effective_on`` on or before ``on`` for which no later
    such row of the same partition exists (the value or status in force that day)."""
    later = model.objects.filter(effective_on__lte=on, **{p: OuterRef(p) for p in partition}).filter(
        Q(effective_on__gt=OuterRef("effective_on")) | Q(effective_on=OuterRef("effective_on"), pk__gt=OuterRef("pk"))
    )
    return model.objects.filter(extra, effective_on__lte=on).filter(~Exists(later))


def _share(part, whole) -> str | None:
    if not whole:
        return None
    return str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")))


def _grades(home_ids, on: dt.date) -> dict[int, int] | None:
    """``{home id: rank}`` of the grade each home holds on ``on`` (the supervision engine's gradings,
    decided and valid that day), or ``None`` where the engine has no gradings yet."""
    try:
        Grading = apps.get_model("supervision", "Grading")
    except LookupError:
        return None
    rows = Grading.objects.filter(
        supervised_id__in=home_ids, state="decided", valid_from__lte=on, valid_until__gte=on, grade_rank__isnull=False
    ).values_list("supervised_id", "grade_rank")
    out: dict[int, int] = {}
    for sid, rank in rows:
        out[sid] = max(out.get(sid, 0), rank)
    return out


def figures(*, region: str, on: dt.date | None = None) -> dict:
    """The eldercare figures of a region (code prefix) on a day — homes by nature, beds by type,
    护理型床位占比 among 特困供养机构, 集中供养率 of 特困 persons unable to care for themselves, share
    of public homes graded to target, open hazards by level, closure rate and median days to close.

    Set-based: the homes in operation that day (status in force), their attributes in force that
    day, the 特困 roll and the hazards are each read by one statement over the region, never home by
    home (the target: a city of 3,000 homes in under a second)."""
    from minzheng.foundation.regions.models import Region
    from minzheng.foundation.regions.selectors import region_prefix

    on = on or timezone.localdate()
    region = (region or "").strip()
    if not region or not is_digits(region) or len(region) > 12:
        raise ValidationError({"region": "请填写区划代码（12位代码或前缀）"})
    if len(region) == 12 and not Region.objects.filter(code=region).exists():
        raise ValidationError({"region": f"不认识的区划代码：{region}"})
    prefix = region_prefix(region)
    in_region = Q(supervised__kind=KIND) & prefix_q("supervised__entity__region_code", [prefix])

    # the homes operating (or suspended) that day: the status change in force
    status_rows = _in_force(StatusChange, on=on, extra=in_region, partition=("supervised_id",))
    homes = {
        sid
        for sid, status in status_rows.values_list("supervised_id", "status_to")
        if status in (SupervisionStatus.OPERATING, SupervisionStatus.SUSPENDED)
    }
    # their attributes in force that day
    attrs: dict[int, dict] = defaultdict(dict)
    codes = ("nature", "level", *BED_ATTRIBUTES)
    rows = _in_force(AttributeValue, on=on, extra=in_region & Q(code__in=codes), partition=("supervised_id", "code"))
    for sid, code, vi, vt in rows.values_list("supervised_id", "code", "value_int", "value_text"):
        if sid in homes:
            attrs[sid][code] = vi if vt is None else vt
    beds = {code: 0 for code in BED_ATTRIBUTES}
    by_nature = {code: {"homes": 0, "beds_total": 0} for code, _ in NATURES}
    tekun_total = tekun_nursing = 0
    for sid in homes:
        a = attrs.get(sid, {})
        for code in BED_ATTRIBUTES:
            beds[code] += int(a.get(code) or 0)
        nature = a.get("nature")
        if nature in by_nature:
            by_nature[nature]["homes"] += 1
            by_nature[nature]["beds_total"] += int(a.get("beds_total") or 0)
        if nature == "tekun":
            tekun_total += int(a.get("beds_total") or 0)
            tekun_nursing += int(a.get("beds_nursing") or 0)

    # residents that day
    residents_n = (
        Admission.objects.filter(supervised_id__in=homes, admitted_on__lte=on)
        .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gt=on))
        .count()
    )

    # 特困 persons unable to care for themselves (部分或完全丧失生活自理能力) on the roll that day
    roll = (
        Enrollment.objects.filter(program_id=TEKUN, start_month__lte=on, person__isnull=False)
        .filter(prefix_q("region_code", [prefix]))
        .filter(Q(end_month__isnull=True) | Q(end_month__gt=on))
        .filter(person__self_care__in=("partial", "none"))
    )
    unable = roll.count()
    unable_centralised = roll.filter(mode="centralised").count()

    # public homes graded to target
    public = [sid for sid in homes if attrs.get(sid, {}).get("nature") in PUBLIC_NATURES]
    grades = _grades(public, on)
    graded = None
    if grades is not None:
        target = [sid for sid in public if attrs[sid].get("level") in GRADE_TARGET]
        met = [sid for sid in target if grades.get(sid, 0) >= GRADE_TARGET[attrs[sid]["level"]]]
        graded = {"public_homes": len(target), "graded_to_target": len(met), "share": _share(len(met), len(target))}

    # hazards found by that day
    hz = Hazard.objects.filter(found_on__lte=on).filter(in_region)
    open_q = Q(closed_on__isnull=True) | Q(closed_on__gt=on)
    open_by_level = {code: 0 for code in HazardLevel.values}
    from django.db.models import Count

    for r in hz.filter(open_q).values("level").annotate(n=Count("pk")):
        open_by_level[r["level"]] = r["n"]
    found = hz.count()
    closed = hz.filter(state=HazardState.CLOSED, closed_on__lte=on)
    closed_n = closed.count()
    median = None
    if closed_n:
        days = closed.annotate(d=ExpressionWrapper(F("closed_on") - F("found_on"), output_field=DurationField()))
        middle = list(days.order_by("d").values_list("d", flat=True)[(closed_n - 1) // 2 : closed_n // 2 + 1])
        values = [x.days if isinstance(x, dt.timedelta) else int(x) for x in middle]
        median = str(Decimal(sum(values)) / Decimal(len(values)))

    return {
        "region": prefix,
        "date": on.isoformat(),
        "homes": len(homes),
        "homes_by_nature": {code: {"label": label, **by_nature[code]} for code, label in NATURES},
        "beds": {
            "total": beds["beds_total"],
            "nursing": beds["beds_nursing"],
            "dementia": beds["beds_dementia"],
            "reserved_centralised": beds["beds_reserved"],
        },
        "residents": residents_n,
        "occupancy_rate": _share(residents_n, beds["beds_total"]),
        "tekun_homes_nursing_bed_share": _share(tekun_nursing, tekun_total),
        "tekun_unable_selfcare": unable,
        "tekun_unable_selfcare_centralised": unable_centralised,
        "tekun_unable_selfcare_centralised_rate": _share(unable_centralised, unable),
        "public_homes_graded": graded,
        "hazards_open_by_level": open_by_level,
        "hazards_found": found,
        "hazards_closed": closed_n,
        "hazard_closure_rate": _share(closed_n, found),
        "hazard_median_days_to_close": median,
    }


FIGURE_LABELS = [
    ("homes", "养老机构数"),
    ("beds.total", "床位总数"),
    ("beds.nursing", "护理型床位"),
    ("beds.dementia", "失智照护床位"),
    ("beds.reserved_centralised", "集中供养预留床位"),
    ("residents", "在住老人"),
    ("occupancy_rate", "床位入住率"),
    ("tekun_homes_nursing_bed_share", "特困供养机构护理型床位占比"),
    ("tekun_unable_selfcare", "生活不能自理特困人员"),
    ("tekun_unable_selfcare_centralised", "其中集中供养"),
    ("tekun_unable_selfcare_centralised_rate", "生活不能自理特困人员集中供养率"),
    ("public_homes_graded.share", "公办养老机构等级评定达标率（县级二级以上、乡镇级一级以上）"),
    ("hazards_open_by_level.general", "未整改一般隐患"),
    ("hazards_open_by_level.major", "未整改重大隐患"),
    ("hazards_found", "发现隐患"),
    ("hazards_closed", "已销号隐患"),
    ("hazard_closure_rate", "隐患整改销号率"),
    ("hazard_median_days_to_close", "隐患整改天数中位数"),
]


def figure_rows(data: dict) -> list[tuple[str, object]]:
    """``[(label, value)]`` of the figures for the page and the Excel export."""
    out = []
    for path, label in FIGURE_LABELS:
        value = data
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None and path.endswith(("_rate", "_share", ".share")):
            value = f"{Decimal(value) * 100:.2f}%"  # a share as people read it: 44.78%
        out.append((label, "" if value is None else value))
    for row in data["homes_by_nature"].values():
        out.append((f"{row['label']}：机构数", row["homes"]))
        out.append((f"{row['label']}：床位数", row["beds_total"]))
    return out


LEVEL_LABELS = dict(LEVELS)
