"""Set-based loading of many households at once (imports, demo city, benchmarks).

Rows arrive validated. Encryption and blind indexes are computed up front (in worker processes
when there are many rows: SM4-GCM costs ~30 µs a value in ``cryptography``), ids are reserved in
one statement, and the rows go in with ``COPY`` on PostgreSQL or ``executemany`` on SQLite,
instead of one ORM ``save()`` per row.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

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


def _prepare(chunk: list[tuple[str, str, str]]):
    """(id_number, phone, name) → encrypted/derived values; runs in worker processes."""
    out = []
    for id_number, phone, name in chunk:
        d = nz.derive_from_id(id_number)
        out.append(
            (
                sm.encrypt(d["id_number"]),
                d["id_number_index"],
                d["id_number_masked"],
                d["sex"],
                d["birth_date"],
                sm.encrypt(phone) if phone else "",
                nz.mask_phone(phone) if phone else "",
                nz.name_initials(name),
                nz.name_grams(name),
            )
        )
    return out


def _prepare_all(items: list[tuple[str, str, str]], workers: int | None) -> list:
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(items) < 20000:
        return _prepare(items)
    sm.encrypt("warm-up")  # load the key ring before forking
    size = max(2000, len(items) // (workers * 8))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        out = []
        for part in pool.imap(_prepare, chunks):
            out.extend(part)
    return out


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
            cur.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)", [n])
            return [r[0] for r in cur.fetchall()]
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        start = cur.fetchone()[0] + 1
        return list(range(start, start + n))


def _copy(table: str, columns: list[str], rows) -> None:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
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

    now = timezone.now()
    valid_from = valid_from or timezone.localdate()
    members = [(h, m) for h in households for m in h.members]
    prepared = _prepare_all([(m.id_number, m.phone, m.name) for _, m in members], workers)
    with transaction.atomic():
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

        def person_rows():
            for pid, (h, m), p in zip(person_ids, members, prepared, strict=True):
                h.person_ids.append(pid)
                enc_id, index, masked, sex, birth, enc_phone, phone_masked, initials, _ = p
                yield (
                    pid, m.name, initials, enc_id, index, masked, sex, birth, m.ethnicity, enc_phone, phone_masked,
                    m.hukou_type, m.hukou_region_code, m.region_code, m.disability_kind, m.disability_grade,
                    m.serious_illness, m.labour_capacity, m.self_care, m.death_date, now, now,
                )  # fmt: skip

        _copy("registry_person", PERSON_COLUMNS, person_rows())

        def gram_rows():
            for pid, (_, m), p in zip(person_ids, members, prepared, strict=True):
                for gram in p[8]:
                    yield (pid, gram, m.region_code)

        _copy("registry_personnamegram", ["person_id", "gram", "region_code"], gram_rows())

        def household_rows():
            for hid, h in zip(household_ids, households, strict=True):
                head_index = next((i for i, m in enumerate(h.members) if m.relation == "head"), 0)
                yield (
                    hid, h.number, h.person_ids[head_index], h.region_code, h.address, h.hukou_type, h.bank_name,
                    sm.encrypt(h.bank_account) if h.bank_account else "",
                    nz.mask_bank_account(h.bank_account) if h.bank_account else "", now, now,
                )  # fmt: skip

        _copy("registry_household", HOUSEHOLD_COLUMNS, household_rows())

        def membership_rows():
            ids = iter(membership_ids)
            for hid, h in zip(household_ids, households, strict=True):
                for pid, m in zip(h.person_ids, h.members, strict=True):
                    yield (next(ids), hid, pid, m.relation, valid_from, None, "")

        _copy("registry_membership", MEMBERSHIP_COLUMNS, membership_rows())
    return {"households": len(households), "persons": len(members), "household_ids": household_ids}
