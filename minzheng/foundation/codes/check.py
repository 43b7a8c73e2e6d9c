"""Classify and check one value: resident ID, USCC or unknown (used by ``minzheng codes check``)."""

from __future__ import annotations

from .idnumbers import IdNumberError, normalise, parse_id_number
from .uscc import VALUES, UsccError, validate_uscc


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
    looks_like_id = len(text) == 18 and text[:17].isdigit() and (text[17].isdigit() or text[17] == "X")
    looks_like_uscc = len(text) == 18 and all(c in VALUES for c in text)
    if looks_like_id or (text[:6].isdigit() and len(text) in (15, 17, 19) and text.isdigit()):
        result["kind"] = "resident_id"
        try:
            rid = parse_id_number(text)
        except IdNumberError as exc:
            # an all-digit credit code also looks like an ID number: accept it if it is a valid one
            if looks_like_uscc:
                try:
                    validate_uscc(text)
                except UsccError:
                    pass
                else:
                    return {**result, "kind": "uscc", "valid": True}
            result["error"] = str(exc)
            return result
        result.update(valid=True, birth_date=rid.birth_date.isoformat(), sex=rid.sex, region_code=rid.region_code)
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
