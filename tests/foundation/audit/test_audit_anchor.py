"""The audit chain keyed with HMAC-SM3 and anchored by checkpoints outside the database (ADR 0014):
the attacks of someone who can write the database but holds neither the audit key nor the file."""

import json
import os
import stat

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from minzheng.foundation.audit.anchor import checkpoint_path, checkpoints_export, checkpoints_read
from minzheng.foundation.audit.chain import GENESIS, ROW_DOMAIN, canonical
from minzheng.foundation.audit.models import AuditEvent, AuditHead
from minzheng.foundation.audit.services import AuditChainError, audit_checkpoint, audit_verify
from minzheng.foundation.crypto.keys import KeyError_, audit_key, reset_keyring
from minzheng.foundation.crypto.sm import hmac_sm3_hex, sm3_hex
from tests.conftest import TEST_AUDIT_KEY
from tests.foundation.audit.test_audit import _events, _without_guard


def _sql(sql, params=()):
    with connection.cursor() as cur:
        cur.execute(sql, params)


def _recompute(*, from_seq=1, key=None, upto=None):
    """Rewrite hashes from ``from_seq`` on, as an attacker would after an edit: plain SM3 (how
    the chain was hashed before), or HMAC-SM3 under a key of their own; the head row follows."""
    rows = list(AuditEvent.objects.order_by("seq"))
    prev = GENESIS
    for ev in rows:
        if ev.seq >= from_seq and (upto is None or ev.seq <= upto):
            ev.prev_hash = prev
            data = canonical(ev)
            ev.hash = sm3_hex(data) if key is None else hmac_sm3_hex(key, ROW_DOMAIN, data)
            _without_guard(
                "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s", [prev, ev.hash, ev.seq]
            )
        prev = ev.hash
    _sql("UPDATE audit_audithead SET last_hash = %s, last_seq = %s", [prev, rows[-1].seq])


def _verify_fails(capsys):
    with pytest.raises(CommandError) as err:
        call_command("audit", "verify")
    out = json.loads(capsys.readouterr().out)
    assert not out["ok"] and out["reason"] == str(err.value)
    return out


@pytest.mark.django_db
def test_rows_are_hmac_sm3_under_the_audit_key():
    _events(2)
    ev = AuditEvent.objects.get(seq=2)
    assert ev.hash == hmac_sm3_hex(bytes.fromhex(TEST_AUDIT_KEY), ROW_DOMAIN, canonical(ev))
    assert ev.hash != sm3_hex(canonical(ev))
    assert audit_verify().ok


@pytest.mark.django_db
def test_recomputed_chain_after_an_edit_is_detected(capsys):
    """Before: an edit followed by plain SM3 over every later row verified as intact."""
    _events(6)
    _without_guard("UPDATE audit_auditevent SET summary = %s WHERE seq = %s", ["nothing happened", 3])
    _recompute(from_seq=3)
    result = audit_verify()
    assert not result.ok and result.broken_seq == 3
    assert "第3条记录的内容已被修改" in result.reason and "HMAC-SM3" in result.reason
    assert _verify_fails(capsys)["broken_seq"] == 3


@pytest.mark.django_db
def test_chain_recomputed_under_another_key_is_detected():
    _events(4)
    call_command("audit", "checkpoint")
    _without_guard("UPDATE audit_auditevent SET actor_name = %s WHERE seq = %s", ["someone else", 2])
    _recompute(from_seq=2, key=os.urandom(32))
    result = audit_verify()
    assert not result.ok and result.broken_seq == 2
    assert "HMAC-SM3 不符" in result.reason and "检查点#1" in result.reason and "第4条" in result.reason


@pytest.mark.django_db
def test_tail_deleted_and_head_rewound_is_detected(capsys):
    """Before: removing the newest rows and pointing the head row at the last one left verified."""
    _events(6)
    call_command("audit", "checkpoint")
    capsys.readouterr()
    _without_guard("DELETE FROM audit_auditevent WHERE seq >= %s", [5])
    _sql("UPDATE audit_audithead SET last_seq = 4, last_hash = %s", [AuditEvent.objects.get(seq=4).hash])
    result = audit_verify()
    assert not result.ok and result.broken_seq == 5
    assert result.reason.startswith("第5至6条记录已被删除：检查点#1（")
    assert "记录审计链到第6条" in result.reason and "数据库中只到第4条" in result.reason
    assert _verify_fails(capsys)["last_checkpoint"]["seq"] == 6


@pytest.mark.django_db
def test_tail_deleted_with_the_head_row_is_detected():
    """Before: with the head row gone too, verify skipped the head check and passed."""
    _events(6)
    call_command("audit", "checkpoint")
    _without_guard("DELETE FROM audit_auditevent WHERE seq >= %s", [6])
    AuditHead.objects.all().delete()
    result = audit_verify()
    assert not result.ok and result.broken_seq == 6
    assert result.reason.startswith("第6条记录已被删除：检查点#1") and "链头记录也被删除" in result.reason


