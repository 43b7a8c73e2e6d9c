"""The citizen-facing notice board (公示栏): notices showing in a village, community or township,
with what the case type allows (name partly masked, persons, amount — never an ID number or an
address), and an objection form that anyone may use, anonymously if they wish (审核确认办法
第十八条). No login; objections are throttled per address."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from minzheng.engines.cases.models import NoticeState, PublicNotice
from minzheng.engines.cases.selectors import notices_showing
from minzheng.engines.cases.services import objection_file
from minzheng.foundation.audit.middleware import client_ip
from minzheng.foundation.regions.models import Region
from minzheng.foundation.regions.selectors import region_names
from minzheng.foundation.validation import Refused, is_digits

from .regions import LEVEL_LABELS, region_chosen_from, region_picker
from .session import citizen_of

OBJECTIONS_PER_HOUR = 5


class ObjectionForm(forms.Form):
    content = forms.CharField(label="异议内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
                              error_messages={"required": "请填写异议内容"})  # fmt: skip
    name = forms.CharField(label="您的姓名（可不填）", max_length=50, required=False)
    phone = forms.CharField(label="联系电话（可不填，便于回复）", max_length=20, required=False)


def _region(code: str) -> Region | None:
    code = (code or "").strip()
    return Region.objects.filter(code=code).first() if is_digits(code) and len(code) == 12 else None


def notices(request, form=None, status=200, active=None):
    """The board for the region chosen in the picker (or ``?region=<12-digit code>``); before any
    choice, the signed-in citizen's own village, else the bureau's region."""
    code = request.GET.get("region", "")
    if not code:
        chosen = {level: request.GET.get(level, "") for level in LEVEL_LABELS}
        if not any(chosen.values()):
            citizen = citizen_of(request)
            start = citizen.person.region_code if citizen is not None and citizen.person_id else ""
            chosen = region_chosen_from(start or settings.MINZHENG_PORTAL_REGION)
        _, code = region_picker(chosen)
    region = _region(code)
    rows_picker, _ = region_picker(region_chosen_from(region.code) if region else {})
    qs = notices_showing(region_prefix=region.prefix if region else "")
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    names = region_names(n.region_code for n in page)
    rows = [(n, names.get(n.region_code, "")) for n in page]
    return render(request, "portal/notices.html", {
        "page": page, "notices": rows, "rows": rows_picker, "region": region, "form": form or ObjectionForm(),
        "active": active,
    }, status=status)  # fmt: skip


@require_POST
def objection(request, pk):
    notice = get_object_or_404(PublicNotice, pk=pk, state=NoticeState.OPEN)
    form = ObjectionForm(request.POST)
    key = f"portal:objection:{client_ip(request)}"
    if cache.get(key, 0) >= OBJECTIONS_PER_HOUR:
        form.add_error(None, "提交过于频繁，请一小时后再试，或到村（社区）、乡镇（街道）当面反映")
        return notices(request, form=form, status=429, active=notice.pk)
    if not form.is_valid():
        return notices(request, form=form, status=422, active=notice.pk)
    try:
        objection_file(notice=notice, content=form.cleaned_data["content"], name=form.cleaned_data["name"],
                       phone=form.cleaned_data["phone"], channel="portal")  # fmt: skip
    except ValidationError as exc:
        for field, messages in getattr(exc, "message_dict", {None: exc.messages}).items():
            form.add_error(field if field in form.fields else None, messages)
        return notices(request, form=form, status=409 if isinstance(exc, Refused) else 422, active=notice.pk)
    cache.set(key, cache.get(key, 0) + 1, 3600)
    return redirect(reverse("portal:notices") + f"?region={notice.region_code}&sent=1#n{notice.pk}")
