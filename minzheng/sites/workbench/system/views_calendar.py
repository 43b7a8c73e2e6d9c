"""Workbench pages of the working-day calendar (工作日历), for administrators: which years have
holiday data and from where, and a form to enter a year's official notice
(国务院办公厅关于XXXX年部分节假日安排的通知) as soon as it is published.

Thin views, as in :mod:`.views`: parse the form, call one service, render. The service checks the
permission again, validates the notice and writes the audit event.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from minzheng.foundation.calendar.models import CalendarYear
from minzheng.foundation.calendar.services import (
    FIRST_YEAR,
    LAST_YEAR,
    LOCAL,
    MISSING,
    PROVISIONAL,
    calendar_year_delete,
    calendar_year_set,
    weekday_label,
    year_calendar,
)
from minzheng.foundation.validation import is_digits

from ..common.errors import apply_errors
from ..common.permissions import require

FIRST_LISTED = 2025  # the list starts with the year the platform went live
RANGE_WORDS = {"至", "到", "-", "~", "～", "—"}  # tolerated between the two dates of a range


def _require_admin(user) -> None:
    # has_permission is true for superusers as well
    require(user, "accounts.manage")


def _parse_date(text: str, line_no: int, line: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"第{line_no}行“{line}”：日期“{text}”的格式应为 2027-02-06") from None


def _lines(text: str):
    for line_no, raw in enumerate((text or "").splitlines(), 1):
        line = raw.strip()
        if line and not line.startswith("#"):
            yield line_no, line, line.split()


class CalendarYearForm(forms.Form):
    source = forms.CharField(label="依据文件", max_length=200, help_text="如 国办发明电〔2026〕X号")
    holidays = forms.CharField(
        label="放假安排",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "class": "mono"}),
        help_text="每行一段：开始日期 结束日期 节日名称，如 2027-02-06 2027-02-14 春节；只放一天可写 2027-04-05 清明节",
    )
    workdays = forms.CharField(
        label="调休上班日",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "class": "mono"}),
        help_text="每行一天：日期 名称，如 2027-02-20 春节调休；调休上班日只能是星期六或星期日",
    )

    def clean_holidays(self) -> list[tuple[dt.date, dt.date, str]]:
        ranges = []
        for line_no, line, words in _lines(self.cleaned_data["holidays"]):
            first = _parse_date(words[0], line_no, line)
            rest = words[1:]
            if rest and rest[0] in RANGE_WORDS:
                rest = rest[1:]
            last = first
            if rest and is_digits(rest[0][:1]):
                last = _parse_date(rest[0], line_no, line)
                rest = rest[1:]
            if not rest:
                raise ValidationError(f"第{line_no}行“{line}”：缺少节日名称")
            ranges.append((first, last, " ".join(rest)))
        return ranges

    def clean_workdays(self) -> list[tuple[dt.date, str]]:
        days = []
        for line_no, line, words in _lines(self.cleaned_data["workdays"]):
            if len(words) < 2:
                raise ValidationError(f"第{line_no}行“{line}”：应为 日期 名称，如 2027-02-20 春节调休")
            days.append((_parse_date(words[0], line_no, line), " ".join(words[1:])))
        return days


def _initial(cal) -> dict:
    """The year as the form shows it: a local entry to correct, or the package's data to copy."""
    return {
        "source": cal.source if cal.status == LOCAL else "",
        "holidays": "\n".join(
            f"{a:%Y-%m-%d} {b:%Y-%m-%d} {name}" if a != b else f"{a:%Y-%m-%d} {name}"
            for a, b, name in cal.holiday_ranges()
        ),
        "workdays": "\n".join(f"{d:%Y-%m-%d} {name}" for d, name in cal.workday_list()),
    }


def _day_rows(cal) -> list[dict]:
    rows = [
        {
            "first": a,
            "kind": "放假",
            "when": f"{a:%Y-%m-%d}（{weekday_label(a)}）"
            + (f" 至 {b:%Y-%m-%d}（{weekday_label(b)}）" if a != b else ""),
            "name": name,
            "days": (b - a).days + 1,
        }
        for a, b, name in cal.holiday_ranges()
    ]
    rows += [
        {"first": d, "kind": "调休上班", "when": f"{d:%Y-%m-%d}（{weekday_label(d)}）", "name": name, "days": 1}
        for d, name in cal.workday_list()
    ]
    return sorted(rows, key=lambda r: r["first"])


@login_required
def calendar(request):
    """Every year from go-live to next year (and any other year entered locally) with its source;
    banners name the years whose deadlines are provisional (the 办法's statutory days, no notice
    yet) or would count weekends only."""
    _require_admin(request.user)
    wanted = request.GET.get("year", "")
    if is_digits(wanted) and FIRST_YEAR <= int(wanted) <= LAST_YEAR:
        return redirect("workbench:system:calendar_year", year=int(wanted))
    today = timezone.localdate()
    years = set(range(FIRST_LISTED, today.year + 2)) | set(CalendarYear.objects.values_list("year", flat=True))
    rows = [year_calendar(y) for y in sorted(years)]
    return render(
        request,
        "workbench/system/calendar/list.html",
        {
            "rows": rows,
            "missing": [c.year for c in rows if c.status == MISSING],
            "provisional": [c.year for c in rows if c.status == PROVISIONAL],
            "this_year": today.year,
        },
    )


@login_required
def calendar_year(request, year: int):
    """A year's holidays and make-up workdays, and the form that enters its notice locally."""
    _require_admin(request.user)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404(f"年份须在{FIRST_YEAR}至{LAST_YEAR}年之间")
    cal = year_calendar(year)
    if request.method == "POST":
        form = CalendarYearForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                calendar_year_set(
                    user=request.user, year=year, holidays=d["holidays"], workdays=d["workdays"], source=d["source"]
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"已保存{year}年节假日安排；该年的工作日期限从现在起按本次录入计算")
                return redirect("workbench:system:calendar_year", year=year)
    else:
        form = CalendarYearForm(initial=_initial(cal))
    return render(
        request,
        "workbench/system/calendar/year.html",
        {
            "year": year,
            "cal": cal,
            "rows": _day_rows(cal),
            "form": form,
            "LOCAL": LOCAL,
            "MISSING": MISSING,
            "PROVISIONAL": PROVISIONAL,
        },
    )


@login_required
@require_POST
def calendar_year_remove(request, year: int):
    """Drop a year's local entry: it falls back to the package's data, or to weekends only."""
    _require_admin(request.user)
    try:
        calendar_year_delete(user=request.user, year=year)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, f"已删除{year}年的本地录入，现用：{year_calendar(year).status_label}")
    return redirect("workbench:system:calendar_year", year=year)
