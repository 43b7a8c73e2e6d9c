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
FIRST_BIRTH_YEAR = 1880

# GB/T 2260 province-level codes (positions 1–2): the 31 provinces, 台湾 71, 香港 81, 澳门 82, and
# 83 of 台湾居民居住证 numbers (港澳台居民居住证 use 810000 / 820000 / 830000 as address code).
PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
    "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区", "83": "台湾地区（居住证）",
}  # fmt: skip
# 外国人永久居留身份证 (2023 版): "9", the issuing province's code, a 3-digit nationality code, then the
# birth date, sequence and MOD 11-2 check character as a resident ID number.
FOREIGNER_MARK = "9"


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
    a known province code → birth date real and not in the future → check character. A county
    code missing from today's GB/T 2260 list is accepted (codes retire, numbers keep them):
    :func:`region_warnings` says so, as a warning.
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
    province = number[1:3] if number[0] == FOREIGNER_MARK else number[:2]
    if province not in PROVINCES:
        where = "第2–3位" if number[0] == FOREIGNER_MARK else "前2位"
        raise IdNumberError(f"身份证号{where}的省级行政区划代码{province}不存在")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError(f"身份证号中的出生日期{number[6:14]}不是有效日期") from None
    today = today or dt.date.today()
    if birth > today:
        raise IdNumberError(f"身份证号中的出生日期{birth.isoformat()}晚于今天")
    if birth.year < FIRST_BIRTH_YEAR:
        raise IdNumberError(f"身份证号中的出生年份{birth.year}不合理")
    expected = check_character(number[:17])
    if number[17] != expected:
        raise IdNumberError(f"身份证号校验位错误：应为{expected}，实际为{number[17]}")
    sex = "male" if number[16] in "13579" else "female"
    return number, birth, sex


def region_warnings(region_code: str) -> list[str]:
    """Warnings about a number's 6-digit address code that is not in the region tree: a county
    code may have been retired since the number was issued, so this is never an error."""
    from django.db import DatabaseError, transaction

    from minzheng.foundation.regions.models import Region

    if region_code[:1] == FOREIGNER_MARK or region_code[2:] == "0000":
        return []  # a foreigner's number has no county; 港澳台 居住证 use the province-level code
    try:
        with transaction.atomic():  # a savepoint: a missing table must not break the caller's transaction
            known = Region.objects.filter(gb_code=region_code).exists()
            province_loaded = known or Region.objects.filter(code__startswith=region_code[:2]).exists()
    except DatabaseError:  # no database yet (``minzheng codes check`` before ``migrate``)
        return [f"地址码{region_code}无法核对：本系统的行政区划尚未载入"]
    if known:
        return []
    if province_loaded:
        return [f"地址码{region_code}不在本系统的行政区划中（可能是已撤销的旧代码），请核对"]
    return [f"地址码{region_code}无法核对：本系统未载入{PROVINCES.get(region_code[:2], '该省')}的行政区划"]


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
