"""Regulated entities: registration on a foundation entity, typed attributes with history, status
with its transitions, filings and licences, scoping."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from minzheng.engines.supervision import selectors, services
from minzheng.engines.supervision.models import AttributeValue, StatusChange, Supervised
from minzheng.foundation.audit.models import AuditEvent
from tests.conftest import TANGXIA_VILLAGE

from .helpers import entity_make, today

pytestmark = pytest.mark.django_db


def test_register_keeps_the_entity_once_and_refuses_a_second_supervision_as_the_same_kind(
    supervised, county, entity, kind
):
    assert supervised.entity == entity and supervised.region_code == entity.region_code
    assert supervised.status == "operating"
    values = {a.code: v for a, v, _row in selectors.attributes_current(supervised)}
    assert values["beds"] == 120 and values["nature"] == "public" and values["area"] is None
    with pytest.raises(ValidationError, match="已作为「测试机构」纳入监管"):
        services.supervised_register(user=county, entity=entity, kind=kind.code)
    with pytest.raises(ValidationError, match="未声明"):
        services.supervised_register(user=county, entity=entity, kind="no_such_kind")
    assert AuditEvent.objects.filter(action="supervision.register", object_id=str(supervised.pk)).exists()


def test_operating_needs_the_required_attributes(county, entity, kind):
    with pytest.raises(ValidationError) as exc:
        services.supervised_register(user=county, entity=entity, kind=kind.code, status="operating")
    assert set(exc.value.message_dict) == {"beds", "nature"}
    s = services.supervised_register(user=county, entity=entity, kind=kind.code, attributes={"beds": 10})
    assert s.status == "preparing"
    with pytest.raises(ValidationError, match="开始运营前请先填写：性质"):
        services.supervised_status_set(user=county, supervised=s, status="operating", reason="开业")
    services.attributes_set(user=county, supervised=s, values={"nature": "private"})
    services.supervised_status_set(user=county, supervised=s, status="operating", reason="开业")
    with pytest.raises(ValidationError, match="不能清空必填属性：床位数"):
        services.attributes_set(user=county, supervised=s, values={"beds": ""})


def test_every_attribute_change_is_kept_with_its_type(supervised, county):
    changes = services.attributes_set(
        user=county, supervised=supervised, values={"beds": 150, "area": "1200.5", "medical": True}, reason="扩建"
    )
    assert changes["beds"] == ["120张", "150张"] and changes["medical"] == [None, "是"]
    assert services.attributes_set(user=county, supervised=supervised, values={"beds": "150"}) == {}
    services.attributes_set(user=county, supervised=supervised, values={"area": None})
    history = [(r.code, r.value, r.superseded_at is None) for r in selectors.attribute_history(supervised, "beds")]
    assert history == [("beds", 120, False), ("beds", 150, True)]
    area = list(selectors.attribute_history(supervised, "area"))
    assert [r.value for r in area] == [Decimal("1200.5")] and area[0].superseded_at is not None
    current = {a.code: v for a, v, _ in selectors.attributes_current(supervised)}
    assert current["area"] is None and current["beds"] == 150
    assert AttributeValue.objects.filter(supervised=supervised, code="beds").count() == 2


def test_the_database_keeps_values_in_their_typed_column_and_one_current_row(supervised):
    with pytest.raises(IntegrityError), transaction.atomic():
        AttributeValue.objects.create(supervised=supervised, code="x", type="int", value_text="12",
                                      effective_on=today())  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        AttributeValue.objects.create(supervised=supervised, code="beds", type="int", value_int=1,
                                      effective_on=today())  # fmt: skip


def test_status_moves_along_the_table_with_history(supervised, county):
    with pytest.raises(ValidationError, match="不能变为「筹建」"):
        services.supervised_status_set(user=county, supervised=supervised, status="preparing", reason="x")
    with pytest.raises(ValidationError, match="原因"):
        services.supervised_status_set(user=county, supervised=supervised, status="suspended", reason=" ")
    services.supervised_status_set(user=county, supervised=supervised, status="suspended", reason="停业整顿")
    with pytest.raises(ValidationError, match="不能晚于今天"):
        services.supervised_status_set(user=county, supervised=supervised, status="closed", reason="x",
                                       effective_on=today() + dt.timedelta(days=1))  # fmt: skip
    services.supervised_status_set(user=county, supervised=supervised, status="closed", reason="注销登记")
    with pytest.raises(ValidationError, match="已注销"):
        services.attributes_set(user=county, supervised=supervised, values={"beds": 1})
    moves = list(StatusChange.objects.filter(supervised=supervised).values_list("status_from", "status_to"))
    assert moves == [("", "operating"), ("operating", "suspended"), ("suspended", "closed")]


def test_permits_of_declared_types_with_dates(supervised, county):
    issued = today() - dt.timedelta(days=100)
    p = services.permit_record(
        user=county, supervised=supervised, permit_type="filing", issued_on=issued, number="备01"
    )
    assert p.category == "filing" and p.valid_until is None
    with pytest.raises(ValidationError, match="请填写消防验收的有效期"):
        services.permit_record(user=county, supervised=supervised, permit_type="fire", issued_on=issued)
    with pytest.raises(ValidationError, match="不能早于"):
        services.permit_record(user=county, supervised=supervised, permit_type="fire", issued_on=issued,
                               valid_until=issued - dt.timedelta(days=1))  # fmt: skip
    with pytest.raises(ValidationError, match="没有证照类型"):
        services.permit_record(user=county, supervised=supervised, permit_type="licence_x", issued_on=issued)
    services.permit_end(user=county, permit=p, reason="重新备案")
    with pytest.raises(ValidationError, match="已终止"):
        services.permit_end(user=county, permit=p, reason="重新备案")


def test_scoping_another_townships_entity_is_not_found_and_not_writable(supervised, county, kind, make_user):
    tangxia = make_user("sup_tx_approver", ("approver", "330381101"))
    assert selectors.supervised_for(tangxia).count() == 0
    with pytest.raises(Http404):
        selectors.supervised_get(tangxia, supervised.pk)
    with pytest.raises(PermissionDenied):
        services.attributes_set(user=tangxia, supervised=supervised, values={"beds": 1})
    other = entity_make(county, TANGXIA_VILLAGE, serial=2, name="塘下敬老院")
    s2 = services.supervised_register(user=tangxia, entity=other, kind=kind.code)
    assert list(selectors.supervised_for(tangxia)) == [s2]
    assert set(selectors.supervised_for(county, kind=kind.code)) == {supervised, s2}
    assert list(selectors.supervised_for(county, region="330381101")) == [s2]
    assert list(selectors.supervised_for(county, q="塘下")) == [s2]
    assert Supervised.objects.for_user(county, "supervision.view").count() == 2
