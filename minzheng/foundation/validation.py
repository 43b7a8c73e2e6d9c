"""Chinese messages for structured-input validation (pydantic, used by the API and by JSON input
of the CLI and workbench), so every face of the platform explains bad input the same way."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError


class Refused(ValidationError):
    """An illegal change (a transition the rules do not allow, a frozen month …): refused with a
    Chinese explanation and nothing written. Every face answers it the same way (HTTP 409)."""


FIELD_NAMES = {
    "members": "家庭成员",
    "incomes": "收入",
    "expenses": "支出",
    "property": "财产",
    "standards": "标准",
}


def _message(err: dict) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "必填"
    if kind == "decimal_whole_digits":
        return f"数值过大：整数部分最多 {ctx.get('whole_digits', '')} 位"
    if kind in ("int_parsing", "int_type", "decimal_parsing", "decimal_type", "float_parsing", "float_type",
                "int_from_float", "decimal_max_places"):  # fmt: skip
        return "须为数字" if "places" not in kind else "小数位数过多"
    if kind == "multiple_of":
        return f"须为 {ctx.get('multiple_of', '')} 的整数倍"
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        if str(bound) in ("0", "0.0"):
            return "不能为负数" if kind == "greater_than_equal" else "须大于 0"
        return f"不能小于 {bound}" if kind == "greater_than_equal" else f"须大于 {bound}"
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于 {ctx.get('le', ctx.get('lt'))}"
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", "")).replace("' or '", "、").replace("', '", "、").strip("'")
        return f"取值须为：{expected}"
    if kind.startswith("date") or kind.startswith("datetime"):
        return "日期格式应为 YYYY-MM-DD"
    if kind in ("bool_parsing", "bool_type"):
        return "须为 true 或 false"
    if kind in ("too_short",):
        return f"至少需要 {ctx.get('min_length', 1)} 项"
    if kind in ("too_long",):
        return f"最多 {ctx.get('max_length', '')} 项"
    if kind in ("string_too_long",):
        return f"不能超过 {ctx.get('max_length', '')} 个字"
    if kind in ("string_too_short",):
        return f"至少 {ctx.get('min_length', 1)} 个字"
    if kind in ("decimal_max_digits",):
        return "数值过大"
    if kind in ("finite_number",):
        return "须为有限的数字"
    if kind in ("string_type", "str_type"):
        return "须为文本"
    if kind in ("list_type",):
        return "须为列表"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "格式不正确"
    if kind == "string_pattern_mismatch":
        return "格式不正确"
    if kind == "extra_forbidden":
        return "不认识的字段"
    if kind == "value_error":
        msg = err.get("msg", "").removeprefix("Value error, ")
        return msg if _chinese(msg) else "格式不正确"
    if kind == "json_invalid":
        return "不是合法的 JSON"
    msg = err.get("msg", "")
    return msg if _chinese(msg) else "格式不正确"


def _chinese(msg: str) -> bool:
    """A message written in this code base (Chinese) passes; a library's English wording never
    reaches anyone."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in msg)


def errors_zh(errors: Iterable[dict], *, skip: int = 0) -> dict[str, str]:
    """pydantic ``errors()`` → ``{"members.0.birth_date": "必填", …}``; ``skip`` drops leading
    location parts (django-ninja prefixes ``body``)."""
    out: dict[str, str] = {}
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())][skip:]
        key = ".".join(loc) or "body"
        msg = _message(err)
        out[key] = f"{out[key]}；{msg}" if key in out and msg not in out[key] else msg
    return out


def is_digits(value: str) -> bool:
    """Whether ``value`` is a non-empty run of the ASCII digits 0-9.

    ``str.isdigit`` also accepts superscripts and other scripts' digits ("³", "١"), which ``int``
    and every code standard refuse: a parameter checked with it and then converted was a server
    error. Check input with this instead."""
    return value.isascii() and value.isdigit()
