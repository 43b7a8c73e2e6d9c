"""Working days: China's national holidays and make-up workdays (调休), with local overrides.

Statutory time limits of service items are counted in working days (《行政许可法》第八十二条:
期限以工作日计算，不含法定节假日), public notices in calendar days. Where a year's calendar comes
from, in order of authority:

1. a year entered locally (:class:`~.models.CalendarYear`): authoritative for that whole year;
2. the ``chinese-calendar`` package (2004 … 2026 in version 1.11);
3. provisional: the statutory holidays of 《全国年节及纪念日放假办法》 computed for the year
   (:mod:`.statutory`: 元旦, 春节 from 除夕, 清明, 劳动节, 端午, 中秋, 国庆节 and their 补假), without
   the notice's 调休; :func:`year_status` says ``"provisional"`` so pages and commands can say
   that the year's notice is not entered yet and its deadlines may move;
4. nothing (a year no revision of the 办法 covers): Saturdays and Sundays only, ``"missing"``.

Deadlines are computed for every task of an inbox page, so the calendar is held in memory: one
snapshot of all years as two sets of dates. Writes here drop it at once; other processes notice a
change through a one-row-per-year version query made at most once a second.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field

import chinese_calendar
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.audit.services import audit_record

from .models import CalendarDay, CalendarYear, DayKind
from .statutory import FIRST_YEAR as FIRST_STATUTORY_YEAR
from .statutory import LAST_YEAR as LAST_STATUTORY_YEAR
from .statutory import statutory_holidays

LOCAL, PACKAGE, PROVISIONAL, MISSING = "local", "package", "provisional", "missing"
STATUS_LABELS = {
    LOCAL: "本地录入",
    PACKAGE: "软件包数据",
    PROVISIONAL: "暂按放假办法推算（放假通知尚未录入）",
    MISSING: "无数据（仅按周末计算）",
}
PACKAGE_SOURCE = f"chinese-calendar {getattr(chinese_calendar, '__version__', '')}".strip()
WEEKDAYS = "一二三四五六日"
FIRST_YEAR, LAST_YEAR = 2000, 2100  # years an administrator may enter
CHECK_INTERVAL = 1.0  # seconds between two version checks of the local data in one process
ONE_DAY = dt.timedelta(days=1)


def weekday_label(day: dt.date) -> str:
    return f"星期{WEEKDAYS[day.weekday()]}"


@dataclass(frozen=True)
class YearCalendar:
    """One year's holidays and make-up workdays (date → name) and where they come from."""

    year: int
    status: str
    source: str = ""
    holidays: dict[dt.date, str] = field(default_factory=dict)
    workdays: dict[dt.date, str] = field(default_factory=dict)
    entered: CalendarYear | None = None  # the local row, for who entered it and when

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def provisional(self) -> bool:
        """True while the year's notice is neither entered nor in the package: its holidays are
        the 办法's statutory days (or none), and its deadlines may move once the notice is in."""
        return self.status in (PROVISIONAL, MISSING)

    def holiday_ranges(self) -> list[tuple[dt.date, dt.date, str]]:
        """Consecutive holidays of the same name as ``(first, last, name)``, as a notice lists them."""
        ranges: list[tuple[dt.date, dt.date, str]] = []
        for day in sorted(self.holidays):
            name = self.holidays[day]
            if ranges and ranges[-1][1] + ONE_DAY == day and ranges[-1][2] == name:
                ranges[-1] = (ranges[-1][0], day, name)
            else:
                ranges.append((day, day, name))
        return ranges

    def workday_list(self) -> list[tuple[dt.date, str]]:
        return sorted(self.workdays.items())


# ---------------------------------------------------------------- the package's years


def _package_name(english: str) -> str:
    try:
        return chinese_calendar.Holiday(english).chinese
    except ValueError:
        return english


def _package_years() -> dict[int, YearCalendar]:
    holidays: dict[int, dict] = defaultdict(dict)
    workdays: dict[int, dict] = defaultdict(dict)
    for day, english in chinese_calendar.holidays.items():
        holidays[day.year][day] = _package_name(english)
    for day, english in chinese_calendar.workdays.items():
        workdays[day.year][day] = _package_name(english)
    return {
        year: YearCalendar(year, PACKAGE, PACKAGE_SOURCE, holidays[year], workdays.get(year, {}))
        for year in sorted(holidays)
    }


