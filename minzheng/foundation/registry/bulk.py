"""Set-based loading of many households at once (imports, demo city, benchmarks).

Rows arrive validated. Encryption and blind indexes are computed in chunks (in worker processes
when there are many rows), ids are reserved in one statement, and the rows go in with a binary
``COPY`` on PostgreSQL or ``executemany`` on SQLite, instead of one ORM ``save()`` per row. The
persons are written as the pool hands back its chunks, so encryption and the database's work
overlap. On PostgreSQL the database's own work (index entries, the deferred foreign-key checks at
commit) is most of a row-by-row load's time, so a load at least as large as the registry drops the
indexes and constraints and builds them back from the loaded rows, in the same transaction
(ADR 0010).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import os
from dataclasses import dataclass, field

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from minzheng.foundation.codes import mask_id_number
from minzheng.foundation.codes.idnumbers import parse_id_fields
from minzheng.foundation.crypto import sm

from . import normalise as nz


@dataclass
class MemberRow:
    name: str
    id_number: str
    relation: str
    hukou_type: str
    hukou_region_code: str
    region_code: str
    ethnicity: str = "汉族"
    phone: str = ""
    disability_kind: str = ""
    disability_grade: int | None = None
    serious_illness: bool = False
    labour_capacity: bool | None = None
    self_care: str = "full"
    death_date: dt.date | None = None


@dataclass
class HouseholdRow:
    region_code: str
    hukou_type: str
    members: list[MemberRow]
    address: str = ""
    bank_name: str = ""
    bank_account: str = ""
    number: str = ""
    person_ids: list[int] = field(default_factory=list)


def _prepare(chunk: list[tuple[str, str, str, str]]):
    """(id_number, phone, name, bank account) → encrypted/derived values; runs in worker processes.

    The same values as ``nz.derive_from_id`` / ``sm.encrypt`` / ``nz.name_initials`` /
    ``nz.name_grams`` per person, computed a column at a time (one clock read, one key lookup,
    one HMAC key setup for the chunk; initials and grams once per distinct name). The bank
    account is the household's, given on its first member ("" on the others).
    """
    today = dt.date.today()
    parsed = [parse_id_fields(item[0], today=today) for item in chunk]
    numbers = [p[0] for p in parsed]
    enc_ids = sm.encrypt_many(numbers)
    indexes = nz.id_indexes(numbers)
    phones = [item[1] for item in chunk]
    enc_phones = sm.encrypt_many(phones)
    enc_accounts = sm.encrypt_many([item[3] for item in chunk])
    by_name: dict[str, tuple[str, tuple[str, ...]]] = {}
    out = []
    for (number, birth, sex), enc_id, index, phone, enc_phone, enc_account, (_, _, name, _) in zip(
        parsed, enc_ids, indexes, phones, enc_phones, enc_accounts, chunk, strict=True
    ):
        derived = by_name.get(name)
        if derived is None:
            derived = by_name[name] = (nz.name_initials(name), tuple(sorted(nz.name_grams(name))))
        out.append(
            (
                enc_id,
                index,
                mask_id_number(number),
                sex,
                birth,
                enc_phone,
                nz.mask_phone(phone) if phone else "",
                derived[0],
                derived[1],
                enc_account,
            )
        )
    return out


POOL_MIN = 20000  # persons below which forking a pool costs more than it saves


def _chunks(items: list, workers: int) -> list[list]:
    size = max(2000, len(items) // (workers * 8))
    return [items[i : i + size] for i in range(0, len(items), size)]


@contextlib.contextmanager
def _prepared(items: list[tuple[str, str, str, str]], workers: int | None):
    """An iterator over ``_prepare`` of consecutive chunks of ``items``, in order.

    With a pool (many rows, more than one worker) the chunks are computed in worker processes from
    the moment this is entered, so the caller can write the first chunks to the database while the
    later ones are still being encrypted; otherwise each chunk is computed when it is reached.
    """
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(items) < POOL_MIN:
        yield map(_prepare, _chunks(items, 1))
        return
    sm.encrypt("warm-up")  # load the key ring before forking
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield pool.imap(_prepare, _chunks(items, workers))


def _prepare_all(items: list[tuple[str, str, str, str]], workers: int | None) -> list:
    """``_prepare`` of every item (the CPU-bound part of a load, as the benchmark measures it)."""
    with _prepared(items, workers) as parts:
        return [row for part in parts for row in part]


def registry_analyze() -> None:
    """Fresh planner statistics after a large load (autovacuum would get there, later)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE registry_person, registry_personnamegram, registry_household, registry_membership")
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")


