import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given
from hypothesis import strategies as st

from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.audit.services import audit_verify
from minzheng.foundation.registry import selectors, services
from minzheng.foundation.registry.models import Membership, Person
from minzheng.foundation.registry.selectors import initials_range
from tests.conftest import ANYANG_VILLAGE, TANGXIA_VILLAGE


@pytest.mark.django_db
def test_person_create_derives_from_id_and_audits_masked(anyang_user, ids):
    number = ids(birth=dt.date(1948, 2, 29), male=False)
    p = services.person_create(
        user=anyang_user,
        data={
            "name": "欧阳秀兰",
            "id_number": number,
            "hukou_type": "rural",
            "region_code": ANYANG_VILLAGE,
            "phone": "13912345678",
        },
    )
    assert (p.sex, p.birth_date, p.name_initials) == ("female", dt.date(1948, 2, 29), "oyxl")
    assert p.id_number_masked == number[:6] + "********" + number[-4:]
    assert p.phone_masked == "139****5678"
    assert p.hukou_region_code == ANYANG_VILLAGE
    ev = AuditEvent.objects.get(action="create", object_type="registry.person", object_id=str(p.pk))
    assert ev.actor_name == "system"  # no request: the CLI/system actor
    assert ev.changes["id_number"] == [None, p.id_number_masked]
    assert ev.changes["phone"] == [None, "139****5678"]
    assert number not in str(ev.changes) and "13912345678" not in str(ev.changes)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"id_number": "330381197106147490"}, "id_number", "校验位错误"),
        ({"region_code": "330381999999"}, "region_code", "不存在"),
        ({"hukou_type": "city"}, "hukou_type", "城镇或农村"),
        ({"phone": "12345"}, "phone", "手机号"),
        ({"name": ""}, "name", "不能为空"),
        ({"disability_kind": "limb"}, "disability_grade", "同时填写"),
    ],
)
def test_person_create_refuses_bad_input_in_chinese(anyang_user, ids, data, field, message):
    base = {"name": "张三", "id_number": ids(), "hukou_type": "rural", "region_code": ANYANG_VILLAGE}
    with pytest.raises(ValidationError) as exc:
        services.person_create(user=anyang_user, data={**base, **data})
    assert message in "".join(exc.value.message_dict[field])
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_duplicate_id_refused(household_in, anyang_user):
    _, head, _ = household_in
    with pytest.raises(ValidationError, match="已登记"):
        services.person_create(
            user=anyang_user,
            data={"name": "重复", "id_number": head.id_number, "hukou_type": "rural", "region_code": ANYANG_VILLAGE},
        )


@pytest.mark.django_db
def test_update_audits_before_after_and_move_needs_both_grants(household_in, anyang_user):
    _, head, _ = household_in
    services.person_update(
        user=anyang_user, person=head, data={"disability_kind": "limb", "disability_grade": 2, "phone": "13700000000"}
    )
    ev = AuditEvent.objects.filter(action="update", object_id=str(head.pk)).latest("seq")
    assert ev.changes["disability_grade"] == [None, 2]
    assert ev.changes["phone"] == ["138****1111", "137****0000"]
    with pytest.raises(PermissionDenied):
        services.person_update(user=anyang_user, person=head, data={"region_code": TANGXIA_VILLAGE})
    head.refresh_from_db()
    assert head.region_code == ANYANG_VILLAGE
    assert audit_verify().ok


@pytest.mark.django_db
def test_membership_history_is_kept(household_in, anyang_user):
    household, head, spouse = household_in
    m = Membership.objects.get(person=spouse, valid_to__isnull=True)
    with pytest.raises(ValidationError, match="原因"):
        services.membership_end(user=anyang_user, membership=m, reason="")
    services.membership_end(user=anyang_user, membership=m, reason="离婚迁出", valid_to=dt.date(2026, 10, 31))
    assert [x.person for x in selectors.household_get(user=anyang_user, pk=household.pk).current_members] == [head]
    assert list(selectors.household_history(household).values_list("end_reason", flat=True)) == ["离婚迁出"]
    # once out, she may join another household; never two at once
    services.membership_add(user=anyang_user, household=household, person=spouse, relation="spouse")
    with pytest.raises(ValidationError, match="已属于其他家庭"):
        services.membership_add(user=anyang_user, household=household, person=spouse, relation="other")
    head_m = Membership.objects.get(person=head, valid_to__isnull=True)
    with pytest.raises(ValidationError, match="户主不能直接移出"):
        services.membership_end(user=anyang_user, membership=head_m, reason="x")


