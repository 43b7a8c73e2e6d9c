"""Workbench pages of the eldercare line: care homes with filters, a home's page (attributes, beds,
residents with their ability level, 公建民营 contracts, prepaid reports and the custody ledger,
incidents, care workers), admission and discharge forms, prepaid breaches, the figures with their
Excel export.

Thin views: reads through the line's scoped selectors (another township's home is a 404), writes
through one service each; a refusal is 409 with its Chinese reason, bad input 422.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from minzheng.business.eldercare import selectors, services
from minzheng.business.eldercare.models import AbilityLevel, BedType, DischargeReason
from minzheng.business.eldercare.policy import NATURES
from minzheng.engines.supervision.models import SupervisionStatus
from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.exports import xlsx_bytes
from minzheng.foundation.regions.selectors import region_names
from minzheng.foundation.registry.models import Person
from minzheng.foundation.registry.normalise import id_index

from ..common.errors import post_failed
from ..common.paging import XLSX, paged, query_params
from ..common.permissions import require
from ..common.regions import default_region, township_choices

NATURE_LABELS = dict(NATURES)


# ---------------------------------------------------------------- forms


class AdmitForm(forms.Form):
    id_number = forms.CharField(label="老人身份证号", max_length=18, help_text="须已在人员信息中登记")
    admitted_on = forms.DateField(label="入住日期", widget=forms.DateInput(attrs={"type": "date"}))
    bed_type = forms.ChoiceField(label="床位类型", choices=BedType.choices)
    monthly_fee = forms.DecimalField(label="月服务费（元）", min_value=0, max_digits=10, decimal_places=2, initial=0)
    ability_level = forms.ChoiceField(label="能力评估等级", choices=[("", "未评估"), *AbilityLevel.choices],
                                      required=False)  # fmt: skip
    assessed_on = forms.DateField(label="评估日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_id_number(self):
        value = self.cleaned_data["id_number"].strip().upper()
        person = Person.objects.filter(id_number_index=id_index(value)).first() if len(value) == 18 else None
        if person is None:
            raise ValidationError("找不到该身份证号的人员，请先在人员信息中登记")
        self.person = person
        return value


class DischargeForm(forms.Form):
    discharged_on = forms.DateField(label="退住日期", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.ChoiceField(label="退住原因", choices=DischargeReason.choices)
    note = forms.CharField(label="说明", required=False, max_length=300)


# ---------------------------------------------------------------- homes


@login_required
def homes(request):
    require(request.user, "eldercare.view")
    region, nature, status = (request.GET.get(k, "").strip() for k in ("region", "nature", "status"))
    q = request.GET.get("q", "").strip()[:60]
    try:
        qs = selectors.homes_for(request.user, region=region, nature=nature, status=status, q=q)
    except ValidationError:
        qs = selectors.homes_for(request.user).none()
    page = paged(request, qs)
    rows = list(page.object_list)
    attrs = selectors.attributes_of(rows)
    today = timezone.localdate()
    occupied = selectors.occupancy(rows, today)
    names = region_names([h.entity.region_code for h in rows])
    items = [
        {"home": h, "a": attrs.get(h.pk, {}), "nature": NATURE_LABELS.get(attrs.get(h.pk, {}).get("nature"), ""),
         "residents": occupied.get(h.pk, 0), "place": names.get(h.entity.region_code, h.entity.region_code)}
        for h in rows
    ]  # fmt: skip
    return render(request, "workbench/eldercare/homes.html", {
        "page": page, "rows": items, "params": query_params(request, "region", "nature", "status", "q"),
        "townships": township_choices(request.user, "eldercare.view"), "natures": NATURES,
        "statuses": SupervisionStatus.choices, "region": region, "nature": nature, "status": status, "q": q,
    })  # fmt: skip


def _home_context(request, home):
    today = timezone.localdate()
    current = list(selectors.residents(home))
    assessed = selectors.latest_assessments(current)
    return {
        "home": home,
        "attributes": selectors.home_attributes(home),
        "permits": home.permits.order_by("-issued_on"),
        "residents": [{"a": a, "level": assessed.get(a.pk)} for a in current],
        "past": selectors.residents(home, current=False).filter(discharged_on__isnull=False)[:20],
        "occupied": len(current),
        "contracts": selectors.contracts(home),
        "reports": selectors.prepaid_reports(home)[:6],
        "ledger": list(selectors.custody_ledger(home).order_by("-seq")[:20]),
        "incidents": selectors.incidents(home)[:20],
        "workers": selectors.workers(home),
        "history": selectors.attribute_history(home)[:100],
        "today": today,
        "may_admit": has_permission(request.user, "eldercare.residents", home.entity.region_code),
        "place": region_names([home.entity.region_code]).get(home.entity.region_code, home.entity.region_code),
    }


@login_required
def home(request, pk: int):
    require(request.user, "eldercare.view")
    h = selectors.home_get(request.user, pk)
    return render(request, "workbench/eldercare/home.html", _home_context(request, h))


@login_required
def admit(request, pk: int):
    require(request.user, "eldercare.residents")
    h = selectors.home_get(request.user, pk, permission="eldercare.residents")
    today = timezone.localdate()
    form = AdmitForm(request.POST or None, initial={"admitted_on": today, "bed_type": BedType.GENERAL})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                a = services.admission_record(
                    user=request.user, supervised=h, person=form.person, admitted_on=d["admitted_on"],
                    bed_type=d["bed_type"], monthly_fee=d["monthly_fee"], ability_level=d["ability_level"] or "",
                    assessed_on=d["assessed_on"],
                )  # fmt: skip
            except (ValidationError, PermissionDenied) as exc:
                status = post_failed(form, exc)
            else:
                text = f"{a.person.name} 已入住"
                if a.support_note:
                    text += f"；{a.support_note}"
                messages.success(request, text)
                return redirect("workbench:eldercare:home", pk=h.pk)
        else:
            status = 422
    return render(request, "workbench/common/form.html", {"form": form, "title": f"入住登记 · {h.entity.name}",
                                                   "submit": "登记入住"}, status=status)  # fmt: skip


@login_required
def discharge(request, pk: int):
    require(request.user, "eldercare.residents")
    a = selectors.admission_get(request.user, pk, permission="eldercare.residents")
    form = DischargeForm(request.POST or None, initial={"discharged_on": timezone.localdate(), "reason": "home"})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                a = services.discharge_record(user=request.user, admission=a, reason=d["reason"],
                                              discharged_on=d["discharged_on"], note=d["note"])  # fmt: skip
            except (ValidationError, PermissionDenied) as exc:
                status = post_failed(form, exc)
            else:
                messages.success(
                    request, f"{a.person.name} 已退住" + (f"；{a.discharge_note}" if a.discharge_note else "")
                )
                return redirect("workbench:eldercare:home", pk=a.supervised_id)
        else:
            status = 422
    title = f"退住登记 · {a.person.name}（{a.supervised.entity.name}）"
    return render(
        request, "workbench/common/form.html", {"form": form, "title": title, "submit": "登记退住"}, status=status
    )


@login_required
def breaches(request):
    require(request.user, "eldercare.prepaid")
    region = request.GET.get("region", "").strip()
    try:
        qs = selectors.breaches_for(request.user, region=region)
    except ValidationError:
        qs = selectors.breaches_for(request.user).none()
    page = paged(request, qs)
    return render(request, "workbench/eldercare/breaches.html", {
        "page": page, "params": query_params(request, "region"), "region": region,
        "townships": township_choices(request.user, "eldercare.prepaid"),
    })  # fmt: skip


# ---------------------------------------------------------------- figures


def _figures_request(request):
    """The region (within the user's grants) and the day the figures page asks for."""
    region = request.GET.get("region", "").strip() or default_region(request.user, "eldercare.view")
    if not region or not has_permission(request.user, "eldercare.view", region.ljust(12, "0")[:12]):
        raise PermissionDenied("无权查看该区划的统计")
    on = timezone.localdate()
    if request.GET.get("date"):
        try:
            on = dt.date.fromisoformat(request.GET["date"])
        except ValueError:
            on = timezone.localdate()
    return region, on


@login_required
def figures(request):
    require(request.user, "eldercare.view")
    region, on = _figures_request(request)
    data = selectors.figures(region=region, on=on)
    return render(request, "workbench/eldercare/figures.html", {
        "data": data, "rows": selectors.figure_rows(data), "region": region, "on": on,
        "region_name": region_names([region]).get(region, region),
        "regions": [(c, n) for c, n in region_names([default_region(request.user, "eldercare.view")]).items()]
        + township_choices(request.user, "eldercare.view"),
        "export": reverse("workbench:eldercare:figures_export") + f"?region={region}&date={on.isoformat()}",
    })  # fmt: skip


@login_required
def figures_export(request):
    require(request.user, "eldercare.view")
    region, on = _figures_request(request)
    data = selectors.figures(region=region, on=on)
    name = region_names([region]).get(region, region)
    xlsx = xlsx_bytes(title="养老服务统计", headers=["指标", f"{name}（{on:%Y-%m-%d}）"],
                      rows=selectors.figure_rows(data))  # fmt: skip
    audit_record(action="export", object_type="eldercare.figures", region_code=region,
                 summary=f"导出养老服务统计（{name}，{on:%Y-%m-%d}）")  # fmt: skip
    response = HttpResponse(xlsx, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename=eldercare-figures-{region}-{on:%Y%m%d}.xlsx"
    return response