def _reserve_ids(table: str, n: int) -> list[int]:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # the sequence looked up once (as an argument of nextval it would be looked up per row)
            cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cur.fetchone()[0]
            cur.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, n])
            return [r[0] for r in cur.fetchall()]
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        start = cur.fetchone()[0] + 1
        return list(range(start, start + n))


def _column_types(cur, table: str, columns: list[str]) -> list[str]:
    """PostgreSQL type names of ``columns``, in order (for a binary COPY)."""
    cur.execute(
        "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute"
        " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        [table],
    )
    types = dict(cur.fetchall())
    return [types[c] for c in columns]


def _copy(table: str, columns: list[str], rows) -> None:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # binary: psycopg formats a row several times faster than as text when told the
            # column types, and the server has no text to parse (dates, timestamps, numbers)
            types = _column_types(cur, table, columns)
            with cur.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) >= 5000:
                    cur.executemany(sql, batch)
                    batch = []
            if batch:
                cur.executemany(sql, batch)


# ---------------------------------------------------------------- large loads: indexes rebuilt

REBUILD_FROM = 100_000  # persons in one call from which the rebuild below is considered
DROP_LOCK_TIMEOUT = "5s"  # how long the drop waits for other sessions' locks before loading row by row
REGISTRY_TABLES = ("registry_person", "registry_personnamegram", "registry_household", "registry_membership")


def _rebuild_wanted(persons: int) -> bool:
    """A load at least as large as the registry already is (e.g. a city's first migration of its
    population): PostgreSQL builds an index from sorted rows several times cheaper than it
    inserts the same entries one row at a time, and checks a foreign key with one join instead of
    a trigger per row."""
    if connection.vendor != "postgresql" or persons < REBUILD_FROM:
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM (SELECT 1 FROM registry_person LIMIT %s) s", [persons])
        return cur.fetchone()[0] < persons


def _secondary_drop() -> list[str] | None:
    """Drop the registry tables' foreign keys, unique constraints, secondary indexes and the
    primary keys no foreign key refers to (the name grams', the memberships'; the others stay:
    the new ids are appended at their right edge, and other tables' foreign keys use them).
    Returns the statements that put them back, or None — nothing dropped — when the tables are
    busy (another session's lock for longer than ``DROP_LOCK_TIMEOUT``) or hold this
    transaction's own pending foreign-key checks. The drop is part of the load's transaction:
    other sessions wait for it to commit or roll back, and never see the tables without their
    indexes (ADR 0010)."""
    tables = list(REGISTRY_TABLES)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype FROM pg_constraint"
            " WHERE conrelid = ANY(%s::regclass[]) AND (contype IN ('f', 'u') OR contype = 'p' AND NOT EXISTS"
            " (SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.confrelid = pg_constraint.conrelid))"
            " ORDER BY contype, conname",
            [tables],
        )
        constraints = cur.fetchall()  # foreign keys first ('f' < 'p' < 'u'): dropped first, added last
        cur.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i"
            " WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary AND NOT EXISTS"
            " (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))"
            " ORDER BY 1",
            [tables],
        )
        indexes = cur.fetchall()
        try:
            with transaction.atomic():  # a savepoint: a refused drop leaves the transaction usable
                cur.execute(f"SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'")
                for table, name, _, _ in constraints:
                    cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                for name, _ in indexes:
                    cur.execute(f"DROP INDEX {name}")
                cur.execute("SET LOCAL lock_timeout TO DEFAULT")
        except OperationalError:
            return None
    restore = [definition for _, definition in indexes]
    restore += [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d, _ in reversed(constraints)]
    return restore


def _secondary_restore(statements: list[str]) -> None:
    """Build the indexes back from the loaded rows (sorted builds, in parallel workers where the
    server allows) and add the constraints back (a unique index each; one validating join per
    foreign key): a duplicate ID number fails here, and the whole load rolls back."""
    with connection.cursor() as cur:
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for statement in statements:
            cur.execute(statement)
        cur.execute("SET LOCAL maintenance_work_mem TO DEFAULT")


PERSON_COLUMNS = [
    "id", "name", "name_initials", "id_number", "id_number_index", "id_number_masked", "sex", "birth_date",
    "ethnicity", "phone", "phone_masked", "hukou_type", "hukou_region_code", "region_code", "disability_kind",
    "disability_grade", "serious_illness", "labour_capacity", "self_care", "death_date", "created_at", "updated_at",
]  # fmt: skip
HOUSEHOLD_COLUMNS = [
    "id", "number", "head_id", "region_code", "address", "hukou_type", "bank_name", "bank_account",
    "bank_account_masked", "created_at", "updated_at",
]  # fmt: skip
MEMBERSHIP_COLUMNS = ["id", "household_id", "person_id", "relation", "valid_from", "valid_to", "end_reason"]


