"""Registry pages: persons, households, their members, and the Excel import — thin views over the
registry services and selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from minzheng.foundation.accounts.reveals import RevealLimited
from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.exports import xlsx_bytes
from minzheng.foundation.jobs.services import job_enqueue, job_upload_save
from minzheng.foundation.regions.selectors import region_names
from minzheng.foundation.registry import selectors, services
from minzheng.foundation.registry.imports import template_bytes
from minzheng.foundation.registry.models import Membership, Person
from minzheng.foundation.registry.normalise import id_index

from ..common.errors import apply_errors, reveal_refused
from ..common.paging import EXPORT_LIMIT
from ..common.permissions import require
from ..common.search import hides_id_numbers, search_query, search_text
from .forms import (
    HouseholdForm,
    HouseholdNewForm,
    ImportForm,
    MemberAddForm,
    MemberEndForm,
    PersonForm,
)
from .household_links import household_links


@login_required
@hides_id_numbers
def person_list(request):
    q, region = search_text(request), request.GET.get("region", "").strip()
    qs = selectors.person_search(user=request.user, q=q, region=region)
    if request.GET.get("export") == "xlsx":
        require(request.user, "registry.export")
        return _export_persons(request, qs, q)
    page = Paginator(
        qs.only("id", "name", "id_number_masked", "sex", "birth_date", "region_code", "death_date"), 20
    ).get_page(request.GET.get("page"))
    names = region_names(p.region_code for p in page)
    template = (
        "workbench/registry/_person_rows.html"
        if request.headers.get("HX-Request")
        else "workbench/registry/person_list.html"
    )
    context = {"page": page, "q": q, "region": region, "names": names, "search_qs": search_query(request)}
    return render(request, template, context)


def _export_persons(request, qs, q):
    rows = qs.values_list(
        "name",
        "id_number_masked",
        "sex",
        "birth_date",
        "region_code",
        "hukou_type",
        "disability_kind",
        "disability_grade",
    )[:EXPORT_LIMIT]
    sex = {"male": "男", "female": "女"}
    hukou = {"urban": "城镇", "rural": "农村"}
    data = xlsx_bytes(
        title="人员",
        headers=[
            "姓名",
            "身份证号（脱敏）",
            "性别",
            "出生日期",
            "居住地区划代码",
            "户籍类型",
            "残疾类别",
            "残疾等级",
        ],
        rows=((n, i, sex.get(s, s), b, r, hukou.get(h, h), dk, dg) for n, i, s, b, r, h, dk, dg in rows),
    )
    audit_record(action="export", object_type="registry.person", summary=f"导出人员列表（条件：{q or '全部'}）")
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename=persons-{timezone.localdate():%Y%m%d}.xlsx"
    return response


@login_required
def person_detail(request, pk):
    person = selectors.person_get(user=request.user, pk=pk)
    membership = selectors.person_current_household(person)
    history = Membership.objects.filter(person=person).exclude(valid_to__isnull=True).select_related("household")
    names = region_names([person.region_code, person.hukou_region_code])
    return render(
        request,
        "workbench/registry/person_detail.html",
        {"person": person, "membership": membership, "history": history, "names": names},
    )


@login_required
@require_POST
def person_reveal(request, pk, field):
    person = selectors.person_get(user=request.user, pk=pk)
    try:
        value = services.sensitive_reveal(user=request.user, obj=person, field=field)
    except RevealLimited as exc:
        return reveal_refused(exc)
    return render(request, "workbench/common/_revealed.html", {"value": value})


@login_required
def person_edit(request, pk=None):
    require(request.user, "registry.change")
    person = selectors.person_get(user=request.user, pk=pk) if pk else None
    if request.method == "POST":
        form = PersonForm(request.POST, user=request.user, editing=person is not None)
        if form.is_valid():
            data = dict(form.cleaned_data)
            for key in ("id_number", "phone"):
                if person and not data[key]:
                    data.pop(key)
            if not data.get("death_date"):
                data["death_date"] = None
            try:
                if person:
                    person = services.person_update(user=request.user, person=person, data=data)
                    messages.success(request, "已保存")
                else:
                    person = services.person_create(user=request.user, data=data)
                    messages.success(request, "已登记")
                return redirect("workbench:registry:person_detail", pk=person.pk)
            except ValidationError as exc:
                apply_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
    else:
        initial = {}
        if person:
            initial = {f: getattr(person, f) for f in PersonForm.base_fields if f not in ("id_number", "phone")}
            initial["labour_capacity"] = "" if person.labour_capacity is None else str(person.labour_capacity).lower()
        form = PersonForm(initial=initial, user=request.user, editing=person is not None)
    return render(
        request,
        "workbench/common/form.html",
        {
            "form": form,
            "title": f"修改人员：{person.name}" if person else "登记人员",
            "back": request.GET.get("back", ""),
        },
    )


@login_required
@hides_id_numbers
def household_list(request):
    q, region = search_text(request), request.GET.get("region", "").strip()
    qs = selectors.household_search(user=request.user, q=q, region=region)
    if request.GET.get("export") == "xlsx":
        require(request.user, "registry.export")
        rows = qs.values_list(
            "number",
            "head__name",
            "head__id_number_masked",
            "region_code",
            "address",
            "hukou_type",
            "bank_account_masked",
        )[:EXPORT_LIMIT]
        data = xlsx_bytes(
            title="家庭",
            headers=[
                "户编号",
                "户主",
                "户主身份证号（脱敏）",
                "区划代码",
                "地址",
                "户籍类型",
                "银行账号（脱敏）",
            ],
            rows=rows,
        )
        audit_record(action="export", object_type="registry.household", summary=f"导出家庭列表（条件：{q or '全部'}）")
        response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f"attachment; filename=households-{timezone.localdate():%Y%m%d}.xlsx"
        return response
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    names = region_names(h.region_code for h in page)
    template = (
        "workbench/registry/_household_rows.html"
        if request.headers.get("HX-Request")
        else "workbench/registry/household_list.html"
    )
    context = {"page": page, "q": q, "region": region, "names": names, "search_qs": search_query(request)}
    return render(request, template, context)


@login_required
def household_detail(request, pk):
    household = selectors.household_get(user=request.user, pk=pk)
    context = {
        "household": household,
        "members": household.current_members,
        "history": selectors.household_history(household),
        "names": region_names([household.region_code]),
        "add_form": MemberAddForm(),
        "end_form": MemberEndForm(),
        # 登记申请 with this household already chosen, for a user who may open cases where it lives
        "can_open_case": has_permission(request.user, "cases.open", household.region_code),
        "line_links": household_links(request.user, household),  # the lines' pages of the household
    }
    return render(request, "workbench/registry/household_detail.html", context)


@login_required
@require_POST
def household_reveal(request, pk, field):
    household = selectors.household_get(user=request.user, pk=pk)
    try:
        value = services.sensitive_reveal(user=request.user, obj=household, field=field)
    except RevealLimited as exc:
        return reveal_refused(exc)
    return render(request, "workbench/common/_revealed.html", {"value": value})


@login_required
def household_edit(request, pk):
    require(request.user, "registry.change")
    household = selectors.household_get(user=request.user, pk=pk)
    if request.method == "POST":
        form = HouseholdForm(request.POST, user=request.user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            if not data["bank_account"]:
                data.pop("bank_account")
            try:
                services.household_update(user=request.user, household=household, data=data)
                messages.success(request, "已保存")
                return redirect("workbench:registry:household_detail", pk=pk)
            except ValidationError as exc:
                apply_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
    else:
        form = HouseholdForm(
            initial={f: getattr(household, f) for f in ("region_code", "hukou_type", "address", "bank_name")},
            user=request.user,
        )
    return render(request, "workbench/common/form.html", {"form": form, "title": f"修改家庭：{household.number}"})


@login_required
def household_new(request):
    require(request.user, "registry.change")
    form = HouseholdNewForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        head = {"id_number": data.pop("head_id_number")}  # must be registered: no fields to create from
        try:
            household = services.household_register(user=request.user, data=data, members=[head])
            messages.success(request, f"已建立家庭 {household.number}，可继续增加成员")
            return redirect("workbench:registry:household_detail", pk=household.pk)
        except ValidationError as exc:
            if "members" in getattr(exc, "message_dict", {}):
                exc = ValidationError({"head_id_number": exc.message_dict["members"]})
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
    return render(request, "workbench/common/form.html", {"form": form, "title": "建立家庭"})


@login_required
@require_POST
def household_member_add(request, pk):
    household = selectors.household_get(user=request.user, pk=pk)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        person = (
            Person.objects.for_user(request.user, "registry.view")
            .filter(id_number_index=id_index(form.cleaned_data["id_number"]))
            .first()
        )
        if person is None:
            messages.error(request, "在您的管辖范围内找不到该身份证号的人员，请先登记人员")
        else:
            try:
                services.membership_add(
                    user=request.user,
                    household=household,
                    person=person,
                    relation=form.cleaned_data["relation"],
                )
                messages.success(request, f"已增加成员 {person.name}")
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.error(request, "请填写身份证号和与户主关系")
    return redirect("workbench:registry:household_detail", pk=pk)


@login_required
@require_POST
def household_member_end(request, pk, membership_id):
    household = selectors.household_get(user=request.user, pk=pk)
    membership = get_object_or_404(Membership, pk=membership_id, household=household)
    form = MemberEndForm(request.POST)
    if form.is_valid():
        try:
            services.membership_end(user=request.user, membership=membership, reason=form.cleaned_data["reason"])
            messages.success(request, f"{membership.person.name} 已移出")
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.error(request, "请填写移出原因")
    return redirect("workbench:registry:household_detail", pk=pk)


@login_required
def import_template(request):
    response = HttpResponse(
        template_bytes(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = "attachment; filename=household-import-template.xlsx"
    return response


@login_required
def import_households(request):
    require(request.user, "registry.import")
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            relative = job_upload_save(upload, suffix=".xlsx")  # deleted when the job ends
            job = job_enqueue(
                kind="registry.import",
                title=f"导入家庭：{upload.name}",
                params={"path": relative, "filename": upload.name},
                user=request.user,
                temp_files=[relative],
            )
            return redirect("workbench:system:job_detail", pk=job.pk)
    else:
        form = ImportForm()
    return render(request, "workbench/registry/import.html", {"form": form})
