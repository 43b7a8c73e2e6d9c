"""The 低保 line's own pages: the assessment (测算) with registry prefill, 提标测算 and the
household's assistance chain (救助链)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from minzheng.business.assistance.assessment import assessment_run
from minzheng.business.assistance.chain import KINDS, assistance_chain
from minzheng.business.assistance.schemas import AssessmentIn
from minzheng.business.assistance.services import household_means_save
from minzheng.foundation.jobs.models import JobState
from minzheng.foundation.jobs.selectors import jobs_for_user
from minzheng.foundation.regions.selectors import region_names, region_prefix
from minzheng.foundation.registry import selectors as registry_selectors
from minzheng.foundation.registry.models import HukouType
from minzheng.foundation.validation import is_digits

from ..common.errors import post_failed
from ..common.permissions import require
from ..common.search import search_text
from .forms import AssessHouseholdForm, AssessMeansForm, AssessMemberFormSet, SimulationForm
from .labels import CLASSIFICATIONS, COMPONENTS, TEKUN_MODES

# ---------------------------------------------------------------- 测算


def _member_initial(membership) -> dict:
    p = membership.person
    tri = {True: "true", False: "false", None: ""}
    return {
        "name": p.name,
        "relation": membership.relation,
        "birth_date": p.birth_date,
        "counted": True,
        "disability_kind": p.disability_kind,
        "disability_grade": p.disability_grade,
        "serious_illness": p.serious_illness,
        "self_care": p.self_care,
        "labour_capacity": tri[p.labour_capacity],
    }


def _assessment_request(hh_form, formset, means_form):
    """The assessment request (``AssessmentIn`` shape) from the forms, and where each member,
    income and expense came from, to put the service's messages back on the right field."""
    hh = hh_form.cleaned_data
    kept = [f for f in formset.forms if not formset._should_delete_form(f)]
    members, incomes, income_fields = [], [], []
    for i, form in enumerate(kept):
        members.append(form.as_member())
        for kind, amount in form.incomes():
            incomes.append({"member": i, "kind": kind, "annual_amount": str(amount)})
            income_fields.append((form, f"income_{kind}"))
    expenses, expense_fields = [], []
    for kind, amount in means_form.expenses():
        expenses.append({"kind": kind, "annual_amount": str(amount)})
        expense_fields.append(f"expense_{kind}")
    data = {
        "region_code": hh["region_code"],
        "hukou_type": hh["hukou_type"],
        "as_of": hh["as_of"].isoformat(),
        "tekun_mode": hh["tekun_mode"],
        "members": members,
        "incomes": incomes,
        "expenses": expenses,
        "property": means_form.property(),
    }
    if hh["temp_kind"]:
        data["temp_assistance"] = {"kind": hh["temp_kind"], "months": hh["temp_months"] or 1}
    return data, {"members": kept, "incomes": income_fields, "expenses": expense_fields}


def _assessment_errors(exc: ValidationError, hh_form, means_form, where) -> None:
    """``{"members.0.birth_date": "…", "incomes.2.annual_amount": "…", "standards": "…"}`` → fields."""
    messages_by_key = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    for key, texts in messages_by_key.items():
        parts = key.split(".")
        index = int(parts[1]) if len(parts) > 1 and is_digits(parts[1]) else None
        form, field = hh_form, None
        if parts[0] == "members" and index is not None and index < len(where["members"]):
            form, field = where["members"][index], (parts[2] if len(parts) > 2 else None)
        elif parts[0] == "incomes" and index is not None and index < len(where["incomes"]):
            form, field = where["incomes"][index]
        elif parts[0] == "expenses" and index is not None and index < len(where["expenses"]):
            form, field = means_form, where["expenses"][index]
        elif parts[0] == "property" and len(parts) > 1:
            form, field = means_form, parts[1]
        elif parts[0] == "temp_assistance":
            field = "temp_months" if parts[-1] == "months" else "temp_kind"
        elif parts[0] in hh_form.fields:
            field = parts[0]
        if field not in form.fields:
            field = None
        for text in texts:
            form.add_error(field, text)


@login_required
def assess(request):
    """A caseworker fills in a household (or picks one from the registry: members prefilled) and
    sees the classification, amount and the explanation exactly as the assessment returns them."""
    user = request.user
    require(user, "benefits.assess")
    household, result, failed = None, None, False
    if request.method == "POST":
        hh_form = AssessHouseholdForm(request.POST, user=user)
        formset = AssessMemberFormSet(request.POST, prefix="m")
        means_form = AssessMeansForm(request.POST)
        if is_digits(request.POST.get("household", "")):
            household = registry_selectors.household_get(user=user, pk=request.POST["household"])
        if hh_form.is_valid() & formset.is_valid() & means_form.is_valid():
            data, where = _assessment_request(hh_form, formset, means_form)
            try:
                result = assessment_run(data)
            except ValidationError as exc:
                _assessment_errors(exc, hh_form, means_form, where)
            else:
                names = [m["name"] or f"成员{i + 1}" for i, m in enumerate(data["members"])]
                result = _result_view(result, names)
                if household is not None and request.POST.get("save_means"):
                    household_means_save(user=user, household=household, request=AssessmentIn.model_validate(data))
                    messages.success(request, f"已将本次测算的收入、支出和财产保存为家庭 {household.number} 的经济状况")
        failed = result is None
    else:
        today = timezone.localdate()
        initial = {"as_of": today, "tekun_mode": "dispersed"}
        members = [{"relation": "head", "counted": True}]
        pk = request.GET.get("household", "")
        if is_digits(pk):
            household = registry_selectors.household_get(user=user, pk=pk)
            initial.update({"household": household.pk, "region_code": household.region_code})
            initial["hukou_type"] = household.hukou_type
            members = [_member_initial(m) for m in household.current_members if m.person.death_date is None]
        hh_form = AssessHouseholdForm(initial=initial, user=user)
        formset = AssessMemberFormSet(prefix="m", initial=members)
        means_form = AssessMeansForm(initial={"houses": 1 if household else None})
    context = {
        "hh_form": hh_form,
        "formset": formset,
        "means_form": means_form,
        "household": household,
        "result": result,
        "failed": failed,
    }
    return render(request, "workbench/assistance/assess.html", context)


