"""Writing and verifying the audit chain.

Each event's hash is SM3 over the previous hash and a canonical JSON of the event, so altering or
removing any row breaks every later link; the head row records the tip, so removing the newest
rows is detected too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from minzheng.foundation.crypto.sm import sm3_hex

from .context import current_actor
from .models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _canonical(event: AuditEvent) -> bytes:
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


@dataclass(frozen=True)
class Entry:
    action: str
    object_type: str = ""
    object_id: str = ""
    region_code: str = ""
    summary: str = ""
    changes: dict | None = None


def audit_record(
    *,
    action: str,
    object_type: str = "",
    object_id=None,
    region_code: str = "",
    summary: str = "",
    changes: dict | None = None,
) -> AuditEvent:
    """Append one event for the current actor (see :mod:`.context`)."""
    return audit_record_many(
        entries=[
            Entry(
                action,
                object_type,
                "" if object_id is None else str(object_id),
                region_code or "",
                summary,
                changes,
            )
        ]
    )[0]


def audit_record_many(*, entries: Iterable[Entry]) -> list[AuditEvent]:
    """Append many events in one locked step (imports, bulk changes)."""
    entries = list(entries)
    if not entries:
        return []
    actor = current_actor()
    now = timezone.now()
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        seq, prev = head.last_seq, head.last_hash
        events = []
        for e in entries:
            seq += 1
            ev = AuditEvent(
                seq=seq,
                at=now,
                actor_id=actor.user_id,
                actor_name=actor.name[:150],
                ip=actor.ip[:64],
                channel=actor.channel,
                action=e.action,
                object_type=e.object_type,
                object_id=str(e.object_id)[:64],
                region_code=e.region_code or "",
                summary=e.summary[:300],
                changes=e.changes or {},
                prev_hash=prev,
            )
            ev.hash = sm3_hex(_canonical(ev))
            prev = ev.hash
            events.append(ev)
        AuditEvent.objects.bulk_create(events, batch_size=2000)
        head.last_seq, head.last_hash = seq, prev
        head.save(update_fields=["last_seq", "last_hash"])
    return events


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def audit_verify(*, chunk: int = 5000) -> VerifyResult:
    """Walk the chain in order and report the first broken link."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    last = 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:chunk])
        if not rows:
            break
        for ev in rows:
            if ev.seq != expected_seq:
                return VerifyResult(
                    False, checked, expected_seq, f"第{expected_seq}条记录缺失（链条断在第{ev.seq}条之前）"
                )
            if ev.prev_hash != prev:
                return VerifyResult(False, checked, ev.seq, f"第{ev.seq}条记录的前序哈希与上一条不符")
            if sm3_hex(_canonical(ev)) != ev.hash:
                return VerifyResult(False, checked, ev.seq, f"第{ev.seq}条记录的内容已被修改（哈希不符）")
            prev = ev.hash
            expected_seq += 1
            checked += 1
            last = ev.seq
    head = AuditHead.objects.filter(id=1).first()
    if head and (head.last_seq != last or head.last_hash != prev):
        return VerifyResult(
            False, checked, last + 1, f"链头记录到第{head.last_seq}条，但日志只到第{last}条：末尾记录被删除"
        )
    return VerifyResult(True, checked)


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for changed fields only."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}
