"""Writing, verifying and anchoring the audit chain (ADR 0014).

Each event's hash covers the previous hash and a canonical JSON of the event (HMAC-SM3 under the
audit key; plain SM3 for rows before the chain's epoch, see :mod:`.chain`), so altering or
removing any row breaks every later link, and no one without the key can recompute the links
after an edit. The head row records the tip; checkpoints in a file outside the database
(:mod:`.anchor`) record it too, so removing the newest rows, with the head row or not, is seen
up to the last checkpoint.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .anchor import Checkpoint, checkpoint_append, checkpoint_path, checkpoints_read
from .chain import GENESIS, RowHasher
from .context import current_actor
from .models import AuditEvent, AuditHead

logger = logging.getLogger("minzheng.audit")


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
        hasher = RowHasher(head.keyed_from)
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
            ev.hash = hasher(ev)
            prev = ev.hash
            events.append(ev)
        AuditEvent.objects.bulk_create(events, batch_size=2000)
        head.last_seq, head.last_hash = seq, prev
        head.save(update_fields=["last_seq", "last_hash"])
    return events


class AuditChainError(Exception):
    """The chain does not verify; ``str()`` is the Chinese reason."""


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""
    checkpoints: int = 0
    last_checkpoint: Checkpoint | None = None
    unanchored: int = 0  # rows after the last checkpoint (their removal is not yet detectable)
    warning: str = ""


def _covering(checkpoints: list[Checkpoint], seq: int) -> str:
    """``；检查点#n（…）已锚定至第S条`` of the first checkpoint that covers row ``seq``."""
    for cp in checkpoints:
        if cp.seq >= seq:
            return f"；{cp.label}已锚定至第{cp.seq}条"
    return ""


def _walk(*, after: int, prev: str, upto: int | None, hasher: RowHasher, checkpoints: list[Checkpoint], chunk: int):
    """Check rows ``after < seq <= upto`` in order from the link ``prev``: no gap, each row linked
    to the one before, each hash right under its scheme, each checkpoint's head hash met.
    Returns ``(failure or None, last seq, last hash, rows checked)``."""
    anchors: dict[int, list[Checkpoint]] = {}
    for cp in checkpoints:
        anchors.setdefault(cp.seq, []).append(cp)
    expected_seq, checked, last = after + 1, 0, after
    while True:
        qs = AuditEvent.objects.filter(seq__gt=last)
        if upto is not None:
            qs = qs.filter(seq__lte=upto)
        rows = list(qs.order_by("seq")[:chunk])
        if not rows:
            break
        for ev in rows:
            if ev.seq != expected_seq:
                gone = f"第{expected_seq}条" if ev.seq == expected_seq + 1 else f"第{expected_seq}至{ev.seq - 1}条"
                reason = f"{gone}记录缺失（链条断在第{ev.seq}条之前）{_covering(checkpoints, expected_seq)}"
                return VerifyResult(False, checked, expected_seq, reason), last, prev, checked
            if ev.prev_hash != prev:
                reason = f"第{ev.seq}条记录的前序哈希与上一条不符{_covering(checkpoints, ev.seq)}"
                return VerifyResult(False, checked, ev.seq, reason), last, prev, checked
            if hasher(ev) != ev.hash:
                how = "HMAC-SM3 不符：被改动，或未经审计密钥重算" if hasher.keyed(ev.seq) else "哈希不符"
                reason = f"第{ev.seq}条记录的内容已被修改（{how}）{_covering(checkpoints, ev.seq)}"
                return VerifyResult(False, checked, ev.seq, reason), last, prev, checked
            for cp in anchors.get(ev.seq, ()):
                if cp.head != ev.hash:
                    reason = (
                        f"第{ev.seq}条记录的哈希与{cp.label}记录的链头哈希不符：第{ev.seq}条及之前的记录被改写后重算"
                    )
                    return VerifyResult(False, checked, ev.seq, reason), last, prev, checked
            prev = ev.hash
            expected_seq += 1
            checked += 1
            last = ev.seq
    return None, last, prev, checked


def _epoch(checkpoints: list[Checkpoint], head: AuditHead | None) -> tuple[int, str]:
    """The chain's epoch (first keyed row) as the checkpoints state it (the database may have
    been changed); a reason when they disagree with each other or with the head row."""
    if not checkpoints:
        return (head.keyed_from if head else 1), ""
    first = checkpoints[0]
    for cp in checkpoints[1:]:
        if cp.keyed_from != first.keyed_from:
            return first.keyed_from, (
                f"{cp.label}记录的HMAC起始序号（第{cp.keyed_from}条）与{first.label}（第{first.keyed_from}条）不同"
            )
    if head is not None and head.keyed_from != first.keyed_from:
        return first.keyed_from, (
            f"链头记录的HMAC起始序号被改为第{head.keyed_from}条，{checkpoints[-1].label}记录为第{first.keyed_from}条："
            "有人想把重算的记录冒充为未加密钥的旧记录"
        )
    return first.keyed_from, ""


