"""The organisations registry: legal entities keyed by the GB 32100 credit code, with history."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from minzheng.foundation.audit.context import acting_as, actor_for_user
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.codes.uscc import CHARSET, check_character
from minzheng.foundation.entities.models import Entity, EntityEvent, EntityKind, EntityStatus, EventKind
from minzheng.foundation.entities.selectors import entities_for, entity_get, entity_history
from minzheng.foundation.entities.services import entity_change, entity_create, entity_status_set, uscc_clean
from tests.conftest import ANYANG, ANYANG_VILLAGE, RUIAN, TANGXIA


def code(first17: str) -> str:
    return first17 + check_character(first17)


CARE_HOME = code("52330381MJ8000001")  # 民政 / 民办非企业单位 (社会服务机构)
COMPANY = code("91330381MA2K00001")  # 工商 / 企业


def data(**over):
    return {
        "uscc": CARE_HOME,
        "name": "瑞安市安阳颐养院",
        "region_code": ANYANG,
        "address": "安阳街道万松路1号",
        "representative_name": "王建国",
        "representative_phone": "13812345678",
        **over,
    }


@pytest.fixture
def staff(make_user):
    return {
        "anyang": make_user("ay", ("approver", ANYANG)),
        "tangxia": make_user("tx", ("approver", TANGXIA)),
        "county": make_user("county", ("approver", RUIAN)),
        "acceptor": make_user("acc", ("acceptor", ANYANG)),
    }


@pytest.fixture
def home(staff):
    with acting_as(actor_for_user(staff["anyang"])):
        return entity_create(user=staff["anyang"], data=data(), effective_on=dt.date(2024, 3, 1))


# ------------------------------------------------------------------ the code


@given(
    authority=st.sampled_from(["11", "12", "51", "52", "53", "91", "92", "93", "N2", "Y1"]),
    region=st.from_regex(r"[1-6][0-9]{5}", fullmatch=True),
    body=st.text(alphabet=CHARSET, min_size=9, max_size=9),
)
def test_every_code_with_its_check_character_is_accepted_and_any_other_last_character_refused(authority, region, body):
    first17 = authority + region + body
    good = first17 + check_character(first17)
    assert uscc_clean(f"  {good.lower()} ") == good
    for wrong in set(CHARSET) - {good[-1]}:
        with pytest.raises(ValidationError) as err:
            uscc_clean(first17 + wrong)
        assert "校验位错误" in err.value.message_dict["uscc"][0]


@pytest.mark.parametrize(
    "value, message",
    [
        ("52330381MJ800000", "应为18位"),
        ("52330381MJ80000I12", "不允许的字符"),
        ("B2330381MJ80000012", "登记管理部门代码"),
        ("5A330381MJ80000012", "组合无效"),
    ],
)
def test_a_bad_code_is_refused_in_chinese(db, staff, value, message):
    with pytest.raises(ValidationError) as err:
        entity_create(user=staff["anyang"], data=data(uscc=value))
    assert message in err.value.message_dict["uscc"][0]
    assert not Entity.objects.exists()


# ------------------------------------------------------------------ register, change, status


@pytest.mark.django_db
def test_register_keeps_the_phone_encrypted_and_writes_history_and_audit(staff, home):
    assert home.kind == EntityKind.SOCIAL_SERVICE  # stated by the code's 5 + 2
    assert home.status == EntityStatus.ACTIVE and home.status_since == dt.date(2024, 3, 1)
    assert home.representative_phone_masked == "138****5678"
    with connection.cursor() as cursor:
        cursor.execute("SELECT representative_phone FROM entities_entity WHERE id = %s", [home.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("sm4g:") and "13812345678" not in stored
    assert Entity.objects.get(pk=home.pk).representative_phone == "13812345678"
    (event,) = EntityEvent.objects.filter(entity=home)
    assert event.kind == EventKind.CREATED and event.actor == staff["anyang"]
    assert event.changes["representative_phone"] == [None, "138****5678"]
    audit = AuditEvent.objects.get(action="entities.create")
    assert audit.object_id == str(home.pk) and audit.actor_id == staff["anyang"].pk
    assert audit.region_code == ANYANG and audit.changes["representative_phone"] == "138****5678"
    assert "13812345678" not in str(audit.changes) + audit.summary


@pytest.mark.django_db
def test_a_code_registers_once_and_its_kind_must_agree(staff, home):
    with pytest.raises(ValidationError) as err:
        entity_create(user=staff["anyang"], data=data(name="另一个"))
    assert err.value.message_dict["uscc"] == ["该统一社会信用代码已登记"]
    with pytest.raises(ValidationError) as err:
        entity_create(user=staff["anyang"], data=data(uscc=COMPANY, kind=EntityKind.FOUNDATION))
    assert "企业" in err.value.message_dict["kind"][0]
    with pytest.raises(ValidationError) as err:
        entity_create(user=staff["anyang"], data=data(uscc=COMPANY, name="", region_code="330381999999"))
    assert set(err.value.message_dict) == {"name", "region_code"}


@pytest.mark.django_db
def test_change_records_before_and_after_and_a_move_needs_both_regions(staff, home):
    with acting_as(actor_for_user(staff["anyang"])):
        entity_change(user=staff["anyang"], entity=home, data={"representative_phone": "13900001111"}, reason="换届")
    event = EntityEvent.objects.filter(entity=home, kind=EventKind.CHANGED).get()
    assert event.changes == {"representative_phone": ["138****5678", "139****1111"]} and event.reason == "换届"
    audit = AuditEvent.objects.get(action="entities.change")
    assert audit.actor_id == staff["anyang"].pk and "13900001111" not in str(audit.changes)
    # nothing changed: nothing written
    entity_change(user=staff["anyang"], entity=home, data={"name": "瑞安市安阳颐养院"})
    assert EntityEvent.objects.filter(entity=home).count() == 2
    with pytest.raises(PermissionDenied):
        entity_change(user=staff["anyang"], entity=home, data={"region_code": TANGXIA})
    with pytest.raises(ValidationError) as err:
        entity_change(user=staff["anyang"], entity=home, data={"uscc": COMPANY})
    assert "不能变更" in err.value.message_dict["uscc"][0]
    moved = entity_change(user=staff["county"], entity=home, data={"region_code": ANYANG_VILLAGE})
    assert moved.region_code == ANYANG_VILLAGE


@pytest.mark.django_db
def test_status_follows_the_transition_table_with_a_reason_and_a_date(staff, home):
    user = staff["anyang"]
    with pytest.raises(ValidationError) as err:
        entity_status_set(user=user, entity=home, status=EntityStatus.RESTRICTED, reason="")
    assert "reason" in err.value.message_dict
    with pytest.raises(ValidationError):
        entity_status_set(user=user, entity=home, status=EntityStatus.RESTRICTED, reason="责令整改",
                          effective_on=dt.date(2024, 2, 1))  # fmt: skip
    with acting_as(actor_for_user(user)):
        entity_status_set(user=user, entity=home, status=EntityStatus.RESTRICTED, reason="瑞民〔2025〕3号责令整改",
                          effective_on=dt.date(2025, 1, 6))  # fmt: skip
        entity_status_set(user=user, entity=home, status=EntityStatus.REVOKED, reason="撤销登记")
    with pytest.raises(ValidationError) as err:
        entity_status_set(user=user, entity=home, status=EntityStatus.ACTIVE, reason="恢复")
    assert "不能变为「正常」" in err.value.message_dict["status"][0]
    entity_status_set(user=user, entity=home, status=EntityStatus.DEREGISTERED, reason="清算完毕注销")
    with pytest.raises(ValidationError, match="已注销"):
        entity_change(user=user, entity=home, data={"name": "新名称"})
    steps = [(e.status_from, e.status_to) for e in entity_history(user, home) if e.kind == EventKind.STATUS]
    assert steps == [("active", "restricted"), ("restricted", "revoked"), ("revoked", "deregistered")]
    audits = AuditEvent.objects.filter(action="entities.status").order_by("seq")
    assert audits.count() == 3 and audits[0].actor_id == user.pk
    assert audits[0].changes == {"status": ["active", "restricted"], "effective_on": "2025-01-06",
                                 "reason": "瑞民〔2025〕3号责令整改"}  # fmt: skip


# ------------------------------------------------------------------ scoping


@pytest.mark.django_db
def test_another_townships_entity_does_not_exist_for_the_user(staff, home):
    other = staff["tangxia"]
    assert list(entities_for(other)) == []
    with pytest.raises(Entity.DoesNotExist):
        entity_get(other, CARE_HOME)
    with pytest.raises(Entity.DoesNotExist):
        entity_history(other, home).count()
    with pytest.raises(PermissionDenied):
        entity_change(user=other, entity=home, data={"name": "改"})
    with pytest.raises(PermissionDenied):
        entity_status_set(user=other, entity=home, status=EntityStatus.RESTRICTED, reason="x")
    with pytest.raises(PermissionDenied):  # 受理员 holds no entities.change
        entity_create(user=staff["acceptor"], data=data(uscc=COMPANY))
    assert entity_get(staff["county"], CARE_HOME.lower()) == home
    assert [e.uscc for e in entities_for(staff["county"], q="颐养")] == [CARE_HOME]
    assert [e.uscc for e in entities_for(staff["county"], q=CARE_HOME)] == [CARE_HOME]
    assert list(entities_for(staff["county"], region=TANGXIA)) == []
    assert list(entities_for(staff["anyang"], kind=EntityKind.ENTERPRISE)) == []
