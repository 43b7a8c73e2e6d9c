"""The 查询码 (access code) of a hardship report: how the reporter — and nobody else — reads its
status and reply on the portal, together with the reference number (issue 14 item 2).

12 characters of Crockford's base32 (digits and capital letters without I, L, O and U): 60 random
bits from :mod:`secrets`, shown in groups of four (``7KQ4-M2XD-9HTA``). What is typed is read
leniently — lower case, spaces and hyphens, O for 0, I and L for 1. Only the code's blind index
(HMAC-SM3 with the index key, purpose ``hardship_report_code``) is stored: a copy of the database
alone does not let anyone test codes, and staff never see a code after it is issued."""

from __future__ import annotations

import hmac
import secrets

from minzheng.foundation.crypto.sm import blind_index

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
PURPOSE = "hardship_report_code"
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1", " ": None, "-": None, "\u3000": None})
_NO_CODE = "-"  # hashed when nothing usable was typed, so every look-up costs one HMAC


def code_new() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def code_display(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def code_normalise(text: str) -> str:
    """The code in ``text`` as issued, or "" when it cannot be one."""
    code = (text or "").strip().upper().translate(_READ_AS)
    return code if len(code) == LENGTH and all(ch in ALPHABET for ch in code) else ""


def code_hash(code: str) -> str:
    return blind_index(code, purpose=PURPOSE)


def code_matches(stored_hash: str, typed: str) -> bool:
    """Whether ``typed`` is the code whose hash is ``stored_hash`` ("" — no report, or none issued
    — never matches), after the same work either way."""
    computed = code_hash(code_normalise(typed) or _NO_CODE)
    same = hmac.compare_digest((stored_hash or "0" * len(computed)).encode(), computed.encode())
    return same and bool(stored_hash)