@pytest.mark.django_db
def test_search_by_id_name_part_and_initials(household_in, anyang_user, county_user):
    _, head, spouse = household_in
    assert list(selectors.person_search(user=anyang_user, q=head.id_number)) == [head]
    assert list(selectors.person_search(user=anyang_user, q=head.id_number.lower())) == [head]
    assert list(selectors.person_search(user=anyang_user, q="建国")) == [head]
    assert list(selectors.person_search(user=anyang_user, q="lxy")) == [spouse]
    assert list(selectors.person_search(user=anyang_user, q="WJ")) == [head]
    assert set(selectors.person_search(user=county_user, q="")) == {head, spouse}
    assert list(selectors.person_search(user=anyang_user, q="", region="330381101")) == []


@pytest.mark.django_db
def test_reveal_is_audited_and_needs_permission(household_in, anyang_user, leader_user):
    household, head, _ = household_in
    assert services.sensitive_reveal(user=anyang_user, obj=head, field="id_number") == head.id_number
    assert services.sensitive_reveal(user=anyang_user, obj=household, field="bank_account") == "6228480012345678901"
    assert AuditEvent.objects.filter(action="reveal").count() == 2
    with pytest.raises(PermissionDenied):  # 领导 sees masked lists only
        services.sensitive_reveal(user=leader_user, obj=head, field="id_number")
    with pytest.raises(PermissionDenied):
        services.sensitive_reveal(user=anyang_user, obj=head, field="name")
    assert AuditEvent.objects.filter(action="reveal").count() == 2


@pytest.mark.django_db
def test_household_numbers_are_sequential_per_township(household_in, anyang_user, ids):
    household, _, _ = household_in
    p = services.person_create(
        user=anyang_user,
        data={"name": "赵六", "id_number": ids(), "hukou_type": "rural", "region_code": ANYANG_VILLAGE},
    )
    second = services.household_create(
        user=anyang_user, data={"region_code": ANYANG_VILLAGE, "hukou_type": "rural"}, head=p
    )
    assert household.number == "3303810010000001"
    assert second.number == "3303810010000002"


@pytest.mark.django_db
def test_name_search_follows_renames_and_moves(household_in, anyang_user, county_user):
    from minzheng.foundation.registry.models import PersonNameGram

    _, head, spouse = household_in
    assert set(PersonNameGram.objects.filter(person=head).values_list("gram", flat=True)) == {
        "王",
        "建",
        "国",
        "王建",
        "建国",
    }
    assert list(selectors.person_search(user=anyang_user, q="秀")) == [spouse]
    assert list(selectors.person_search(user=anyang_user, q="王 建国")) == []  # the space is part of the query
    services.person_update(user=anyang_user, person=head, data={"name": "王卫东"})
    assert list(selectors.person_search(user=anyang_user, q="建国")) == []
    assert list(selectors.person_search(user=anyang_user, q="卫东")) == [head]
    # moved to another township by the county: gone from 安阳's search, found by the county
    services.person_update(user=county_user, person=head, data={"region_code": TANGXIA_VILLAGE})
    assert list(selectors.person_search(user=anyang_user, q="卫东")) == []
    assert list(selectors.person_search(user=county_user, q="卫东", region="330381101")) == [head]


LETTERS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=4)


@given(q=LETTERS, value=LETTERS)
def test_initials_range_is_exactly_startswith(q, value):
    cond = dict(initials_range("f", q).children)
    inside = value >= cond["f__gte"] and ("f__lt" not in cond or value < cond["f__lt"])
    assert inside == value.startswith(q)


