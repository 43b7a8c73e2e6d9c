"""Unified social credit code, GB 32100-2015 (统一社会信用代码).

See ``shared/docs/domain/codes-and-statistics.md`` §2: 31-character set without I, O, S, V, Z;
weights 3^(i−1) mod 31; check = 31 − (Σ mod 31), 31 → 0. The 主体标识码 check (GB 11714) is
reported as a warning only while its rule is unconfirmed.
"""

from __future__ import annotations

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {c: i for i, c in enumerate(CHARSET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# 登记管理部门 → known 机构类别 (position 1 → allowed position 2)
KNOWN_KINDS = {
    "1": "1239",  # 机构编制
    "5": "1239",  # 民政: 1 社会团体, 2 民办非企业单位, 3 基金会, 9 其他
    "9": "123",  # 工商
    "Y": "1",  # 其他
}
MINZHENG_KINDS = {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}


class UsccError(ValueError):
    """An invalid unified social credit code; the message is the reason in Chinese."""


def check_character(first17: str) -> str:
    total = sum(VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def org_code_check(body8: str) -> str:
    """GB 11714 check character of the 9-character 主体标识码 (unconfirmed rule)."""
    total = 0
    for c, w in zip(body8, ORG_WEIGHTS, strict=True):
        total += (int(c) if c.isdigit() else ord(c) - 55) * w
    c = 11 - total % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def validate_uscc(value: str) -> tuple[str, list[str]]:
    """Return (normalised code, warnings); raise :class:`UsccError` when invalid."""
    code = (value or "").strip().upper()
    if len(code) != 18:
        raise UsccError(f"统一社会信用代码应为18位，实际为{len(code)}位")
    bad = [c for c in code if c not in VALUES]
    if bad:
        raise UsccError(f"统一社会信用代码含有不允许的字符：{''.join(dict.fromkeys(bad))}")
    if code[0] not in KNOWN_KINDS or code[1] not in KNOWN_KINDS[code[0]]:
        raise UsccError(f"统一社会信用代码的登记管理部门代码{code[0]}与机构类别代码{code[1]}组合无效")
    if not code[2:8].isdigit():
        raise UsccError("统一社会信用代码第3–8位应为行政区划代码")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise UsccError(f"统一社会信用代码校验位错误：应为{expected}，实际为{code[17]}")
    warnings = []
    body = code[8:17]
    if all(c.isdigit() or c.isupper() for c in body[:8]) and org_code_check(body[:8]) != body[8]:
        warnings.append("主体标识码校验位不符（该规则尚未确认，仅提示）")
    return code, warnings
