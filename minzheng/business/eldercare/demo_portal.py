"""The eldercare line's share of the demo city on the portal (after ``eldercare.homes``): the monthly
fees every demo home publishes (月收费 and 收费标准, for 养老机构查询), and an institution account
(机构端) for the demo home that has residents and a prepaid report, printed with the demo logins."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from minzheng.foundation.demo import DemoCity, DemoLogin, demo_logins, demo_step

from .policy import KIND

USERNAME = "ra_carehome"
PHONE = "13857709999"
# 月收费 (最低, 最高) by nature, in 元/月; a home's own is shifted by its place in the county's list
FEES = {"tekun": (1200, 2000), "public": (2200, 3800), "public_private": (2800, 4800), "private": (2500, 5600)}


def _account_home(prefix: str):
    from minzheng.engines.supervision.models import Supervised

    from .models import PrepaidReport

    homes = Supervised.objects.filter(kind=KIND, entity__region_code__startswith=prefix).select_related("entity")
    report = PrepaidReport.objects.filter(supervised__in=homes).order_by("pk").first()
    return report.supervised if report is not None else homes.order_by("pk").first()


@demo_step("eldercare.portal", order=61)
@transaction.atomic
def portal_step(city: DemoCity) -> dict | None:
    from minzheng.engines.supervision import institutions
    from minzheng.engines.supervision.models import AttributeValue, InstitutionAccount, Supervised

    from . import services

    homes = list(
        Supervised.objects.filter(kind=KIND, entity__region_code__startswith=city.region_prefix).order_by("pk")
    )
    priced = set(
        AttributeValue.objects.filter(supervised__in=homes, code="monthly_fee_min", superseded_at__isnull=True)
        .values_list("supervised_id", flat=True)
    )  # fmt: skip
    made = {"homes_priced": 0, "account": ""}
    natures = dict(
        AttributeValue.objects.filter(supervised__in=homes, code="nature", superseded_at__isnull=True)
        .values_list("supervised_id", "value_text")
    )  # fmt: skip
    for n, home in enumerate(homes):
        if home.pk in priced:
            continue
        low, high = FEES.get(natures.get(home.pk, ""), FEES["private"])
        step = Decimal(100 * (n % 7))
        services.care_home_attributes_set(
            user=None, supervised=home, reason="示范数据：公示收费标准",
            values={"monthly_fee_min": Decimal(low) + step, "monthly_fee_max": Decimal(high) + step,
                    "fee_schedule": f"床位费{low // 2 + step}元/月起；护理费按能力等级{low // 4}—{high // 2}元/月；"
                                    f"伙食费{low // 4}元/月。押金不超过月服务费的12倍。"},
        )  # fmt: skip
        made["homes_priced"] += 1
    home = _account_home(city.region_prefix)
    if home is not None and city.password and not InstitutionAccount.objects.filter(username=USERNAME).exists():
        institutions.account_create(user=None, supervised=home, username=USERNAME, name="示范机构管理员",
                                    phone=PHONE, password=city.password)  # fmt: skip
        made["account"] = USERNAME
        city.log(f"已开通示范机构端账号 {USERNAME}（{home.entity.name}）")
    return made if made["homes_priced"] or made["account"] else None


@demo_logins("eldercare.institution")
def institution_logins() -> list[DemoLogin]:
    from minzheng.engines.supervision.models import InstitutionAccount

    account = InstitutionAccount.objects.filter(username=USERNAME).select_related("supervised__entity").first()
    if account is None:
        return []
    return [DemoLogin(USERNAME, f"{account.supervised.entity.name}机构端",
                      "机构端 /portal/institution/；验证码见服务器日志")]  # fmt: skip


@demo_step("eldercare.draw", order=62)
@transaction.atomic
def draw_step(city: DemoCity) -> dict | None:
    """A 双随机 draw of the county's care homes (10 %, two inspectors each) by the county office,
    published, so that 双随机一公开 on the portal shows a result; once."""
    from django.contrib.auth import get_user_model

    from minzheng.engines.supervision import draws
    from minzheng.engines.supervision.models import DrawPlan

    county = city.region_prefix.ljust(12, "0")
    if DrawPlan.objects.filter(kind=KIND, region_code=county).exists():
        return None
    office = get_user_model().objects.filter(username=f"{city.county_user}_approver").first()
    if office is None:
        return None
    plan = draws.draw_run(user=office, kind=KIND, region_code=county, share=Decimal("0.1"), inspectors_per_entity=2,
                          seed=f"示范-{city.seed}", name="养老机构双随机抽查（示范）", exclude_township=False)  # fmt: skip
    draws.draw_publish(user=office, plan=plan)
    pairs = plan.pairs.count()
    city.log(f"已抽取并公开养老机构双随机抽查 {pairs} 家（{plan.number}）")
    return {"plan": plan.number, "pairs": pairs}