@pytest.mark.django_db
def test_search_plans_use_the_narrow_indexes(household_in, anyang_user, county_user):
    """Regression guard for the benchmark: SQLite must not walk (region_code, name) for these."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("plans are checked on SQLite; PostgreSQL's depend on statistics (see docs/benchmarks.md)")
    for user in (anyang_user, county_user):
        sql, params = selectors.person_search(user=user, q="wjg").query.sql_with_params()
        with connection.cursor() as cur:
            plan = " ".join(str(r) for r in cur.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())
        assert "person_initials_region" in plan, plan
        sql, params = selectors.person_search(user=user, q="建国").query.sql_with_params()
        with connection.cursor() as cur:
            plan = " ".join(str(r) for r in cur.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())
        assert "namegram_lookup" in plan, plan


@pytest.mark.django_db
def test_household_search_by_number_prefix(household_in, anyang_user):
    household, _, _ = household_in
    assert list(selectors.household_search(user=anyang_user, q=household.number[:12])) == [household]
    assert list(selectors.household_search(user=anyang_user, q=household.number)) == [household]
    assert list(selectors.household_search(user=anyang_user, q="3303811010")) == []


@pytest.mark.django_db
@pytest.mark.parametrize("workers,rebuild", [(1, False), (2, False), (2, True)])
def test_bulk_load_stores_what_the_services_would(monkeypatch, anyang_user, workers, rebuild):
    """Bulk-loaded rows (one process, or a pool writing while it encrypts; on PostgreSQL also with
    the indexes dropped and rebuilt, as a large load does) hold the values the single-person
    helpers derive: decryptable tokens with their own nonces, equal blind indexes, masks,
    initials and name grams."""
    from django.db import connection

    from minzheng.foundation.crypto import sm
    from minzheng.foundation.registry import bulk
    from minzheng.foundation.registry import normalise as nz
    from minzheng.foundation.registry.models import Household, PersonNameGram
    from minzheng.foundation.registry.synthetic import Population

    monkeypatch.setattr(bulk, "POOL_MIN", 0)  # the pool path for a small load too
    monkeypatch.setattr(bulk, "_chunks", lambda items, workers: [items[i : i + 7] for i in range(0, len(items), 7)])
    monkeypatch.setattr(bulk, "REBUILD_FROM", 1 if rebuild else 10**9)
    population = Population(villages=[ANYANG_VILLAGE, TANGXIA_VILLAGE], hukou_region6="330381", seed=3)
    rows = list(population.households(60))
    rows[0].members[0].name = "阿依古丽·买买提"  # a separator in the name
    result = bulk.registry_bulk_load(households=rows, valid_from=population.today, workers=workers)
    members = {m.id_number: (h, m) for h in rows for m in h.members}
    assert result["persons"] == len(members) == Person.objects.count()

    tokens = set()
    for person in Person.objects.all():
        with connection.cursor() as cur:
            cur.execute("SELECT id_number, phone FROM registry_person WHERE id = %s", [person.pk])
            raw_id, raw_phone = cur.fetchone()
        h, m = members[person.id_number]
        d = nz.derive_from_id(m.id_number)
        assert raw_id.startswith("sm4g:") and sm.decrypt(raw_id) == m.id_number
        assert (person.id_number_index, person.id_number_masked, person.sex, person.birth_date) == (
            d["id_number_index"],
            d["id_number_masked"],
            d["sex"],
            d["birth_date"],
        )
        assert person.phone == m.phone and (raw_phone == "") == (m.phone == "")
        assert person.phone_masked == (nz.mask_phone(m.phone) if m.phone else "")
        assert person.name_initials == nz.name_initials(m.name)
        grams = PersonNameGram.objects.filter(person=person)
        assert set(grams.values_list("gram", flat=True)) == nz.name_grams(m.name)
        assert set(grams.values_list("region_code", flat=True)) == {m.region_code}
        assert person.pk in h.person_ids
        tokens.update(t for t in (raw_id, raw_phone) if t)
    assert len(tokens) == sum(1 + bool(m.phone) for _, m in members.values())  # a nonce per value
    for h in rows:
        household = Household.objects.get(number=h.number)
        assert household.bank_account == h.bank_account
        assert household.head_id == h.person_ids[next(i for i, m in enumerate(h.members) if m.relation == "head")]
        assert sorted(household.memberships.values_list("person_id", flat=True)) == sorted(h.person_ids)
    assert PersonNameGram.objects.filter(gram="买买").count() == 1
    someone = Person.objects.filter(region_code=ANYANG_VILLAGE).exclude(name__contains="·").first()
    assert someone in selectors.person_search(user=anyang_user, q=someone.name[1:])
    assert list(selectors.person_search(user=anyang_user, q=someone.id_number)) == [someone]


def test_one_service_registers_a_household_with_new_and_found_members(anyang_user, tangxia_user, ids):
    """household_register: the head found by ID number, a member created from fields, the
    household's hukou type and region given to the new one; another township's person is not found."""
    from django.core.exceptions import ValidationError

    from minzheng.foundation.registry import services
    from minzheng.foundation.registry.models import Membership
    from tests.conftest import TANGXIA_VILLAGE

    head_id = ids()
    services.person_create(
        user=anyang_user,
        data={"name": "周大", "id_number": head_id, "hukou_type": "rural", "region_code": ANYANG_VILLAGE},
    )
    household = services.household_register(
        user=anyang_user,
        data={"region_code": ANYANG_VILLAGE, "hukou_type": "urban"},
        members=[
            {"id_number": head_id},
            {"relation": "spouse", "fields": {"name": "吴二", "id_number": ids(male=False)}},
        ],
    )
    rows = {m.person.name: (m.relation, m.person.hukou_type, m.person.region_code)
            for m in Membership.objects.filter(household=household)}  # fmt: skip
    assert rows == {"周大": ("head", "rural", ANYANG_VILLAGE), "吴二": ("spouse", "urban", ANYANG_VILLAGE)}
    other_id = ids()
    services.person_create(
        user=tangxia_user,
        data={"name": "郑三", "id_number": other_id, "hukou_type": "rural", "region_code": TANGXIA_VILLAGE},
    )
    with pytest.raises(ValidationError, match="找不到该身份证号"):
        services.household_register(
            user=anyang_user,
            data={"region_code": ANYANG_VILLAGE, "hukou_type": "rural"},
            members=[{"id_number": other_id}],
        )
