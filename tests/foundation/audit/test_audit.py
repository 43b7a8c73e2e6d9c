import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from minzheng.foundation.audit.context import Actor, acting_as
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.audit.services import audit_record, audit_verify


def _events(n):
    with acting_as(Actor(7, "tester", "10.0.0.1", "web")):
        for i in range(n):
            audit_record(
                action="update",
                object_type="registry.person",
                object_id=i,
                summary=f"change {i}",
                changes={"name": ["甲", "乙"]},
            )


def _without_guard(sql, params):
    """Tamper as a database administrator would: around the append-only triggers (any number of times)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_no_update")
            cur.execute(sql, params)
            cur.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_no_update")
        else:
            cur.execute("DROP TRIGGER IF EXISTS audit_no_update")
            cur.execute("DROP TRIGGER IF EXISTS audit_no_delete")
            cur.execute(sql, params)


@pytest.mark.django_db
def test_chain_verifies_and_records_actor():
    _events(5)
    assert audit_verify().ok
    ev = AuditEvent.objects.get(seq=3)
    assert (ev.actor_name, ev.ip, ev.channel) == ("tester", "10.0.0.1", "web")


@pytest.mark.django_db
def test_database_refuses_update_and_delete():
    _events(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(summary="hidden")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).delete()


@pytest.mark.django_db
def test_altered_row_is_reported(capsys):
    _events(6)
    _without_guard("UPDATE audit_auditevent SET summary = %s WHERE seq = %s", ["nothing happened", 4])
    result = audit_verify()
    assert not result.ok and result.broken_seq == 4 and "被修改" in result.reason
    with pytest.raises(CommandError):
        call_command("audit", "verify")
    assert json.loads(capsys.readouterr().out)["broken_seq"] == 4


@pytest.mark.django_db
def test_removed_row_is_reported():
    _events(6)
    _without_guard("DELETE FROM audit_auditevent WHERE seq = %s", [2])
    result = audit_verify()
    assert not result.ok and result.broken_seq == 2 and "缺失" in result.reason


@pytest.mark.django_db
def test_removed_tail_is_reported():
    _events(4)
    _without_guard("DELETE FROM audit_auditevent WHERE seq = %s", [4])
    result = audit_verify()
    assert not result.ok and "末尾" in result.reason


@pytest.mark.django_db
def test_verify_command_ok(capsys):
    _events(3)
    call_command("audit", "verify")
    out = json.loads(capsys.readouterr().out)
    assert {k: out[k] for k in ("ok", "checked", "broken_seq", "reason")} == {
        "ok": True,
        "checked": 3,
        "broken_seq": None,
        "reason": None,
    }
    assert out["checkpoints"] == 0 and "尚无检查点" in out["warning"]
    call_command("audit", "verify", "--checkpoint")
    assert json.loads(capsys.readouterr().out)["written"]["seq"] == 3
    _events(2)
    call_command("audit", "verify")
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["checkpoints"] == 1 and out["last_checkpoint"]["seq"] == 3 and out["unanchored"] == 2
    assert out["warning"] is None
