"""The statutory holidays of 《全国年节及纪念日放假办法》, computed for a year whose notice is not
yet published (国务院办公厅关于XXXX年部分节假日安排的通知 usually appears in November).

Policy is data: :data:`REVISIONS` holds each revision of the 办法 with the date it took effect and,
for each 全体公民放假的节日, its kind of date and number of days. The code only turns a rule into
dates: lunar dates through ``lunardate`` (a table of the Chinese calendar 1900–2099), 清明 as the
solar term (``chinese_calendar.get_solar_terms``: the 寿星 formula with its table of corrections).

What a notice adds cannot be computed: its 调休 (make-up workdays moved from weekends). What the
办法 itself says is applied: 第六条 “全体公民放假的假日，如果适逢星期六、星期日，应当在工作日补假”
— a statutory day on a weekend gives a 补假 day, the next working day after the festival; so does
a statutory day already taken by another festival (国庆节 and 中秋节 both on 1 October 2020: the
notice gave a day more). The result is provisional and marked so until the notice is entered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chinese_calendar import get_solar_terms
from lunardate import LunarDate

SOLAR, LUNAR, LUNAR_NEW_YEARS_EVE, QINGMING = "solar", "lunar", "lunar_eve", "qingming"
ONE_DAY = dt.timedelta(days=1)
MAKE_UP = "（补假）"


@dataclass(frozen=True)
class Festival:
    """One 全体公民放假的节日: its first day (by ``kind``, ``month``, ``day``) and ``days`` in a row."""

    name: str
    kind: str
    month: int = 0
    day: int = 0
    days: int = 1


@dataclass(frozen=True)
class Revision:
    effective_from: dt.date
    source: str
    festivals: tuple[Festival, ...]


REVISIONS: tuple[Revision, ...] = (
    Revision(
        dt.date(2014, 1, 1),
        "《全国年节及纪念日放假办法》（国务院令第644号修订）第二条",
        (
            Festival("元旦", SOLAR, 1, 1),
            Festival("春节", LUNAR, 1, 1, days=3),  # 农历正月初一、初二、初三
            Festival("清明节", QINGMING),
            Festival("劳动节", SOLAR, 5, 1),
            Festival("端午节", LUNAR, 5, 5),
            Festival("中秋节", LUNAR, 8, 15),
            Festival("国庆节", SOLAR, 10, 1, days=3),
        ),
    ),
    Revision(
        dt.date(2025, 1, 1),
        "《全国年节及纪念日放假办法》（国务院令第795号修订）第二条",
        (
            Festival("元旦", SOLAR, 1, 1),
            Festival("春节", LUNAR_NEW_YEARS_EVE, days=4),  # 农历除夕、正月初一至初三
            Festival("清明节", QINGMING),  # 农历清明当日
            Festival("劳动节", SOLAR, 5, 1, days=2),  # 5月1日、2日
            Festival("端午节", LUNAR, 5, 5),
            Festival("中秋节", LUNAR, 8, 15),
            Festival("国庆节", SOLAR, 10, 1, days=3),  # 10月1日至3日
        ),
    ),
)
FIRST_YEAR = REVISIONS[0].effective_from.year
LAST_YEAR = 2099  # lunardate's last lunar year: 春节 of 2100 cannot be computed


def revision_for(year: int) -> Revision | None:
    """The revision in force on 1 January of ``year`` (each took effect on a 1 January)."""
    found = None
    for rev in REVISIONS:
        if rev.effective_from <= dt.date(year, 1, 1):
            found = rev
    return found


def qingming(year: int) -> dt.date:
    """The day of the solar term 清明 (4, 5 or 6 April)."""
    (day,) = [d for d, name in get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 10)) if name == "清明"]
    return day


def first_day(festival: Festival, year: int) -> dt.date:
    if festival.kind == SOLAR:
        return dt.date(year, festival.month, festival.day)
    if festival.kind == LUNAR:
        return LunarDate(year, festival.month, festival.day).to_solar_date()
    if festival.kind == LUNAR_NEW_YEARS_EVE:  # the last day of the twelfth month, 29th or 30th
        return LunarDate(year, 1, 1).to_solar_date() - ONE_DAY
    if festival.kind == QINGMING:
        return qingming(year)
    raise ValueError(f"unknown festival kind {festival.kind!r}")


def statutory_holidays(year: int) -> tuple[dict[dt.date, str], str] | None:
    """``({date: name}, source)``: the year's statutory holidays and their 补假 days, or ``None``
    when no revision covers the year or its lunar dates are out of range.

    Every day lies in ``year``: 除夕 is always in January or February, and a 补假 day after 国庆节
    or 元旦 stays in October or January.
    """
    rev = revision_for(year)
    if rev is None or not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    off: dict[dt.date, str] = {}
    owed: list[tuple[dt.date, str]] = []  # (the festival's last day, its name) per 补假 day owed
    for festival in rev.festivals:
        start = first_day(festival, year)
        days = [start + ONE_DAY * i for i in range(festival.days)]
        for day in days:
            if day.weekday() >= 5 or day in off:
                owed.append((days[-1], festival.name))
            off.setdefault(day, festival.name)
    for last, name in sorted(owed):
        day = last + ONE_DAY
        while day.weekday() >= 5 or day in off:
            day += ONE_DAY
        off[day] = name + MAKE_UP
    return dict(sorted(off.items())), rev.source
