"""How an audit row is hashed (ADR 0014).

Scheme 1, rows before the chain's epoch (``AuditHead.keyed_from``): SM3 over the previous hash
and a canonical JSON of the row. Anyone can recompute it, so an edit followed by a recomputation
of every later row went unnoticed.

Scheme 2, every row from the epoch on: HMAC-SM3 under the audit key (``MINZHENG_AUDIT_KEY``, apart
from the data keys) over the same bytes. Without the key no one can write a row that verifies.
The first keyed row covers the last plain hash, so the plain rows before it are held by it too.
"""

from __future__ import annotations

import json

from minzheng.foundation.crypto.keys import audit_key
from minzheng.foundation.crypto.sm import hmac_sm3_base, hmac_sm3_hex, sm3_hex

GENESIS = "0" * 64
ROW_DOMAIN = b"minzheng-audit-row"
CHECKPOINT_DOMAIN = b"minzheng-audit-checkpoint"
FINGERPRINT_DOMAIN = b"minzheng-audit-key-fingerprint"


def canonical(event) -> bytes:
    body = {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "ip": event.ip,
        "channel": event.channel,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": str(event.object_id),
        "region_code": event.region_code,
        "summary": event.summary,
        "changes": event.changes,
    }
    return (event.prev_hash + json.dumps(body, ensure_ascii=False, sort_keys=True, default=str)).encode()


class RowHasher:
    """``hasher(event)``: the hash the row must carry, by its sequence number's scheme."""

    def __init__(self, keyed_from: int):
        self.keyed_from = keyed_from
        self._base = None

    def keyed(self, seq: int) -> bool:
        return seq >= self.keyed_from

    def __call__(self, event) -> str:
        data = canonical(event)
        if not self.keyed(event.seq):
            return sm3_hex(data)
        if self._base is None:
            self._base = hmac_sm3_base(audit_key(), ROW_DOMAIN)
        h = self._base.copy()
        h.update(data)
        return h.finalize().hex()


def checkpoint_mac(body: str) -> str:
    return hmac_sm3_hex(audit_key(), CHECKPOINT_DOMAIN, body.encode())


def key_fingerprint() -> str:
    """12 hex digits that name the audit key without revealing it (printed on every checkpoint,
    so a wrong ``MINZHENG_AUDIT_KEY`` is told apart from a forged checkpoint)."""
    return hmac_sm3_hex(audit_key(), FINGERPRINT_DOMAIN, b"")[:12]