PACKAGE_YEARS = _package_years()


def _provisional_years() -> dict[int, YearCalendar]:
    """Every year after the package's last one that a revision of the 办法 covers."""
    years = {}
    for year in range(max(FIRST_STATUTORY_YEAR, max(PACKAGE_YEARS, default=0) + 1), LAST_STATUTORY_YEAR + 1):
        if computed := statutory_holidays(year):
            years[year] = YearCalendar(year, PROVISIONAL, computed[1], computed[0])
    return years


PROVISIONAL_YEARS = _provisional_years()


# ---------------------------------------------------------------- the in-process snapshot


@dataclass(frozen=True)
class _Snapshot:
    stamp: tuple
    years: dict[int, YearCalendar]
    off: frozenset[dt.date]  # every holiday of every known year
    on: frozenset[dt.date]  # every make-up workday of every known year


_snapshot: _Snapshot | None = None
_checked_at = 0.0


def _stamp() -> tuple:
    """Changes whenever a year is entered, re-entered or deleted: each write sets ``entered_at``."""
    return tuple(CalendarYear.objects.order_by("year").values_list("year", "entered_at"))


def _load(stamp: tuple) -> _Snapshot:
    local = {row.year: row for row in CalendarYear.objects.select_related("entered_by")}
    days: dict[int, tuple[dict, dict]] = {year: ({}, {}) for year in local}
    for year, day, kind, name in CalendarDay.objects.values_list("year_id", "date", "kind", "name"):
        if year in days:  # a year entered between the two queries waits for the next check
            days[year][0 if kind == DayKind.HOLIDAY else 1][day] = name
    years = {**PROVISIONAL_YEARS, **PACKAGE_YEARS}
    for year, row in local.items():
        years[year] = YearCalendar(year, LOCAL, row.source, days[year][0], days[year][1], row)
    return _Snapshot(
        stamp=stamp,
        years=years,
        off=frozenset(d for y in years.values() for d in y.holidays),
        on=frozenset(d for y in years.values() for d in y.workdays),
    )


def _current() -> _Snapshot:
    global _snapshot, _checked_at
    snap, now = _snapshot, time.monotonic()
    if snap is not None and now - _checked_at < CHECK_INTERVAL:
        return snap
    stamp = _stamp()
    if snap is None or snap.stamp != stamp:
        snap = _snapshot = _load(stamp)
    _checked_at = now
    return snap


def calendar_cache_clear() -> None:
    """Forget the snapshot; the next question reloads it (after writes here, and in tests)."""
    global _snapshot
    _snapshot = None


def _is_working(snap: _Snapshot, day: dt.date) -> bool:
    return day in snap.on or (day.weekday() < 5 and day not in snap.off)


# ---------------------------------------------------------------- questions


def is_working_day(day: dt.date) -> bool:
    """A make-up workday (调休上班) is a working day; a holiday (放假) is not; otherwise Monday to
    Friday are (《国务院关于职工工作时间的规定》第七条; 《全国年节及纪念日放假办法》)."""
    return _is_working(_current(), day)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start``: the day of the act (受理、送达) is not counted and
    the period starts the next day (《民法典》第二百零一条), and only working days count
    (《行政许可法》第八十二条). ``n == 0`` is ``start`` itself.

    受理 on Tuesday 2025-06-03, 3 working days: Wednesday to Friday, due Friday 2025-06-06.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    snap = _current()
    day = start
    while n:
        day += ONE_DAY
        if _is_working(snap, day):
            n -= 1
    return day


def add_calendar_days(start: dt.date, n: int) -> dt.date:
    """``start`` plus ``n`` natural days, the start day not counted (《民法典》第二百零一条):
    for public notices (公示), which run over weekends and holidays alike."""
    return start + dt.timedelta(days=n)


def working_days_between(a: dt.date, b: dt.date) -> int:
    """The number of working days ``d`` with ``a < d <= b`` (0 when ``b <= a``): the working days
    used of a time limit that started on ``a``, so ``working_days_between(a, add_working_days(a, n))
    == n``."""
    snap = _current()
    count, day = 0, a
    while day < b:
        day += ONE_DAY
        count += _is_working(snap, day)
    return count


