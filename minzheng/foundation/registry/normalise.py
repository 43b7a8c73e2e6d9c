"""Turning raw person input into stored values: derived fields, masks, blind index, pinyin."""

from __future__ import annotations

import functools
import re

from pypinyin import Style, lazy_pinyin

from minzheng.foundation.codes import IdNumberError, mask_id_number, parse_id_number
from minzheng.foundation.crypto.sm import blind_index, blind_indexes

PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")
# spaces but no other whitespace: \s would let tab, line breaks and the separators \x1c–\x1f in
NAME_RE = re.compile(r"^[\u3400-\u9fff\u00b7·A-Za-z \u00a0\u3000]{1,50}$")


def id_index(id_number: str) -> str:
    return blind_index(id_number.strip().upper(), purpose="id_number")


def id_indexes(id_numbers: list[str]) -> list[str]:
    """``[id_index(n) for n in id_numbers]``, for bulk loads."""
    return blind_indexes([n.strip().upper() for n in id_numbers], purpose="id_number")


@functools.lru_cache(maxsize=65536)
def _initial(char: str) -> str:
    return "".join(lazy_pinyin(char, style=Style.FIRST_LETTER, errors="ignore")).lower()


def name_initials(name: str) -> str:
    """Pinyin initials, one per character (张三 → zs). Cached per character: names reuse a few
    thousand characters, and pypinyin costs ~30 µs a call."""
    return "".join(_initial(c) for c in name)


NAME_SEPARATORS = re.compile(r"[\s·•.]+")


def name_grams(name: str) -> set[str]:
    """Single characters and adjacent pairs of a name (间隔号 and spaces split it)."""
    if not NAME_SEPARATORS.search(name):  # most names: one part
        grams = set(name)
        grams.update([name[i : i + 2] for i in range(len(name) - 1)])
        return grams
    grams = set()
    for part in NAME_SEPARATORS.split(name):
        grams.update(part)
        grams.update(part[i : i + 2] for i in range(len(part) - 1))
    return grams


def mask_phone(phone: str) -> str:
    digits = phone.replace("-", "")
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_bank_account(account: str) -> str:
    account = account.replace(" ", "")
    if len(account) <= 8:
        return "*" * len(account)
    return account[:4] + "*" * (len(account) - 8) + account[-4:]


def check_phone(phone: str) -> str | None:
    if phone and not PHONE_RE.fullmatch(phone):
        return "联系电话应为11位手机号或带区号的固定电话"
    return None


def check_name(name: str) -> str | None:
    if not name:
        return "姓名不能为空"
    if not NAME_RE.fullmatch(name):
        return "姓名只能包含汉字、字母和间隔号·，且不超过50字"
    return None


def derive_from_id(id_number: str) -> dict:
    """sex, birth_date, masked form and blind index from a valid number; raises IdNumberError."""
    rid = parse_id_number(id_number)
    return {
        "id_number": rid.number,
        "id_number_index": id_index(rid.number),
        "id_number_masked": mask_id_number(rid.number),
        "sex": rid.sex,
        "birth_date": rid.birth_date,
    }


__all__ = [
    "IdNumberError",
    "check_name",
    "check_phone",
    "derive_from_id",
    "id_index",
    "mask_bank_account",
    "mask_phone",
    "name_initials",
]
