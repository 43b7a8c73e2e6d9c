"""Audit checkpoints: the chain's head written, one line at a time, to an append-only file
outside the database (``MINZHENG_AUDIT_CHECKPOINT_FILE``, ADR 0014).

A line reads::

    v=1 seq=1204 count=1204 head=<64 hex> keyed_from=1 at=2026-12-07T22:10:00+08:00 key=<12 hex> mac=<64 hex>

``seq`` and ``head`` are the last row's sequence number and hash, ``count`` the rows up to it,
``keyed_from`` the chain's epoch (first HMAC-SM3 row), ``key`` the audit key's fingerprint and
``mac`` HMAC-SM3 under the audit key over everything before `` mac=``. Someone who can rewrite
the database cannot rewrite this file, and someone who can write the file cannot forge a line
without the key. A checkpoint is numbered by its line in the file (检查点#N = line N).
"""

from __future__ import annotations

import csv
import datetime as dt
import hmac
import io
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .chain import checkpoint_mac, key_fingerprint

VERSION = "1"
FIELDS = ("v", "seq", "count", "head", "keyed_from", "at", "key", "mac")


@dataclass(frozen=True)
class Checkpoint:
    no: int  # line number in the file
    seq: int
    count: int
    head: str
    keyed_from: int
    at: dt.datetime
    key: str
    mac: str

    @property
    def label(self) -> str:
        return f"检查点#{self.no}（{timezone.localtime(self.at):%Y-%m-%d %H:%M:%S}）"


@dataclass(frozen=True)
class Problem:
    no: int
    reason: str


def checkpoint_path() -> Path:
    return Path(settings.MINZHENG_AUDIT_CHECKPOINT_FILE)


def checkpoint_body(*, seq: int, count: int, head: str, keyed_from: int, at: dt.datetime) -> str:
    at = timezone.localtime(at).replace(microsecond=0)
    return f"v={VERSION} seq={seq} count={count} head={head} keyed_from={keyed_from} at={at.isoformat()} key={key_fingerprint()}"


def checkpoint_append(*, seq: int, count: int, head: str, keyed_from: int, at: dt.datetime) -> Checkpoint:
    """Append one line and wait until it is on disk (``O_APPEND``: written at the end whatever
    else writes, never over earlier lines; ``fsync``: a crash after this returns loses nothing)."""
    body = checkpoint_body(seq=seq, count=count, head=head, keyed_from=keyed_from, at=at)
    line = f"{body} mac={checkpoint_mac(body)}\n"
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode())  # one write of one short line: never interleaved with another's
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:  # the new file's directory entry on disk too
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    with path.open("rb") as f:
        no = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    parts = dict(item.partition("=")[::2] for item in line.rstrip("\n").split(" "))
    return Checkpoint(
        no, seq, count, head, keyed_from, dt.datetime.fromisoformat(parts["at"]), parts["key"], parts["mac"]
    )


def _parse(no: int, line: str, fingerprint: str) -> Checkpoint | Problem:
    parts = dict(item.partition("=")[::2] for item in line.split(" "))
    if tuple(parts) != FIELDS or parts["v"] != VERSION:
        return Problem(no, f"检查点文件第{no}行格式不对（被改动或不是检查点）")
    if parts["key"] != fingerprint:
        return Problem(
            no,
            f"检查点#{no}由另一把审计密钥签署（指纹 {parts['key']}，当前密钥指纹 {fingerprint}）："
            "请核对 MINZHENG_AUDIT_KEY，否则该检查点是伪造的",
        )
    body = line.rpartition(" mac=")[0]
    if not hmac.compare_digest(checkpoint_mac(body), parts["mac"]):
        return Problem(no, f"检查点#{no}的 HMAC 校验失败：该行被改动或伪造")
    try:
        return Checkpoint(
            no, int(parts["seq"]), int(parts["count"]), parts["head"], int(parts["keyed_from"]),
            dt.datetime.fromisoformat(parts["at"]), parts["key"], parts["mac"],
        )  # fmt: skip
    except ValueError:
        return Problem(no, f"检查点文件第{no}行格式不对（被改动或不是检查点）")


def checkpoints_read() -> tuple[list[Checkpoint], list[Problem]]:
    """Every checkpoint of the file in order, and the lines that are not valid checkpoints."""
    path = checkpoint_path()
    if not path.exists():
        return [], []
    fingerprint = key_fingerprint()
    found, problems = [], []
    with path.open(encoding="utf-8", errors="replace", newline="\n") as f:
        for no, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            item = _parse(no, line, fingerprint)
            (found if isinstance(item, Checkpoint) else problems).append(item)
    return found, problems


def checkpoints_export(*, fmt: str = "text") -> str:
    """The checkpoints for the 等保 auditor: ``csv`` (one row each, for a spreadsheet) or ``text``
    (printable, a block each). Lines that fail their check are listed with the reason."""
    found, problems = checkpoints_read()
    rows = sorted([(c.no, c) for c in found] + [(p.no, p) for p in problems], key=lambda r: r[0])
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(
            ["检查点", "时间", "链长（序号）", "记录数", "链头哈希", "HMAC起始序号", "密钥指纹", "HMAC-SM3", "校验"]
        )
        for no, item in rows:
            if isinstance(item, Problem):
                w.writerow([no, "", "", "", "", "", "", "", item.reason])
            else:
                at = timezone.localtime(item.at)
                w.writerow([no, f"{at:%Y-%m-%d %H:%M:%S}", item.seq, item.count, item.head, item.keyed_from,
                            item.key, item.mac, "有效"])  # fmt: skip
        return out.getvalue()
    if fmt != "text":
        raise ValueError(f"未知格式 {fmt}")
    now = timezone.localtime()
    lines = [
        f"{settings.MINZHENG_BUREAU_NAME} 审计日志检查点",
        f"检查点文件：{checkpoint_path()}",
        f"导出时间：{now:%Y-%m-%d %H:%M:%S}    审计密钥指纹：{key_fingerprint()}    检查点 {len(found)} 个",
        "每个检查点记录当时审计链的链长、记录数与链头哈希，并以审计密钥（HMAC-SM3）签署；",
        "核对方法：在系统上运行 minzheng audit verify，应与本清单最后一个检查点一致。",
        "",
    ]
    for no, item in rows:
        if isinstance(item, Problem):
            lines += [f"#{no}  {item.reason}", ""]
            continue
        at = timezone.localtime(item.at)
        lines += [
            f"#{no}  {at:%Y-%m-%d %H:%M:%S}  链长 第{item.seq}条  记录数 {item.count}  "
            f"HMAC起始 第{item.keyed_from}条  密钥指纹 {item.key}",
            f"     链头哈希 {item.head}",
            f"     HMAC     {item.mac}",
            "",
        ]
    return "\n".join(lines)