@pytest.mark.django_db
def test_head_row_deleted_without_a_checkpoint_is_detected():
    _events(3)
    AuditHead.objects.all().delete()
    result = audit_verify()
    assert not result.ok and "审计链头记录缺失" in result.reason


@pytest.mark.django_db
def test_every_row_and_the_head_deleted_is_detected():
    _events(3)
    call_command("audit", "checkpoint")
    _without_guard("DELETE FROM audit_auditevent", [])
    AuditHead.objects.all().delete()
    result = audit_verify()
    assert (
        not result.ok and result.reason.startswith("第1至3条记录已被删除") and "数据库中没有审计记录" in result.reason
    )


@pytest.mark.django_db
def test_recomputed_as_unkeyed_rows_is_detected():
    """Moving the epoch past the end so that a plain-SM3 recomputation would pass as old rows."""
    _events(5)
    call_command("audit", "checkpoint")
    _without_guard("UPDATE audit_auditevent SET summary = %s WHERE seq = %s", ["nothing happened", 2])
    _recompute()
    _sql("UPDATE audit_audithead SET keyed_from = 100")
    result = audit_verify()
    assert not result.ok and "HMAC起始序号被改为第100条" in result.reason and "检查点#1" in result.reason


@pytest.mark.django_db
def test_rows_rewritten_before_a_checkpoint_are_named_by_it():
    """Someone holding the audit key (not the file) still cannot move a checkpointed head."""
    _events(4)
    call_command("audit", "checkpoint")
    _without_guard("UPDATE audit_auditevent SET summary = %s WHERE seq = %s", ["nothing happened", 2])
    _recompute(key=bytes.fromhex(TEST_AUDIT_KEY))
    result = audit_verify()
    assert not result.ok and result.broken_seq == 4
    assert "与检查点#1（" in result.reason and "被改写后重算" in result.reason


@pytest.mark.django_db
def test_forged_or_altered_checkpoint_lines_are_refused():
    _events(3)
    cp = audit_checkpoint()
    path = checkpoint_path()
    line = path.read_text()
    with path.open("a") as f:  # an attacker moving the anchor back to hide rows they will delete
        f.write(line.replace(f"seq={cp.seq} count={cp.count}", "seq=1 count=1"))
    result = audit_verify()
    assert not result.ok and result.reason == "检查点#2的 HMAC 校验失败：该行被改动或伪造"
    with pytest.raises(AuditChainError):
        audit_checkpoint()
    path.write_text(line)
    assert audit_verify().ok
    reset_keyring()
    settings.MINZHENG_AUDIT_KEY = "b1" * 32
    result = audit_verify()
    assert not result.ok and "检查点#1由另一把审计密钥签署" in result.reason


@pytest.mark.django_db
def test_checkpoints_append_and_never_vouch_for_a_broken_chain():
    assert audit_checkpoint().seq == 0 and audit_checkpoint(if_moved=True) is None  # an empty chain
    _events(3)
    first = audit_checkpoint()
    assert (first.no, first.seq, first.count) == (2, 3, 3)
    assert audit_checkpoint(if_moved=True) is None  # nothing new
    _events(2)
    before = checkpoint_path().read_bytes()
    second = audit_checkpoint(if_moved=True)
    assert (second.no, second.seq, second.count) == (3, 5, 5)
    assert checkpoint_path().read_bytes().startswith(before)
    assert [cp.seq for cp in checkpoints_read()[0]] == [0, 3, 5]
    _events(1)
    _without_guard("UPDATE audit_auditevent SET summary = %s WHERE seq = %s", ["nothing happened", 6])
    with pytest.raises(AuditChainError, match="第6条记录的内容已被修改"):
        audit_checkpoint()
    with pytest.raises(CommandError, match="未写入检查点"):
        call_command("audit", "checkpoint")
    assert len(checkpoints_read()[0]) == 3
    AuditHead.objects.all().delete()
    with pytest.raises(AuditChainError, match="第6条记录的内容已被修改"):  # the whole walk's finding
        audit_checkpoint()


@pytest.mark.django_db
def test_beat_task_writes_a_checkpoint_when_the_chain_grew():
    from minzheng.foundation.audit.tasks import checkpoint_task

    assert settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]["task"] == checkpoint_task.name
    _events(2)
    assert checkpoint_task() == 2
    assert checkpoint_task() is None
    _events(1)
    assert checkpoint_task() == 3


@pytest.mark.django_db
def test_beat_task_alerts_the_audit_readers_once_when_the_chain_is_broken(leader_user, anyang_user):
    from django.core.cache import cache

    from minzheng.foundation.audit.tasks import checkpoint_task
    from minzheng.foundation.notify.models import Message

    cache.clear()
    anchored = checkpoint_task()  # the periodic check verifies the rows since the last checkpoint
    _events(2)
    _without_guard("DELETE FROM audit_auditevent WHERE seq = %s", [anchored + 1])
    for _ in range(2):
        with pytest.raises(AuditChainError):
            checkpoint_task()
    alerts = Message.objects.filter(related_type="audit.chain")
    assert [m.recipient for m in alerts] == [leader_user]  # 受理员 anyang may not read the audit log
    assert f"第{anchored + 1}条记录缺失" in alerts[0].body and alerts[0].subject == "审计链校验失败"
    cache.clear()


