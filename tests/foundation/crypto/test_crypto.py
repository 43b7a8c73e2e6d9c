import json

import pytest
from django.core.management import call_command
from django.db import connection
from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from minzheng.foundation.crypto import sm
from minzheng.foundation.crypto.keys import KeyError_, parse_keys, reset_keyring
from minzheng.foundation.registry.models import Household, Person


def test_round_trip_and_key_id():
    token = sm.encrypt("330381197106147493")
    assert token.startswith("sm4g:k2:")
    assert "330381197106147493" not in token
    assert sm.decrypt(token) == "330381197106147493"
    assert sm.encrypt("x") != sm.encrypt("x")  # random nonce


def test_tampering_is_detected():
    token = sm.encrypt("13800001111")
    prefix, kid, body = token.split(":")
    flipped = body[:-3] + ("A" if body[-3] != "A" else "B") + body[-2:]
    with pytest.raises(sm.DecryptionError):
        sm.decrypt(f"{prefix}:{kid}:{flipped}")


def test_blind_index_is_keyed_and_stable(settings):
    a = sm.blind_index("330381197106147493", purpose="id_number")
    assert a == sm.blind_index("330381197106147493", purpose="id_number")
    assert a != sm.blind_index("330381197106147493", purpose="phone")
    settings.MINZHENG_KEYS = settings.MINZHENG_KEYS.replace("index=0123", "index=9999")
    reset_keyring()
    assert sm.blind_index("330381197106147493", purpose="id_number") != a


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("k1=00", "16字节"),
        ("k1=zz", "十六进制"),
        ("index=00112233445566778899aabbccddeeff", "没有数据密钥"),
        ("k1=00112233445566778899aabbccddeeff", "缺少 index"),
    ],
)
def test_bad_key_configuration_is_explained(text, message):
    with pytest.raises(KeyError_, match=message):
        parse_keys(text, "test")


def _dump() -> str:
    """Every row of every table as text — what a stolen backup would show."""
    out = []
    with connection.cursor() as cur:
        for table in connection.introspection.table_names():
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            out.extend(repr(row) for row in cur.fetchall())
    return "\n".join(out)


@pytest.mark.django_db
def test_database_dump_holds_no_plaintext_id_phone_or_account(household_in):
    _household, head, spouse = household_in
    dump = _dump()
    for secret in (head.id_number, spouse.id_number, "13800001111", "6228480012345678901"):
        assert secret not in dump
    assert head.id_number_masked in dump  # the masked form is what lists show
    assert Person.objects.get(pk=head.pk).id_number == head.id_number


@pytest.mark.django_db
def test_keys_rotate_reencrypts_under_new_key(household_in, settings, capsys):
    household, head, _ = household_in
    with connection.cursor() as cur:
        cur.execute("SELECT id_number FROM registry_person WHERE id = %s", [head.pk])
        assert cur.fetchone()[0].startswith("sm4g:k2:")
    settings.MINZHENG_KEYS = "k3=0f0e0d0c0b0a09080706050403020100," + settings.MINZHENG_KEYS
    reset_keyring()
    call_command("keys", "rotate")
    result = json.loads(capsys.readouterr().out)
    assert result["current_key"] == "k3"
    assert result["reencrypted"]["registry.Person.id_number"] == 2
    assert result["reencrypted"]["registry.Household.bank_account"] == 1
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone FROM registry_person")
        rows = cur.fetchall()
    assert all(r[0].startswith("sm4g:k3:") for r in rows)
    assert Person.objects.get(pk=head.pk).phone == "13800001111"
    assert Household.objects.get(pk=household.pk).bank_account == "6228480012345678901"
    # with k2 gone, everything still decrypts
    settings.MINZHENG_KEYS = "k3=0f0e0d0c0b0a09080706050403020100,index=0123456789abcdef0123456789abcdef"
    reset_keyring()
    assert Person.objects.get(pk=head.pk).id_number == head.id_number


def test_bulk_helpers_match_the_single_value_ones():
    values = ["330381197106147493", "", "13800001111", "浙江省瑞安市安阳街道"]
    tokens = sm.encrypt_many(values)
    assert tokens[1] == ""
    assert [sm.decrypt(t) if t else "" for t in tokens] == values
    assert all(t.startswith("sm4g:k2:") for t in tokens if t)
    again = sm.encrypt_many(values)
    assert not {t for t in tokens if t} & {t for t in again if t}  # a fresh random nonce per value
    nonces = [t.split(":")[2][:16] for t in tokens + again if t]
    assert len(set(nonces)) == len(nonces)
    assert sm.blind_indexes(values, purpose="id_number") == [sm.blind_index(v, purpose="id_number") for v in values]
    assert sm.blind_index("x", purpose="a") != sm.blind_index("x", purpose="b")


@given(st.lists(st.text(max_size=40), max_size=30))
@settings_(max_examples=50, deadline=None)
def test_decrypt_many_is_decrypt_of_each(values):
    tokens = [sm.encrypt(v) if v else "" for v in values]
    assert sm.decrypt_many(tokens) == values


def test_decrypt_many_reads_every_key_and_refuses_tampering(settings):
    old = sm.encrypt("330381197106147493")  # under k2
    settings.MINZHENG_KEYS = "k3=0f0e0d0c0b0a09080706050403020100," + settings.MINZHENG_KEYS
    reset_keyring()
    new = sm.encrypt("13800001111")
    assert new.startswith("sm4g:k3:")
    assert sm.decrypt_many([old, "", new]) == ["330381197106147493", "", "13800001111"]
    prefix, kid, body = new.split(":")
    flipped = body[:-3] + ("A" if body[-3] != "A" else "B") + body[-2:]
    with pytest.raises(sm.DecryptionError, match="密文校验失败"):
        sm.decrypt_many([old, f"{prefix}:{kid}:{flipped}"])
    with pytest.raises(sm.DecryptionError, match="不是加密值"):
        sm.decrypt_many(["plain text"])