def registry_bulk_load(
    *, households: list[HouseholdRow], valid_from: dt.date | None = None, workers: int | None = None
) -> dict:
    """Insert households with their members in one transaction; returns counts.

    Assigns ``number`` and ``person_ids`` on each HouseholdRow. Caller validates and audits.
    """
    from .services import household_number_new

    if any(not h.members for h in households):
        raise ValueError("registry_bulk_load: a household without members")
    now = timezone.now()
    valid_from = valid_from or timezone.localdate()
    members = [(h, m) for h in households for m in h.members]
    items = [(m.id_number, m.phone, m.name, h.bank_account if m is h.members[0] else "") for h, m in members]
    # the pool starts encrypting now; the rows are written as its chunks come back
    with _prepared(items, workers) as prepared, transaction.atomic():
        rebuild = _secondary_drop() if _rebuild_wanted(len(members)) else None
        person_ids = _reserve_ids("registry_person", len(members))
        household_ids = _reserve_ids("registry_household", len(households))
        membership_ids = _reserve_ids("registry_membership", len(members))
        by_township: dict[str, list[HouseholdRow]] = {}
        for h in households:
            if not h.number:
                by_township.setdefault(h.region_code[:9], []).append(h)
        for township, group in by_township.items():
            for h, number in zip(group, household_number_new(township.ljust(12, "0"), len(group)), strict=True):
                h.number = number
        for pid, (h, _) in zip(person_ids, members, strict=True):
            h.person_ids.append(pid)

        by_gram: dict[str, list[tuple[str, int]]] = {}  # gram → (region_code, person_id), in person order
        gram_rows: list[tuple[str, str, int]] = []  # when rebuilding: (gram, region_code, person_id)
        bank_accounts: list[str] = []  # encrypted, one per household, in order

        def person_rows():
            done = 0
            for part in prepared:
                for pid, (h, m), p in zip(
                    person_ids[done : done + len(part)], members[done : done + len(part)], part, strict=True
                ):
                    enc_id, index, masked, sex, birth, enc_phone, phone_masked, initials, name_grams, account = p
                    if m is h.members[0]:
                        bank_accounts.append(account)
                    region = m.region_code
                    if rebuild is not None:
                        gram_rows.extend((gram, region, pid) for gram in name_grams)
                    else:
                        for gram in name_grams:
                            bucket = by_gram.get(gram)
                            if bucket is None:
                                by_gram[gram] = [(region, pid)]
                            else:
                                bucket.append((region, pid))
                    yield (
                        pid, m.name, initials, enc_id, index, masked, sex, birth, m.ethnicity, enc_phone,
                        phone_masked, m.hukou_type, m.hukou_region_code, region, m.disability_kind,
                        m.disability_grade, m.serious_illness, m.labour_capacity, m.self_care, m.death_date, now,
                        now,
                    )  # fmt: skip
                done += len(part)
            if done != len(members):
                raise RuntimeError("registry_bulk_load: prepared rows do not match the members")

        _copy("registry_person", PERSON_COLUMNS, person_rows())
        # Rebuilding: as they come (every index of the table is built afterwards). Else grouped
        # by gram, the leading column of namegram_lookup: on a large table the rows of one
        # gram then go to the same few index pages while they are in the buffer cache, rather than
        # to random pages of an index larger than the cache (a full sort costs the loader more than
        # it saves the database, which would wait for it).
        _copy(
            "registry_personnamegram",
            ["gram", "region_code", "person_id"],
            gram_rows or ((gram, region, pid) for gram in sorted(by_gram) for region, pid in by_gram[gram]),
        )

        def household_rows():
            for hid, h, enc_account in zip(household_ids, households, bank_accounts, strict=True):
                head_index = next((i for i, m in enumerate(h.members) if m.relation == "head"), 0)
                yield (
                    hid, h.number, h.person_ids[head_index], h.region_code, h.address, h.hukou_type, h.bank_name,
                    enc_account, nz.mask_bank_account(h.bank_account) if h.bank_account else "", now, now,
                )  # fmt: skip

        _copy("registry_household", HOUSEHOLD_COLUMNS, household_rows())

        def membership_rows():
            ids = iter(membership_ids)
            for hid, h in zip(household_ids, households, strict=True):
                for pid, m in zip(h.person_ids, h.members, strict=True):
                    yield (next(ids), hid, pid, m.relation, valid_from, None, "")

        _copy("registry_membership", MEMBERSHIP_COLUMNS, membership_rows())
        if rebuild is not None:
            _secondary_restore(rebuild)
    return {"households": len(households), "persons": len(members), "household_ids": household_ids}
