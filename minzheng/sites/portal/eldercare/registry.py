"""What the line registers on the portal: the care-home entry of the directory (机构查询) with the
computed vacancies, and the institution pages of a care home."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from minzheng.business.eldercare import selectors
from minzheng.business.eldercare.models import Admission
from minzheng.business.eldercare.policy import KIND
from minzheng.engines.supervision.models import AttributeValue, Supervised

from ..directory import Computed, Filter, directory_register
from ..institution import institution_page
from . import views


def _beds(ids) -> dict[int, int]:
    rows = AttributeValue.objects.filter(supervised_id__in=ids, code="beds_total", superseded_at__isnull=True)
    return {r.supervised_id: r.value_int or 0 for r in rows}


def vacancies_of(ids, on: dt.date) -> dict[int, int]:
    """``{home id: 空余床位}``: its beds (床位总数) less its residents on ``on`` (never below 0)."""
    beds = _beds(ids)
    taken = selectors.occupancy(Supervised.objects.filter(pk__in=ids), on)
    return {pk: max(0, beds.get(pk, 0) - taken.get(pk, 0)) for pk in ids}


def vacancies_narrow(qs, op: str, value: int, on: dt.date):
    """The homes whose vacancies on ``on`` are at least (``min``), at most (``max``) or exactly
    ``value``: one statement, the beds and the residents as subqueries of each home."""
    beds = AttributeValue.objects.filter(supervised=OuterRef("pk"), code="beds_total", superseded_at__isnull=True)
    staying = (
        Admission.objects.filter(supervised=OuterRef("pk"), admitted_on__lte=on)
        .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gt=on))
        .order_by()
        .values("supervised")
        .annotate(n=Count("pk"))
        .values("n")
    )
    free = Coalesce(Subquery(beds.values("value_int")[:1]), Value(0)) - Coalesce(
        Subquery(staying[:1], output_field=IntegerField()), Value(0)
    )
    lookup = {"eq": "", "min": "__gte", "max": "__lte"}[op]
    return qs.annotate(_vacancies=free).filter(**{f"_vacancies{lookup}": value})


VACANCIES = Computed("vacancies", "空余床位", values=vacancies_of, narrow=vacancies_narrow, unit="张")

directory_register(
    KIND,
    title="养老机构查询",
    intro="按所在区域、机构性质、等级、空余床位和月收费查找养老机构；收费以机构公示为准。",
    filters=(Filter("nature"), Filter("vacancies", "min"), Filter("monthly_fee_min", "max", "月收费不高于")),
    columns=("nature", "beds_total", "vacancies", "monthly_fee_min", "monthly_fee_max"),
    detail=("level", "beds_nursing", "beds_dementia", "medical_integration", "medical_note", "fee_schedule"),
    grades=True,
    computed=(VACANCIES,),
)

institution_page("eldercare_prepaid", "预付费余额", view=views.prepaid, kinds=(KIND,), order=20,
                 help="按老人报送预收服务费余额和押金，查看历次报送和超限情况")  # fmt: skip
institution_page("eldercare_residents", "入住退住", view=views.residents, kinds=(KIND,), order=30,
                 help="本机构老人的入住和退住记录")  # fmt: skip