def year_calendar(year: int) -> YearCalendar:
    """The year's calendar as used: local entry, else the package, else an empty ``missing`` year."""
    return _current().years.get(year) or YearCalendar(year, MISSING)


def year_status(year: int) -> str:
    """``"local"``, ``"package"``, ``"provisional"`` (the 办法's statutory days, no notice yet: say
    so) or ``"missing"`` (weekends only: warn the user)."""
    return year_calendar(year).status


def years_missing(start: int | dt.date, end: int | dt.date) -> list[int]:
    """The years from ``start`` to ``end`` inclusive (years or dates) whose holiday notice is
    neither entered nor in the package: their days are provisional or weekends only."""
    first = start.year if isinstance(start, dt.date) else start
    last = end.year if isinstance(end, dt.date) else end
    years = _current().years
    return [y for y in range(first, last + 1) if y not in years or years[y].provisional]


def is_provisional(day: dt.date) -> bool:
    """Whether ``day`` is judged without its year's notice (provisionally)."""
    return year_calendar(day.year).provisional


def notice_warning(years: list[int]) -> str:
    """The Chinese warning for years without their notice, for pages and commands ('' for none)."""
    if not years:
        return ""
    provisional = [y for y in years if year_status(y) == PROVISIONAL]
    missing = [y for y in years if y not in provisional]
    parts = []
    if provisional:
        listed = "、".join(f"{y}年" for y in provisional)
        parts.append(
            f"{listed}的放假通知尚未录入：暂按《全国年节及纪念日放假办法》的法定节假日（含补假，不含调休）计算工作日，"
            "录入通知后相关期限可能变化"
        )
    if missing:
        listed = "、".join(f"{y}年" for y in missing)
        parts.append(f"{listed}没有节假日数据，只按周末计算工作日")
    return "；".join(parts) + "。请系统管理员录入国务院办公厅的放假通知。"


# ---------------------------------------------------------------- writes


def _require_admin(user) -> None:
    if user is not None and not has_permission(user, "accounts.manage"):
        raise PermissionDenied("只有系统管理员可以维护工作日历")


def _validate(
    year: int, holidays: list[tuple[dt.date, dt.date, str]], workdays: list[tuple[dt.date, str]], source: str
) -> tuple[dict[dt.date, str], dict[dt.date, str]]:
    """Check a notice as entered; every problem is reported at once, by field."""
    errors: dict[str, list[str]] = defaultdict(list)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError({"year": f"年份须在{FIRST_YEAR}至{LAST_YEAR}年之间"})
    if not source:
        errors["source"].append("请填写依据文件，如“国办发明电〔2026〕X号”")
    elif len(source) > CalendarYear._meta.get_field("source").max_length:
        errors["source"].append("依据文件不能超过200个字")
    max_name = CalendarDay._meta.get_field("name").max_length

    def outside(day: dt.date) -> bool:
        # the notice of one year sometimes starts 元旦 in late December of the year before;
        # such a day belongs to the year it falls in and is entered there
        return day.year != year

    off: dict[dt.date, str] = {}
    if not holidays:
        errors["holidays"].append("至少填写一段放假安排")
    for first, last, name in holidays:
        label = f"放假安排“{name or '（未命名）'}”{first:%Y-%m-%d} 至 {last:%Y-%m-%d}"
        if not name:
            errors["holidays"].append(f"{label}：请填写节日名称，如“春节”")
        elif len(name) > max_name:
            errors["holidays"].append(f"{label}：名称不能超过{max_name}个字")
        if first > last:
            errors["holidays"].append(f"{label}：开始日期晚于结束日期")
            continue
        if outside(first) or outside(last):
            errors["holidays"].append(f"{label}：日期不在{year}年内（跨年的日期请录入其所在年份）")
            continue
        day = first
        while day <= last:
            if day in off:
                errors["holidays"].append(f"{day:%Y-%m-%d} 在多段放假安排中重复出现")
            off[day] = name
            day += ONE_DAY
    on: dict[dt.date, str] = {}
    for day, name in workdays:
        label = f"调休上班日 {day:%Y-%m-%d}"
        if not name:
            errors["workdays"].append(f"{label}：请填写名称，如“春节调休”")
        elif len(name) > max_name:
            errors["workdays"].append(f"{label}：名称不能超过{max_name}个字")
        if outside(day):
            errors["workdays"].append(f"{label}：日期不在{year}年内（跨年的日期请录入其所在年份）")
        elif day.weekday() < 5:
            errors["workdays"].append(f"{label}是{weekday_label(day)}：调休上班日只能是星期六或星期日")
        elif day in off:
            errors["workdays"].append(f"{label}同时填在了放假安排中")
        elif day in on:
            errors["workdays"].append(f"{label}重复出现")
        on[day] = name
    if errors:
        raise ValidationError(dict(errors))
    return off, on


