"""One database's registry benchmark: bulk load, per-row ORM baseline, searches. Run by bench/run.py.

The database is whatever ``DATABASE_URL`` / ``MINZHENG_VAR_DIR`` select (run.py sets them to a
fresh PostgreSQL database or a fresh SQLite file). Progress goes to stderr; results are written
as JSON to ``--out``.
"""

# ruff: noqa: E402 (imports follow django.setup())

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

# the code under test: a snapshot of one commit made by run.py, else this checkout
SRC = Path(os.environ.get("MINZHENG_BENCH_SRC") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(SRC))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minzheng.settings")

import django

django.setup()

from django.core.management import call_command
from django.db import connection, transaction

from minzheng.foundation.accounts.models import User
from minzheng.foundation.accounts.services import user_create
from minzheng.foundation.regions.models import Level, Region
from minzheng.foundation.regions.services import regions_import
from minzheng.foundation.registry import bulk, services
from minzheng.foundation.registry import normalise as nz
from minzheng.foundation.registry.models import Household, Membership, Person
from minzheng.foundation.registry.selectors import person_search
from minzheng.foundation.registry.synthetic import Population

DEMO_REGIONS = SRC / "minzheng" / "foundation" / "regions" / "fixtures" / "demo"
COUNTY_PREFIX = "330381"  # 瑞安市, the demo county
FOCUS_TOWNSHIPS = ("330381001", "330381101")  # weighted ×4 as in the demo city
TOWNSHIP = "330381001000"  # 安阳街道
CITY = "330300000000"  # 温州市
PASSWORD = "Bench@2026-minzheng"


def registry_tables() -> list[str]:
    """The registry's tables, parents first (the name-gram table where the schema has one)."""
    present = set(connection.introspection.table_names())
    names = ("registry_person", "registry_personnamegram", "registry_household", "registry_membership")
    return [t for t in names if t in present]


STARTED = time.perf_counter()