@pytest.mark.django_db
def test_nightly_verify_alerts_on_rows_before_the_last_checkpoint(leader_user):
    from django.core.cache import cache

    from minzheng.foundation.audit.tasks import checkpoint_task, verify_task
    from minzheng.foundation.notify.models import Message

    assert settings.CELERY_BEAT_SCHEDULE["audit-verify"]["task"] == verify_task.name
    cache.clear()
    assert verify_task() is True
    checkpoint_task()
    _without_guard("UPDATE audit_auditevent SET summary = %s WHERE seq = %s", ["nothing happened", 1])
    assert checkpoint_task() is None  # nothing new since the checkpoint: not re-walked
    assert verify_task() is False
    alert = Message.objects.get(related_type="audit.chain", recipient=leader_user)
    assert "第1条记录的内容已被修改" in alert.body
    cache.clear()


@pytest.mark.django_db
def test_checkpoints_export_for_the_auditor(tmp_path, capsys):
    _events(2)
    cp = audit_checkpoint()
    call_command("audit", "checkpoints")
    text = capsys.readouterr().out
    assert "审计日志检查点" in text and f"链头哈希 {cp.head}" in text and cp.mac in text and "链长 第2条" in text
    out = tmp_path / "checkpoints.csv"
    call_command("audit", "checkpoints", "--format", "csv", "--out", str(out))
    rows = out.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("检查点,时间,链长（序号）,记录数,链头哈希")
    assert rows[1].split(",")[2:5] == ["2", "2", cp.head] and rows[1].endswith(f"{cp.mac},有效")
    with checkpoint_path().open("a") as f:
        f.write("v=1 seq=9 count=9\n")
    assert "检查点文件第2行格式不对" in checkpoints_export(fmt="csv")


@pytest.mark.django_db
def test_rows_from_before_the_key_stay_verifiable_and_held():
    """Migration 0003: rows hashed with plain SM3 are not recomputed; the chain is keyed from the
    next row, whose link still holds them."""
    from importlib import import_module

    AuditHead.objects.create(id=1, keyed_from=10**12)  # the chain as the code before wrote it
    _events(3)
    assert AuditEvent.objects.get(seq=3).hash == sm3_hex(canonical(AuditEvent.objects.get(seq=3)))
    import_module("minzheng.foundation.audit.migrations.0003_keyed_epoch").epoch_after_existing_rows(apps, None)
    assert AuditHead.objects.get().keyed_from == 4
    _events(2)
    ev = AuditEvent.objects.get(seq=4)
    assert ev.hash == hmac_sm3_hex(bytes.fromhex(TEST_AUDIT_KEY), ROW_DOMAIN, canonical(ev))
    assert audit_verify().ok
    _without_guard("UPDATE audit_auditevent SET summary = %s WHERE seq = %s", ["nothing happened", 2])
    _recompute(upto=3)  # the old rows recomputed in plain SM3; the keyed row 4 still links to the old hash
    result = audit_verify()
    assert not result.ok and result.broken_seq == 4 and "前序哈希" in result.reason


def test_audit_key_is_its_own(settings, tmp_path):
    settings.MINZHENG_AUDIT_KEY = "0123456789abcdef0123456789abcdef"  # the blind-index key of TEST_KEYS
    reset_keyring()
    with pytest.raises(KeyError_, match="审计密钥不得与数据密钥或盲索引密钥相同"):
        audit_key()
    settings.MINZHENG_AUDIT_KEY = "abc"
    reset_keyring()
    with pytest.raises(KeyError_, match="不是十六进制"):
        audit_key()
    settings.MINZHENG_AUDIT_KEY = ""
    settings.MINZHENG_AUDIT_KEY_FILE = tmp_path / "audit_key"
    reset_keyring()
    key = audit_key()
    assert len(key) == 32 and stat.S_IMODE(os.stat(tmp_path / "audit_key").st_mode) == 0o600
    reset_keyring()
    assert audit_key() == key and sorted(p.name for p in tmp_path.iterdir()) == ["audit_key"]


@pytest.mark.django_db
def test_workbench_verify_shows_the_checkpoint_and_the_fault(leader_user):
    from django.test import Client

    c = Client()
    c.force_login(leader_user)
    body = c.get("/audit/?verify=1").content.decode()
    assert "尚无检查点" in body
    audit_checkpoint()
    _events(1)
    body = c.get("/audit/?verify=1").content.decode()
    assert "审计链完整" in body and "检查点#1" in body and "其后1条待下一检查点" in body
    last = AuditEvent.objects.order_by("-seq").first().seq
    _without_guard("DELETE FROM audit_auditevent WHERE seq >= %s", [last - 1])
    AuditHead.objects.all().delete()
    body = c.get("/audit/?verify=1").content.decode()
    assert f"第{last - 1}至{last}条记录已被删除" not in body  # the checkpoint holds rows up to last - 1 only
    assert f"第{last - 1}条记录已被删除：检查点#1" in body
