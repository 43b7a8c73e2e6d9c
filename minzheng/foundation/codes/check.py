"""Classify and check one value: resident ID, USCC or unknown (used by ``minzheng codes check``).

An 18-character value with an ID number's shape — 17 digits, then a digit or X, and in positions
7–14 a birth date that could be real, or one digit away from one (a typo in the date) — is judged
as an ID number only. A mistyped ID number passes the credit code's check about one time in 31,
so trying the credit code after a failed ID number would report such a typo as a valid
统一社会信用代码. A genuine all-digit credit code (121200004013590816) has that shape only by
chance; when it does, the result says that it also passes GB 32100.
"""

from __future__ import annotations

import datetime as dt

from .idnumbers import FIRST_BIRTH_YEAR, IdNumberError, normalise, parse_id_number, region_warnings
from .uscc import VALUES, UsccError, validate_uscc


def _plausible_birth(digits8: str, last_year: int) -> bool:
    try:
        birth = dt.date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:]))
    except ValueError:
        return False
    return FIRST_BIRTH_YEAR <= birth.year <= last_year


def has_id_shape(text: str, *, today: dt.date | None = None) -> bool:
    """17 digits, a digit or X, and positions 7–14 a real date from 1880 to this year, or one
    digit away from such a date (an ID number with a typo in its birth date keeps its shape)."""
    if len(text) != 18 or not (text[:17].isascii() and text[:17].isdigit()) or text[17] not in "0123456789X":
        return False
    last_year = (today or dt.date.today()).year
    date = text[6:14]
    if _plausible_birth(date, last_year):
        return True
    return any(
        _plausible_birth(date[:i] + d + date[i + 1 :], last_year)
        for i in range(8)
        for d in "0123456789"
        if d != date[i]
    )


def _valid_uscc(text: str) -> bool:
    try:
        validate_uscc(text)
    except UsccError:
        return False
    return True


def check_value(value: str) -> dict:
    text = normalise(value)
    result = {
        "value": value,
        "kind": "unknown",
        "valid": False,
        "error": None,
        "birth_date": None,
        "sex": None,
        "region_code": None,
    }
    if not text:
        result["error"] = "空值"
        return result
    id_shaped = has_id_shape(text)
    looks_like_id = len(text) == 18 and text[:17].isdigit() and (text[17].isdigit() or text[17] == "X")
    looks_like_uscc = len(text) == 18 and all(c in VALUES for c in text)
    if looks_like_id and not id_shaped and looks_like_uscc and _valid_uscc(text):
        looks_like_id = False  # an all-digit credit code whose positions 7–14 are no date: 121200004013590816
    if looks_like_id or (text[:6].isdigit() and len(text) in (15, 17, 19) and text.isdigit()):
        result["kind"] = "resident_id"
        try:
            rid = parse_id_number(text)
        except IdNumberError as exc:
            result["error"] = str(exc)
            if id_shaped and looks_like_uscc and _valid_uscc(text):
                result["warnings"] = ["该值也符合统一社会信用代码的校验规则；按身份证号判断，若确为信用代码请核对原件"]
            return result
        result.update(valid=True, birth_date=rid.birth_date.isoformat(), sex=rid.sex, region_code=rid.region_code)
        if warnings := region_warnings(rid.region_code):
            result["warnings"] = warnings
        return result
    if looks_like_uscc:
        result["kind"] = "uscc"
        try:
            _, warnings = validate_uscc(text)
        except UsccError as exc:
            result["error"] = str(exc)
            return result
        result["valid"] = True
        if warnings:
            result["warnings"] = warnings
        return result
    result["error"] = "既不是身份证号也不是统一社会信用代码（长度或字符不符）"
    return result
