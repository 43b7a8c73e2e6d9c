"""Unified social credit code, GB 32100-2015 (统一社会信用代码).

See ``shared/docs/domain/codes-and-statistics.md`` §2: 31-character set without I, O, S, V, Z;
weights 3^(i−1) mod 31; check = 31 − (Σ mod 31), 31 → 0. The check character is python-stdnum's
(``stdnum.cn.uscc``), so the platform holds no second copy of the formula; stdnum's own
``validate`` is not used because it refuses the letter authorities A, N and Y of the later
amendments. The 主体标识码 check (GB 11714) is reported as a warning only while its rule is
unconfirmed.
"""

from __future__ import annotations

from stdnum.cn import uscc as _stdnum_uscc

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {c: i for i, c in enumerate(CHARSET)}
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# 登记管理部门代码 (position 1) → its 机构类别代码 (position 2), GB 32100-2015 表1 as extended by
# later notices (A 中央军委改革和编制办公室, N 农业 for 农村集体经济组织).
AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}
KNOWN_KINDS = {authority: "".join(kinds) for authority, (_, kinds) in AUTHORITIES.items()}
MINZHENG_KINDS = AUTHORITIES["5"][1]


class UsccError(ValueError):
    """An invalid unified social credit code; the message is the reason in Chinese."""


def check_character(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters (python-stdnum's computation)."""
    return _stdnum_uscc.calc_check_digit(first17)


def kind_label(code: str) -> str:
    """``"民政 / 社会团体"`` for a code whose positions 1 and 2 are known, else ``""``."""
    authority, kinds = AUTHORITIES.get(code[:1], ("", {}))
    kind = kinds.get(code[1:2], "")
    return f"{authority} / {kind}" if authority and kind else ""


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
    if code[0] not in KNOWN_KINDS:
        raise UsccError(f"统一社会信用代码的登记管理部门代码{code[0]}无效")
    if code[1] not in KNOWN_KINDS[code[0]]:
        authority = AUTHORITIES[code[0]][0]
        raise UsccError(
            f"统一社会信用代码的登记管理部门代码{code[0]}（{authority}）与机构类别代码{code[1]}组合无效"
            f"（{authority}的机构类别为 {'、'.join(KNOWN_KINDS[code[0]])}）"
        )
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