def _result_view(result: dict, names: list[str]) -> dict:
    components = [
        {
            "label": COMPONENTS.get(c["item"], c["item"]),
            "member": names[c["member"]] if c.get("member") is not None and c["member"] < len(names) else "",
            "amount": c["amount"],
        }
        for c in result["components"]
    ]
    return {
        **result,
        "classification_label": CLASSIFICATIONS.get(result["classification"], result["classification"]),
        "tekun_mode_label": TEKUN_MODES.get(result.get("tekun_mode") or "", ""),
        "component_rows": components,
        "temp": result.get("temp_assistance"),
    }


@login_required
def assess_member_row(request):
    """htmx "添加成员": one more empty member card, and the formset's TOTAL_FORMS out of band."""
    require(request.user, "benefits.assess")
    raw = request.GET.get("m-TOTAL_FORMS", "0")
    index = int(raw) if is_digits(raw) else 0
    if index >= 30:
        return HttpResponse('<p class="error" role="alert">最多30名家庭成员</p>')
    formset = AssessMemberFormSet(prefix="m")
    form = formset.form(
        auto_id=formset.auto_id,
        prefix=formset.add_prefix(index),
        initial={"relation": "other", "counted": True},
        use_required_attribute=False,
        renderer=formset.renderer,
    )
    formset.add_fields(form, index)
    return render(
        request,
        "workbench/assistance/_assess_member.html",
        {"form": form, "number": index + 1, "total": index + 1, "oob": True, "open": True},
    )


@login_required
def assess_households(request):
    """htmx: households in the user's scope matching the search, to start an assessment from."""
    require(request.user, "benefits.assess")
    q = search_text(request)
    rows = registry_selectors.household_search(user=request.user, q=q)[:10] if q else []
    names = region_names(h.region_code for h in rows)
    return render(request, "workbench/assistance/_assess_households.html", {"rows": rows, "q": q, "names": names})


# ---------------------------------------------------------------- 提标测算


def _simulation_jobs(user):
    from minzheng.business.assistance.jobs import SIMULATE

    return jobs_for_user(user).filter(kind=SIMULATE)


@login_required
def simulation(request):
    """提标测算: the changed standards, run as a background job over every household with means."""
    from minzheng.business.assistance import simulation as sim

    user = request.user
    require(user, "benefits.simulate")
    form = SimulationForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        region = region_prefix(d["region_code"]) if d["region_code"] else ""
        try:
            job = sim.simulation_start(user=user, as_of=d["as_of"], changes=d["changes"], region=region)
        except (ValidationError, PermissionDenied) as exc:
            post_failed(form, exc)
        else:
            return redirect("workbench:assistance:simulation_detail", pk=job.pk)
    jobs = _simulation_jobs(user).select_related("created_by")[:20]
    return render(request, "workbench/assistance/simulation.html", {"form": form, "jobs": jobs})


@login_required
def simulation_detail(request, pk):
    """The run's progress (polled by htmx), then its report, scoped to the user's regions."""
    from minzheng.business.assistance import simulation as sim

    user = request.user
    require(user, "benefits.simulate")
    job = _simulation_jobs(user).filter(pk=pk).first()
    if job is None:
        raise Http404("找不到该测算")
    report = sim.simulation_report(user=user, job=job) if job.state == JobState.SUCCEEDED else None
    classes = []
    if report:
        t = report["total"]
        classes = [
            {"label": sim.CLASS_LABELS[c], "paying": c in sim.PAYING, **t["by_class"][c]}
            for c in sim.CLASSES
            if t["by_class"][c]["before"]["households"] or t["by_class"][c]["after"]["households"]
        ]
        hukou = dict(HukouType.choices)
        for s in report["standards"]:
            s["hukou_name"] = hukou.get(s["hukou_type"], s["hukou_type"])
        names = region_names(s["township"].ljust(12, "0") for s in report["skipped"])
        for s in report["skipped"]:
            s["name"] = names.get(s["township"].ljust(12, "0"), s["township"])
    context = {"job": job, "report": report, "classes": classes}
    if request.headers.get("HX-Request"):
        # still running: the status card again; finished: reload the whole page, so the report shows
        response = render(request, "workbench/assistance/_simulation_status.html", context)
        if job.state not in (JobState.QUEUED, JobState.RUNNING):
            response["HX-Refresh"] = "true"
        return response
    return render(request, "workbench/assistance/simulation_detail.html", context)


# ---------------------------------------------------------------- 救助链


@login_required
def household_chain(request, pk):
    household = registry_selectors.household_get(user=request.user, pk=pk)
    kind = request.GET.get("kind", "")
    kind = kind if kind in KINDS else ""
    entries = assistance_chain(user=request.user, household=household, kinds=[kind] if kind else None)
    context = {"household": household, "entries": entries, "kinds": KINDS, "kind": kind}
    return render(request, "workbench/assistance/chain.html", context)
