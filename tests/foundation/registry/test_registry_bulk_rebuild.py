"""A large load on PostgreSQL drops the registry's secondary indexes and constraints, copies the
rows and builds them back, all in the load's transaction (bulk.py, "large loads")."""

import pytest
from django.db import IntegrityError, connection, transaction

from minzheng.foundation.registry import bulk, selectors
from minzheng.foundation.registry.models import Household, Membership, Person, PersonNameGram
from minzheng.foundation.registry.synthetic import Population
from tests.conftest import ANYANG_VILLAGE, TANGXIA_VILLAGE

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the rebuild is PostgreSQL's")


def schema() -> set[tuple]:
    """Every index and constraint of the registry tables, as PostgreSQL would recreate it."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid = ANY(%s::regclass[])",
            [list(bulk.REGISTRY_TABLES)],
        )
        indexes = set(cur.fetchall())
        cur.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), condeferrable, condeferred"
            " FROM pg_constraint WHERE conrelid = ANY(%s::regclass[])",
            [list(bulk.REGISTRY_TABLES)],
        )
        return indexes | set(cur.fetchall())


@pytest.fixture
def rebuilds(monkeypatch):
    """Force the rebuild for a small load; records what each call did."""
    calls = []
    monkeypatch.setattr(bulk, "REBUILD_FROM", 1)
    drop = bulk._secondary_drop

    def spy():
        statements = drop()
        calls.append(statements)
        return statements

    monkeypatch.setattr(bulk, "_secondary_drop", spy)
    return calls


def population(n: int, seed: int = 11):
    pop = Population(villages=[ANYANG_VILLAGE, TANGXIA_VILLAGE], hukou_region6="330381", seed=seed)
    return pop, list(pop.households(n))


@pytest.mark.django_db(transaction=True)
def test_rebuild_puts_back_every_index_and_constraint(rebuilds, anyang_user):
    before = schema()
    pop, rows = population(80)
    result = bulk.registry_bulk_load(households=rows, valid_from=pop.today)
    assert rebuilds and rebuilds[0], "the load into an empty registry rebuilt"
    assert schema() == before
    assert Person.objects.count() == result["persons"] == Membership.objects.count()
    assert Household.objects.count() == len(rows)
    assert PersonNameGram.objects.count() > result["persons"]
    # the rebuilt indexes serve the searches
    someone = Person.objects.filter(region_code=ANYANG_VILLAGE).exclude(name__contains="·").first()
    assert someone in selectors.person_search(user=anyang_user, q=someone.name[-2:])
    assert list(selectors.person_search(user=anyang_user, q=someone.id_number)) == [someone]

    # a second load as large as the registry is now rebuilds again; a smaller one does not
    pop2, more = population(result["persons"] + 10, seed=12)
    bulk.registry_bulk_load(households=more, valid_from=pop2.today)
    pop3, few = population(5, seed=13)
    bulk.registry_bulk_load(households=few, valid_from=pop3.today)
    assert len(rebuilds) == 2
    assert schema() == before


@pytest.mark.django_db(transaction=True)
def test_duplicate_id_number_rolls_the_rebuilt_load_back(rebuilds):
    before = schema()
    pop, rows = population(40)
    rows[-1].members[0].id_number = rows[0].members[0].id_number
    with pytest.raises(IntegrityError):
        bulk.registry_bulk_load(households=rows, valid_from=pop.today)
    assert rebuilds and rebuilds[0]
    assert Person.objects.count() == 0 and PersonNameGram.objects.count() == 0 and Household.objects.count() == 0
    assert schema() == before


@pytest.mark.django_db(transaction=True)
def test_pending_foreign_key_checks_mean_a_row_by_row_load(rebuilds, ids):
    """A household written earlier in the same transaction leaves deferred checks on the
    tables: they cannot be altered, so the load inserts row by row, and still succeeds."""
    from minzheng.foundation.registry.models import Person as P

    before = schema()
    pop, rows = population(30)
    with transaction.atomic():
        person = P.objects.create(
            name="李四", id_number=ids(), id_number_index="x" * 64, sex="male", birth_date=pop.today,
            hukou_type="urban", hukou_region_code=ANYANG_VILLAGE, region_code=ANYANG_VILLAGE,
        )  # fmt: skip
        Household.objects.create(number="330381001-X1", head=person, region_code=ANYANG_VILLAGE, hukou_type="urban")
        result = bulk.registry_bulk_load(households=rows, valid_from=pop.today)
    assert rebuilds == [None]
    assert Person.objects.count() == result["persons"] + 1
    assert schema() == before


@pytest.mark.django_db(transaction=True)
def test_a_busy_registry_means_a_row_by_row_load(rebuilds, monkeypatch):
    """Another session reading the registry holds a lock the drop would wait for: after the lock
    timeout the load goes in row by row instead of waiting."""
    import psycopg

    monkeypatch.setattr(bulk, "DROP_LOCK_TIMEOUT", "200ms")
    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"] or None, port=settings["PORT"] or None, user=settings["USER"],
        password=settings["PASSWORD"] or None, dbname=settings["NAME"],
    )  # fmt: skip
    try:
        other.execute("BEGIN")
        other.execute("SELECT count(*) FROM registry_person")  # ACCESS SHARE until it ends
        pop, rows = population(30)
        result = bulk.registry_bulk_load(households=rows, valid_from=pop.today)
    finally:
        other.rollback()
        other.close()
    assert rebuilds == [None]
    assert Person.objects.count() == result["persons"]
