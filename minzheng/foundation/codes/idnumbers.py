"""Resident identity card numbers, GB 11643-1999 (居民身份证号码).

Positions 1–6 address code (GB/T 2260), 7–14 birth date YYYYMMDD, 15–17 sequence (odd = male),
18 check character by ISO 7064 MOD 11-2. See ``shared/docs/domain/codes-and-statistics.md`` §1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from operator import mul

WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
CHECK_CHARS = "10X98765432"  # index r = S mod 11
_ZERO = 48 * sum(WEIGHTS)  # the weighted sum of seventeen '0' characters (ord 48)


class IdNumberError(ValueError):
    """A resident ID number that is not valid; the message is the reason in Chinese."""


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    sex: str  # "male" | "female"
    region_code: str  # 6-digit GB/T 2260 code as issued

    @property
    def masked(self) -> str:
        return mask_id_number(self.number)

    def age_on(self, day: dt.date) -> int:
        """Age in whole years on ``day`` (computed, never stored)."""
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


def check_character(first17: str) -> str:
    """GB 11643 check character for the first 17 digits (ISO 7064 MOD 11-2)."""
    if len(first17) == 17 and first17.isascii() and first17.isdigit():  # the weighted sum, in C
        return CHECK_CHARS[(sum(map(mul, first17.encode(), WEIGHTS)) - _ZERO) % 11]
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalise(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def parse_id_number(value: str, *, today: dt.date | None = None) -> ResidentId:
    """Validate and parse; raise :class:`IdNumberError` with a Chinese reason.

    Order (codes-and-statistics.md §1): length 18 → first 17 digits → last digit or X →
    birth date real and not in the future → check character. An address code missing from
    today's GB/T 2260 list is accepted: codes retire, numbers keep them.
    """
    number, birth, sex = parse_id_fields(value, today=today)
    return ResidentId(number=number, birth_date=birth, sex=sex, region_code=number[:6])


def parse_id_fields(value: str, *, today: dt.date | None = None) -> tuple[str, dt.date, str]:
    """:func:`parse_id_number` as a plain ``(number, birth_date, sex)`` tuple, for bulk loads that
    parse many numbers (pass ``today`` once rather than read the clock per number)."""
    number = normalise(value)
    if len(number) != 18:
        raise IdNumberError(f"身份证号应为18位，实际为{len(number)}位")
    if not number[:17].isdigit() or not number[:17].isascii():
        raise IdNumberError("身份证号前17位必须是数字")
    if not (number[17].isdigit() and number[17].isascii()) and number[17] != "X":
        raise IdNumberError("身份证号第18位必须是数字或X")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError(f"身份证号中的出生日期{number[6:14]}不是有效日期") from None
    today = today or dt.date.today()
    if birth > today:
        raise IdNumberError(f"身份证号中的出生日期{birth.isoformat()}晚于今天")
    if birth.year < 1880:
        raise IdNumberError(f"身份证号中的出生年份{birth.year}不合理")
    expected = check_character(number[:17])
    if number[17] != expected:
        raise IdNumberError(f"身份证号校验位错误：应为{expected}，实际为{number[17]}")
    sex = "male" if number[16] in "13579" else "female"
    return number, birth, sex


def validate_id_number(value: str) -> str | None:
    """Return ``None`` when valid, else the Chinese reason."""
    try:
        parse_id_number(value)
    except IdNumberError as exc:
        return str(exc)
    return None


def mask_id_number(value: str) -> str:
    """Display form: first 6 and last 4 characters kept (``330381********1234``)."""
    number = normalise(value)
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def make_id_number(region6: str, birth: dt.date, sequence: int) -> str:
    """Build a valid number (demo data and tests): ``sequence`` 0–999, odd = male."""
    first17 = f"{region6}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)