def _stored(row: CalendarYear) -> YearCalendar:
    """A local year as stored now (not the snapshot, which may be a second old)."""
    off, on = {}, {}
    for day, kind, name in row.days.values_list("date", "kind", "name"):
        (off if kind == DayKind.HOLIDAY else on)[day] = name
    return YearCalendar(row.year, LOCAL, row.source, off, on, row)


def _as_record(cal: YearCalendar) -> dict:
    return {
        "source": cal.source,
        "holidays": [[a.isoformat(), b.isoformat(), name] for a, b, name in cal.holiday_ranges()],
        "workdays": [[d.isoformat(), name] for d, name in cal.workday_list()],
    }


def _forget_after_write() -> None:
    # now for this process (also within the transaction), and again once the write is visible
    calendar_cache_clear()
    transaction.on_commit(calendar_cache_clear)


def calendar_year_set(
    *,
    user,
    year: int,
    holidays: list[tuple[dt.date, dt.date, str]],
    workdays: list[tuple[dt.date, str]],
    source: str,
) -> CalendarYear:
    """Enter a year's holiday notice (国务院办公厅关于XXXX年部分节假日安排的通知): ``holidays`` as
    ``(first, last, name)`` ranges, make-up workdays (调休上班) as ``(day, name)``. Replaces the
    year's earlier local entry and, from then on, the package's data for the whole year.

    Refused with a :class:`ValidationError` (nothing changed) when a date lies outside the year, a
    range is reversed, a day is listed twice, or a make-up workday is not a Saturday or Sunday
    (调休 moves a weekend day into the week, never the reverse).
    """
    _require_admin(user)
    source = (source or "").strip()
    holidays = [(a, b, (name or "").strip()) for a, b, name in holidays]
    workdays = [(d, (name or "").strip()) for d, name in workdays]
    off, on = _validate(year, holidays, workdays, source)
    with transaction.atomic():
        existing = CalendarYear.objects.select_for_update().filter(year=year).first()
        before = _as_record(_stored(existing)) if existing else None
        row, _ = CalendarYear.objects.update_or_create(
            year=year,
            defaults={
                "source": source,
                "entered_by": user if getattr(user, "pk", None) else None,
                "entered_at": timezone.now(),
            },
        )
        CalendarDay.objects.filter(year=row).delete()
        CalendarDay.objects.bulk_create(
            [CalendarDay(year=row, date=d, kind=DayKind.HOLIDAY, name=name) for d, name in sorted(off.items())]
            + [CalendarDay(year=row, date=d, kind=DayKind.WORKDAY, name=name) for d, name in sorted(on.items())]
        )
        after = YearCalendar(year, LOCAL, source, off, on)
        audit_record(
            action="update",
            object_type="workcalendar.year",
            object_id=year,
            summary=f"{year}年节假日安排：放假{len(after.holiday_ranges())}段共{len(off)}天，"
            f"调休上班{len(on)}天（依据 {source}）",
            changes={"before": before, "after": _as_record(after)},
        )
        _forget_after_write()
    return row


def calendar_year_delete(*, user, year: int) -> None:
    """Remove a year's local entry: the year falls back to the package's data, or to the
    provisional statutory days (``provisional``), or weekends only (``missing``)."""
    _require_admin(user)
    with transaction.atomic():
        row = CalendarYear.objects.select_for_update().filter(year=year).first()
        if row is None:
            raise ValidationError(f"{year}年没有本地录入的节假日安排")
        before = _as_record(_stored(row))
        row.delete()  # its days go with it (on_delete=CASCADE)
        audit_record(
            action="delete",
            object_type="workcalendar.year",
            object_id=year,
            summary=f"删除{year}年本地录入的节假日安排（原依据 {before['source']}）",
            changes={"before": before, "after": None},
        )
        _forget_after_write()