def log(msg: str) -> None:
    print(f"[{connection.vendor} +{time.perf_counter() - STARTED:6.0f}s] {msg}", file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile of ``values`` (ms)."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))
    return s[k]


def summary(ms: list[float]) -> dict:
    return {
        "n": len(ms),
        "p50_ms": round(pct(ms, 50), 3),
        "p99_ms": round(pct(ms, 99), 3),
        "max_ms": round(max(ms), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
    }


def villages() -> list[str]:
    codes = list(
        Region.objects.filter(code__startswith=COUNTY_PREFIX, level=Level.VILLAGE).values_list("code", flat=True)
    )
    focus = [v for v in codes if v.startswith(FOCUS_TOWNSHIPS)]
    return focus * 4 + codes  # the demo city's weighting (minzheng/sites/demo/services.py)


def setup_users() -> dict[str, User]:
    township = user_create(
        username="bench_township", password=PASSWORD, grants=[("acceptor", TOWNSHIP)], display_name="安阳街道受理员"
    )
    city = user_create(username="bench_city", password=PASSWORD, grants=[("leader", CITY)], display_name="温州市领导")
    return {"township": township, "city": city}


def fresh(user: User) -> User:
    """The user as a request would load it (grant cache empty)."""
    return User.objects.get(pk=user.pk)


# ---------------------------------------------------------------- load


def baseline_orm(village_codes: list[str], persons: int) -> dict:
    """Per-row ORM: Person.save(), Household.save(), Membership.save(); one transaction per household.

    Plain ID number, phone and bank account go through EncryptedTextField.get_prep_value (SM4 per
    value), as any ORM save would; the blind index, masks, sex/birth and pinyin initials are derived
    per person with the same normalise helpers the services use; the household number comes from
    the numbering service (one row-locked sequence step per household).
    """
    population = Population(villages=village_codes, hukou_region6=COUNTY_PREFIX, seed=99)
    households = list(population.households(persons))
    write_grams = getattr(services, "name_grams_write", None)  # the name-search grams, as person_create writes them
    n = sum(len(h.members) for h in households)
    started = time.perf_counter()
    for h in households:
        with transaction.atomic():
            saved = []
            for m in h.members:
                d = nz.derive_from_id(m.id_number)
                p = Person(
                    name=m.name,
                    name_initials=nz.name_initials(m.name),
                    id_number=d["id_number"],
                    id_number_index=d["id_number_index"],
                    id_number_masked=d["id_number_masked"],
                    sex=d["sex"],
                    birth_date=d["birth_date"],
                    ethnicity=m.ethnicity,
                    phone=m.phone,
                    phone_masked=nz.mask_phone(m.phone) if m.phone else "",
                    hukou_type=m.hukou_type,
                    hukou_region_code=m.hukou_region_code,
                    region_code=m.region_code,
                    disability_kind=m.disability_kind,
                    disability_grade=m.disability_grade,
                    serious_illness=m.serious_illness,
                    labour_capacity=m.labour_capacity,
                    self_care=m.self_care,
                    death_date=m.death_date,
                )
                p.save()
                if write_grams:
                    write_grams(p)
                saved.append((p, m.relation))
            head = next((p for p, r in saved if r == "head"), saved[0][0])
            household = Household(
                number=services.household_number_new(h.region_code)[0],
                head=head,
                region_code=h.region_code,
                address=h.address,
                hukou_type=h.hukou_type,
                bank_name=h.bank_name,
                bank_account=h.bank_account,
                bank_account_masked=nz.mask_bank_account(h.bank_account) if h.bank_account else "",
            )
            household.save()
            for p, relation in saved:
                Membership(household=household, person=p, relation=relation, valid_from=population.today).save()
    seconds = time.perf_counter() - started
    with transaction.atomic(), connection.cursor() as cur:  # leave empty tables for the bulk load
        for table in registry_tables()[::-1]:
            cur.execute(f"DELETE FROM {table}")
    return {
        "persons": n,
        "households": len(households),
        "seconds": round(seconds, 3),
        "persons_per_s": round(n / seconds, 1),
    }


def prepare_ceiling(village_codes: list[str], persons: int = 50_000) -> dict | None:
    """Throughput of the loader's CPU-bound step alone (derive, encrypt, initials, grams; no
    database): the ceiling the load cannot pass on this machine, whatever the database does."""
    prepare = getattr(bulk, "_prepare_all", None)
    if prepare is None:
        return None
    population = Population(villages=village_codes, hukou_region6=COUNTY_PREFIX, seed=5)
    items = [
        (m.id_number, m.phone, m.name, h.bank_account if i == 0 else "")
        for h in population.households(persons)
        for i, m in enumerate(h.members)
    ]
    out = {"persons": len(items), "workers": os.cpu_count()}
    for key, workers in (("pool_per_s", None), ("one_worker_per_s", 1)):
        t = time.perf_counter()
        prepare(items, workers)
        out[key] = round(len(items) / (time.perf_counter() - t), 1)
    return out


class CpuMeter:
    """CPU seconds of this process, of its reaped children (the loader's pool) and, on PostgreSQL
    on this machine, of the database backend serving this connection (from /proc), per phase of
    the load: the calls of ``bulk._copy`` / ``bulk._reserve_ids`` (by table), the drop and rebuild of
    the indexes in a large load (``bulk._secondary_drop`` / ``_secondary_restore``) and the rest of each
    ``registry_bulk_load`` (household numbers, the deferred foreign-key checks at commit, waiting
    for the pool). Shows where a load's time goes, and what one connection can do at best."""

    def __init__(self):
        self.backend_stat = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                path = Path(f"/proc/{cur.fetchone()[0]}/stat")
            if path.exists():
                self.backend_stat = path
        self.tick = os.sysconf("SC_CLK_TCK")
        self.phases: dict[str, list[float]] = {}  # phase → [client cpu, backend cpu]
        self.totals = [0.0, 0.0, 0.0]  # client, children, backend

    def backend(self) -> float:
        if self.backend_stat is None:
            return 0.0
        fields = self.backend_stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.tick

    def now(self) -> tuple[float, float, float]:
        t = os.times()
        return time.process_time(), t.children_user + t.children_system, self.backend()

    def wrap(self, name: str):
        original = getattr(bulk, name, None)
        if original is None:
            return

        def wrapped(*args, **kwargs):
            c, _, b = self.now()
            try:
                return original(*args, **kwargs)
            finally:
                c2, _, b2 = self.now()
                table = args[0] if args and isinstance(args[0], str) else ""
                phase = self.phases.setdefault(f"{name.strip('_')} {table}".strip(), [0.0, 0.0])
                phase[0] += c2 - c
                phase[1] += b2 - b

        setattr(bulk, name, wrapped)

    def call(self, fn, *args, **kwargs):
        start, inner = self.now(), [sum(v[i] for v in self.phases.values()) for i in (0, 1)]
        try:
            return fn(*args, **kwargs)
        finally:
            end = self.now()
            for i in range(3):
                self.totals[i] += end[i] - start[i]
            rest = self.phases.setdefault("rest of the call", [0.0, 0.0])
            rest[0] += (end[0] - start[0]) - (sum(v[0] for v in self.phases.values()) - inner[0])
            rest[1] += (end[2] - start[2]) - (sum(v[1] for v in self.phases.values()) - inner[1])

    def result(self, persons: int) -> dict:
        us = 1e6 / max(persons, 1)
        return {
            "backend_measured": self.backend_stat is not None,
            "client_us_per_person": round(self.totals[0] * us, 1),
            "pool_us_per_person": round(self.totals[1] * us, 1),
            "backend_us_per_person": round(self.totals[2] * us, 1) if self.backend_stat else None,
            "phases_us_per_person": {
                k: [round(v[0] * us, 1), round(v[1] * us, 1) if self.backend_stat else None]
                for k, v in self.phases.items()
            },
        }


def bulk_load(
    village_codes: list[str], persons: int, batch: int, sample_rate: float, increment: int = 0
) -> tuple[dict, list]:
    """registry_bulk_load in batches of ~``batch`` persons, then registry_analyze(); only those calls
    are timed, not generating the synthetic rows. Then, timed apart, one call of ``increment`` more
    persons into the loaded registry (an import's steady state: indexes kept, entries row by row)."""
    population = Population(villages=village_codes, hukou_region6=COUNTY_PREFIX, seed=2026)
    pick = random.Random(7)
    sample: list[tuple[str, str, str, str]] = []  # (id_number, name, initials, region_code)
    stream = population.households(persons)
    batches = []
    meter = CpuMeter()
    meter.wrap("_copy")
    meter.wrap("_reserve_ids")
    meter.wrap("_secondary_drop")
    meter.wrap("_secondary_restore")
    generate_s = 0.0
    total_p = total_h = 0
    wall = time.perf_counter()
    while True:
        t = time.perf_counter()
        chunk, n = [], 0
        for h in stream:
            chunk.append(h)
            n += len(h.members)
            if n >= batch:
                break
        generate_s += time.perf_counter() - t
        if not chunk:
            break
        for h in chunk:
            for m in h.members:
                if pick.random() < sample_rate:
                    sample.append((m.id_number, m.name, nz.name_initials(m.name), m.region_code))
        t = time.perf_counter()
        result = meter.call(bulk.registry_bulk_load, households=chunk, valid_from=population.today)
        seconds = time.perf_counter() - t
        total_p += result["persons"]
        total_h += result["households"]
        batches.append({"persons": result["persons"], "seconds": seconds})
        log(
            f"bulk batch {len(batches)}: {result['persons']} persons in {seconds:.2f}s "
            f"({result['persons'] / seconds:,.0f}/s); total {total_p:,}"
        )
    # the loader's closing step, as the demo city runs it: fresh planner statistics
    analyze_s = None
    if hasattr(bulk, "registry_analyze"):
        t = time.perf_counter()
        bulk.registry_analyze()
        analyze_s = time.perf_counter() - t
        log(f"registry_analyze() in {analyze_s:.1f}s")
    load_s = sum(b["seconds"] for b in batches) + (analyze_s or 0)
    rates = [b["persons"] / b["seconds"] for b in batches]
    cpu = meter.result(total_p)
    more = None
    if increment:
        chunk = list(population.households(increment))
        t = time.perf_counter()
        result = bulk.registry_bulk_load(households=chunk, valid_from=population.today)
        seconds = time.perf_counter() - t
        more = {
            "persons": result["persons"],
            "seconds": round(seconds, 2),
            "persons_per_s": round(result["persons"] / seconds, 1),
        }
        log(f"then {result['persons']:,} more persons in one call: {seconds:.2f}s ({more['persons_per_s']:,.0f}/s)")
    return {
        "persons": total_p,
        "households": total_h,
        "batches": len(batches),
        "batch_persons": batch,
        "load_seconds": round(load_s, 2),
        "analyze_seconds": None if analyze_s is None else round(analyze_s, 2),
        "persons_per_s": round(total_p / load_s, 1),
        "first_batch_per_s": round(rates[0], 1),
        "last_batch_per_s": round(rates[-1], 1),
        "min_batch_per_s": round(min(rates), 1),
        "generate_seconds": round(generate_s, 2),
        "wall_seconds": round(time.perf_counter() - wall, 2),
        "workers": os.cpu_count(),
        "cpu": cpu,
        "increment": more,
    }, sample


def settle() -> str:
    """Before timing searches. PostgreSQL: VACUUM, as autovacuum does within a minute of a large
    insert (the visibility map lets the covering gram index answer with an index-only scan), and
    CHECKPOINT, so the background flush of the load's writes does not land in the search
    latencies. SQLite: nothing."""
    if connection.vendor != "postgresql":
        return "nothing more"
    with connection.cursor() as cur:
        for table in registry_tables():
            cur.execute(f"VACUUM {table}")
        cur.execute("CHECKPOINT")
    return "VACUUM of the registry tables (as autovacuum does after a large insert), then CHECKPOINT"


# ---------------------------------------------------------------- search


def timed(user: User, q: str) -> tuple[float, int]:
    t = time.perf_counter()
    rows = list(person_search(user=user, q=q)[:20])
    return (time.perf_counter() - t) * 1000, len(rows)


def in_scope(sample, prefix: str):
    return [s for s in sample if s[3].startswith(prefix)]


def search_bench(users: dict[str, User], sample, id_lookups: int, name_queries: int) -> dict:
    rnd = random.Random(11)
    out = {}
    for label, user in users.items():
        prefix = {"township": TOWNSHIP[:9], "city": CITY[:4]}[label]
        scope = in_scope(sample, prefix)
        u = fresh(user)
        for s in rnd.sample(scope, min(20, len(scope))):  # warm-up: connection, plan cache, grant cache
            timed(u, s[0])
        ids = [s[0] for s in rnd.choices(scope, k=id_lookups)]
        ms, misses = [], 0
        for q in ids:
            t, n = timed(u, q)
            ms.append(t)
            misses += n != 1
        id_result = summary(ms) | {"not_found": misses}
        # the same statements without the ORM: how much of the figure is the database round trip
        statements = [person_search(user=u, q=q)[:20].query.sql_with_params() for q in ids]
        ms = []
        with connection.cursor() as cur:
            for sql, params in statements:
                t = time.perf_counter()
                cur.execute(sql, params)
                cur.fetchall()
                ms.append((time.perf_counter() - t) * 1000)
        id_result["sql_only"] = summary(ms)
        # name fragments: surname + first given character, or the two-character given name
        surname_char, given2 = [], []
        for s in rnd.choices(scope, k=name_queries * 4):
            name = s[1]
            if len(name) == 3 and len(given2) < name_queries:
                given2.append(name[1:])
            elif len(surname_char) < name_queries:
                surname_char.append(name[:2])
        results = {"id": id_result}
        name_all: list[float] = []
        for kind, queries in (("name_surname_char", surname_char), ("name_given2", given2)):
            ms, empty = [], 0
            for q in queries:
                t, n = timed(u, q)
                ms.append(t)
                empty += n == 0
            name_all.extend(ms)
            results[kind] = summary(ms) | {"empty": empty, "examples": queries[:3]}
        results["name"] = summary(name_all)
        # whole names: mostly rare strings, so a scan cannot stop early at 20 hits
        full = [s[1] for s in rnd.choices(scope, k=name_queries)]
        ms = [timed(u, q)[0] for q in full]
        results["name_full"] = summary(ms) | {"examples": full[:3]}
        initials = [s[2] for s in rnd.choices(scope, k=name_queries)]
        ms = [timed(u, q)[0] for q in initials]
        results["initials"] = summary(ms) | {"examples": initials[:3]}
        results["scope_persons"] = Person.objects.for_user(u, "registry.view").count()
        results["plans"] = {
            kind: {"q": q, "plan": person_search(user=u, q=q)[:20].explain()}
            for kind, q in (
                ("id", ids[0]),
                ("name", surname_char[0]),
                ("name_full", full[0]),
                ("initials", initials[0]),
            )
        }
        results["loadavg"] = round(os.getloadavg()[0], 2)
        out[label] = results
        log(
            f"search {label}: id p99 {id_result['p99_ms']} ms; name p99 "
            f"{results['name_surname_char']['p99_ms']}/{results['name_given2']['p99_ms']} ms; "
            f"full name p99 {results['name_full']['p99_ms']} ms; "
            f"initials p99 {results['initials']['p99_ms']} ms"
        )
    return out


def scan_baseline(users: dict[str, User], sample, lookups: dict[str, int]) -> dict:
    """Without a blind index: fetch the in-scope ciphertexts, decrypt each, compare, stop at the match.

    The random SM4-GCM nonce makes equal ID numbers encrypt differently, so no SQL predicate (=,
    LIKE) can find one; this decrypt-and-compare scan is what the lookup would cost. Measured in
    full for a few random in-scope IDs (a hit scans on average half the scope; a miss all of it).
    """
    rnd = random.Random(13)
    out = {}
    for label, user in users.items():
        prefix = {"township": TOWNSHIP[:9], "city": CITY[:4]}[label]
        scope = in_scope(sample, prefix)
        u = fresh(user)
        ms, scanned = [], []
        for s in rnd.sample(scope, min(lookups[label], len(scope))):
            target = s[0]
            t = time.perf_counter()
            n = 0
            qs = (
                Person.objects.for_user(u, "registry.view")
                .order_by("region_code", "name", "id")
                .values_list("id", "id_number")
            )
            for _pk, plain in qs.iterator(chunk_size=5000):  # from_db_value decrypts
                n += 1
                if plain == target:
                    break
            ms.append((time.perf_counter() - t) * 1000)
            scanned.append(n)
        out[label] = {
            "n": len(ms),
            "mean_ms": round(statistics.fmean(ms), 1),
            "max_ms": round(max(ms), 1),
            "mean_rows_scanned": round(statistics.fmean(scanned)),
        }
        log(f"scan baseline {label}: mean {out[label]['mean_ms']} ms over {out[label]['mean_rows_scanned']} rows")
    return out


def database_facts() -> dict:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT version()")
            version = cur.fetchone()[0]
            sizes = {}
            for table in registry_tables():
                cur.execute("SELECT pg_total_relation_size(%s)", [table])
                sizes[table] = cur.fetchone()[0]
            settings = {}
            for name in ("shared_buffers", "work_mem", "max_wal_size", "synchronous_commit"):
                cur.execute(f"SHOW {name}")
                settings[name] = cur.fetchone()[0]
            return {"version": version, "table_bytes": sizes, "settings": settings}
        cur.execute("SELECT sqlite_version()")
        version = cur.fetchone()[0]
        path = Path(connection.settings_dict["NAME"])
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
        return {"version": f"SQLite {version}", "file_bytes": size, "settings": {"journal_mode": "WAL"}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=1_000_000)
    ap.add_argument("--increment", type=int, default=50_000)
    ap.add_argument("--baseline", type=int, default=5_000)
    ap.add_argument("--id-lookups", type=int, default=1000)
    ap.add_argument("--name-queries", type=int, default=300)
    ap.add_argument("--scan-township", type=int, default=5)
    ap.add_argument("--scan-city", type=int, default=3)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    t = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    regions_import(source=DEMO_REGIONS)
    users = setup_users()
    log(f"migrated, demo regions and users in {time.perf_counter() - t:.1f}s")
    codes = villages()

    log(f"baseline: per-row ORM save of {args.baseline} persons")
    baseline = baseline_orm(codes, args.baseline)
    log(f"baseline: {baseline['persons_per_s']:,} persons/s")

    ceiling = prepare_ceiling(codes)
    log(f"prepare ceiling: {ceiling}")
    sample_rate = min(1.0, 40_000 / args.persons)
    load, sample = bulk_load(codes, args.persons, args.batch, sample_rate, args.increment)
    counts = {
        "persons": Person.objects.count(),
        "households": Household.objects.count(),
        "memberships": Membership.objects.count(),
    }
    if "registry_personnamegram" in registry_tables():
        with connection.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM registry_personnamegram")
            counts["name_grams"] = cur.fetchone()[0]
    log(f"loaded {load['persons_per_s']:,} persons/s; counts {counts}")
    result = {
        "vendor": connection.vendor,
        "baseline_orm": baseline,
        "bulk": load,
        "prepare_ceiling": ceiling,
        "counts": counts,
    }
    t = time.perf_counter()
    result["search_note"] = settle()
    result["settle_seconds"] = round(time.perf_counter() - t, 2)
    result["search"] = search_bench(users, sample, args.id_lookups, args.name_queries)
    result["scan_baseline"] = scan_baseline(users, sample, {"township": args.scan_township, "city": args.scan_city})
    result["database"] = database_facts()
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