def audit_verify(*, chunk: int = 5000) -> VerifyResult:
    """Walk the whole chain in order against the head row and every checkpoint; report the first
    fault, naming the rows and the checkpoint that show it."""
    checkpoints, problems = checkpoints_read()
    if problems:
        return VerifyResult(False, 0, None, problems[0].reason, checkpoints=len(checkpoints))
    for a, b in itertools.pairwise(checkpoints):
        if b.seq < a.seq:
            reason = f"{b.label}记录的链长（第{b.seq}条）小于之前的{a.label}（第{a.seq}条）：检查点文件被改动"
            return VerifyResult(False, 0, None, reason, checkpoints=len(checkpoints))
    head = AuditHead.objects.filter(id=1).first()
    keyed_from, reason = _epoch(checkpoints, head)
    if reason:
        return VerifyResult(False, 0, None, reason, checkpoints=len(checkpoints))
    failure, last, prev, checked = _walk(
        after=0, prev=GENESIS, upto=None, hasher=RowHasher(keyed_from), checkpoints=checkpoints, chunk=chunk
    )
    if failure:
        failure.checkpoints = len(checkpoints)
        return failure
    top = max(checkpoints, key=lambda cp: cp.seq) if checkpoints else None
    if top and top.seq > last:
        gone = f"第{last + 1}条" if top.seq == last + 1 else f"第{last + 1}至{top.seq}条"
        have = f"数据库中只到第{last}条" if last else "数据库中没有审计记录"
        if head is None:
            have += "，链头记录也被删除"
        reason = f"{gone}记录已被删除：{top.label}记录审计链到第{top.seq}条（链头哈希 {top.head[:16]}…），{have}"
        return VerifyResult(False, checked, last + 1, reason, checkpoints=len(checkpoints), last_checkpoint=top)
    if head is None and last:
        reason = f"审计链头记录缺失：日志有{last}条记录，链头被删除（末尾记录可能一并被删）"
        return VerifyResult(False, checked, last + 1, reason, checkpoints=len(checkpoints), last_checkpoint=top)
    if head and (head.last_seq != last or head.last_hash != prev):
        reason = f"链头记录到第{head.last_seq}条，但日志只到第{last}条：末尾记录被删除"
        if head.last_seq == last:
            reason = f"链头记录的哈希与第{last}条记录不符：末尾记录被删除或替换"
        return VerifyResult(False, checked, last + 1, reason, checkpoints=len(checkpoints), last_checkpoint=top)
    result = VerifyResult(True, checked, checkpoints=len(checkpoints), last_checkpoint=top)
    result.unanchored = last - (top.seq if top else 0)
    if not checkpoints and last:
        result.warning = (
            f"尚无检查点（{checkpoint_path()}）：末尾记录被删除时无法发现；请运行 minzheng audit checkpoint 并定期写入"
        )
    return result


def audit_checkpoint(*, if_moved: bool = False) -> Checkpoint | None:
    """Verify the rows since the last checkpoint and append a new checkpoint of the chain's head.

    ``if_moved``: write nothing when the head is where the last checkpoint left it (the periodic
    job). Raises :class:`AuditChainError` (and writes nothing) when the rows since the last
    checkpoint, or the checkpoint file, do not verify: a checkpoint never vouches for a broken chain.
    """
    checkpoints, problems = checkpoints_read()
    if problems:
        raise AuditChainError(problems[0].reason)
    head = AuditHead.objects.filter(id=1).first()
    if head is None and (checkpoints or AuditEvent.objects.exists()):
        result = audit_verify()  # the whole walk names what is gone
        if not result.ok:
            raise AuditChainError(result.reason)
    last_seq, last_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS)
    keyed_from, reason = _epoch(checkpoints, head)
    if reason:
        raise AuditChainError(reason)
    prev_cp = max(checkpoints, key=lambda cp: cp.seq) if checkpoints else None
    if prev_cp and if_moved and (prev_cp.seq, prev_cp.head) == (last_seq, last_hash):
        return None
    if prev_cp and prev_cp.seq > last_seq:
        raise AuditChainError(
            f"第{last_seq + 1}至{prev_cp.seq}条记录已被删除：{prev_cp.label}记录审计链到第{prev_cp.seq}条，"
            f"链头只到第{last_seq}条"
        )
    after, prev = (prev_cp.seq, prev_cp.head) if prev_cp else (0, GENESIS)
    if after and not AuditEvent.objects.filter(seq=after, hash=prev).exists():
        raise AuditChainError(f"第{after}条记录缺失或与{prev_cp.label}记录的链头哈希不符")
    failure, last, tip, _ = _walk(
        after=after, prev=prev, upto=last_seq, hasher=RowHasher(keyed_from), checkpoints=[], chunk=5000
    )
    if failure:
        raise AuditChainError(failure.reason)
    if (last, tip) != (last_seq, last_hash):
        raise AuditChainError(f"链头记录到第{last_seq}条，但日志只到第{last}条：末尾记录被删除")
    count = AuditEvent.objects.filter(seq__lte=last_seq).count()
    cp = checkpoint_append(seq=last_seq, count=count, head=last_hash, keyed_from=keyed_from, at=timezone.now())
    logger.info("audit checkpoint #%s at seq %s", cp.no, last_seq)
    return cp


def audit_alert(*, reason: str) -> int:
    """Tell everyone who may read the audit log (``audit.view``, and superusers) in the workbench's
    messages that the chain failed its check, once a day per distinct fault (the periodic
    checkpoint would otherwise repeat it every interval). Returns the number of messages."""
    from django.core.cache import cache

    from minzheng.foundation.accounts.selectors import users_with_permission
    from minzheng.foundation.crypto.sm import sm3_hex
    from minzheng.foundation.notify.services import notify_many

    if not cache.add(f"audit-alert:{sm3_hex(reason.encode())}", 1, timeout=24 * 3600):
        return 0
    users = users_with_permission("audit.view", superusers=True)
    return len(
        notify_many(
            channel="in_app",
            subject="审计链校验失败",
            body=f"{reason}\n未写入新的检查点。请审计管理员运行 minzheng audit verify 核查，并与导出的检查点清单核对。",
            recipients=[{"user": u} for u in users],
            related_type="audit.chain",
        )
    )


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for changed fields only."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}
