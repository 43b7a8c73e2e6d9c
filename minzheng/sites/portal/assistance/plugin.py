"""The means questionnaire as the application plugin ``assistance.means`` (see
:mod:`minzheng.sites.portal.applications` for the contract): seven steps — 家庭成员, 收入, 支出和财产,
自助测算, 上传材料 (the portal's own step), 签署授权书, 确认提交 — and the submission that opens the
case with what was declared, the generated 申请书/申报表 and every member's 授权书."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse

from minzheng.business.assistance.case_types import MEANS_APPLICATION
from minzheng.foundation.regions.models import Region
from minzheng.foundation.registry.models import HukouType, Relation

from ..applications import APPLICATIONS, MATERIALS, ApplicationPlugin, Step
from . import means, views
from .forms import MemberForm, SignForm


def settings_county(data) -> str:
    """The county whose townships the region picker lists: the citizen's own, else the bureau's."""
    code = data.get("region_code") or data.get("township") or settings.MINZHENG_PORTAL_REGION or ""
    return code[:6] if code else ""


class MeansApplication(ApplicationPlugin):
    steps = (
        Step("household", "家庭成员", "portal/assistance/household.html"),
        Step("income", "收入", "portal/assistance/income.html"),
        Step("property", "支出和财产", "portal/assistance/property.html"),
        Step("check", "自助测算", "portal/assistance/check.html"),
        MATERIALS,
        Step("sign", "签署授权书", "portal/assistance/sign.html"),
        Step("confirm", "确认提交", "portal/assistance/confirm.html"),
    )
    # written at submission from what was entered (申请书, 收入财产申报表, 授权书)
    generated = frozenset(means.GENERATED)
    urlpatterns = views.urlpatterns
    done_template = "portal/assistance/_done.html"
    summary = "低保、特困、临时救助"

    def start(self, *, citizen, case_type, person, acting_as):
        return means.draft_prefill(citizen=citizen, case_type=case_type, person=person, acting_as=acting_as)

    def post(self, request, *, citizen, draft, step):
        here = reverse("portal:apply_step", args=[draft.pk, step])
        if step == "household":
            action = request.POST.get("action", "next")
            if action == "add":
                form = MemberForm(request.POST)
                if not form.is_valid():
                    raise ValidationError({k: v for k, v in form.errors.items()})
                means.draft_member_add(draft=draft, **form.cleaned_data)
                return redirect(here + "#members")
            if action.startswith("remove:"):
                means.draft_member_remove(draft=draft, index=int(action.split(":", 1)[1]))
                return redirect(here + "#members")
            if action == "township":
                means.draft_township_choose(draft=draft, township=request.POST.get("township", ""),
                                            hukou_type=request.POST.get("hukou_type", ""),
                                            address=request.POST.get("address", ""))  # fmt: skip
                return redirect(here + "#where")
            means.draft_household_save(draft=draft, region_code=request.POST.get("village", ""),
                                       hukou_type=request.POST.get("hukou_type", ""),
                                       address=request.POST.get("address", ""))  # fmt: skip
        elif step == "income":
            means.draft_incomes_save(draft=draft, post=request.POST)
        elif step == "property":
            means.draft_property_save(draft=draft, post=request.POST)
        return None  # check, sign, confirm: nothing to save, on to the next step

    def context(self, request, *, citizen, draft, data, step, errors):
        members = means.member_rows(data)
        extra = {"members": members, "relations": dict(Relation.choices)}
        if step == "household":
            posted_member = request.POST.get("action") == "add"
            extra["member_form"] = MemberForm(request.POST if posted_member else None)
            if posted_member:
                extra["member_form"].is_valid()
                for field, msgs in errors.items():
                    if field in extra["member_form"].fields:
                        extra["member_form"].errors[field] = msgs
            if not data.get("household_id"):
                county = settings_county(data)
                extra["townships"] = Region.objects.filter(level="township", code__startswith=county).order_by("code")
                township = data.get("township") or (data.get("region_code") or "")[:9].ljust(12, "0")
                extra["township"] = township
                extra["villages"] = Region.objects.filter(parent_id=township, level="village").order_by("code")
                extra["hukou_types"] = HukouType.choices
            else:
                extra["village_name"] = Region.objects.filter(code=data.get("region_code")).values_list(
                    "name", flat=True).first()  # fmt: skip
        elif step == "income":
            incomes = data.get("incomes") or {}
            extra["income_rows"] = [
                (
                    m,
                    [
                        (k, label, (incomes.get(str(m["index"])) or {}).get(k, ""))
                        for k, label in means.income_kinds(data)
                    ],
                )
                for m in members
            ]
        elif step == "property":
            exp, prop = data.get("expenses") or {}, data.get("property") or {}
            extra["expense_rows"] = [(k, label, exp.get(k, "")) for k, label in means.EXPENSE_KINDS]
            extra["property_rows"] = [(k, label, prop.get(k, "")) for k, label, _ in means.PROPERTY_FIELDS]
        elif step == "check":
            extra["estimate"] = means.draft_estimate(draft)
        elif step == "sign":
            extra["sign_rows"] = means.sign_rows(citizen=citizen, draft=draft, data=data)
            extra["sign_form"] = SignForm()
        elif step == "confirm":
            extra["unsigned"] = means.unsigned(data)
            extra["proxied"] = means.proxied(data)
            extra["estimate"] = means.draft_estimate(draft)
        return extra

    def check(self, *, citizen, draft, data, case_type):
        means.submit_check(citizen=citizen, draft=draft, data=data, case_type=case_type)

    def submit(self, *, citizen, draft, data, case_type):
        return means.submit(citizen=citizen, draft=draft, data=data, case_type=case_type)

    def notices(self, citizen):
        waiting = len(means.sign_requests_for(citizen))
        if not waiting:
            return []
        return [{"id": "consents-waiting", "text": f"家人请您确认授权书 {waiting} 份", "link": "去确认",
                 "url": reverse("portal:consents")}]  # fmt: skip

    def done_context(self, case):
        return {"paper": case.data.get("paper_signatures") or []}


APPLICATIONS[MEANS_APPLICATION] = MeansApplication()
