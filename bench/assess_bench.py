"""Single assessment through the API: ``POST /api/v1/assistance/assessments`` p50/p99 (target p99
≤ 50 ms), on SQLite and on PostgreSQL, beside the bare ``assess()`` call on the same requests (what
the HTTP layer, token check, validation and standards lookup add).

Requests go through Django's full stack in-process (``django.test.Client``: middleware, bearer
token lookup, django-ninja parsing and the pydantic model, the standards table read, JSON out); no
network socket. 1,000 different households drawn with a fixed seed (1–6 members, random ages,
disabilities, incomes, expenses, property) against the demo standards of 瑞安市.

    .venv/bin/python bench/assess_bench.py --write docs/benchmarks.md   # both databases
    .venv/bin/python bench/assess_bench.py --db sqlite                  # print only
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from page import splice_section  # bench/ is on the path of this script

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 50
N = 1000
TITLE = "Assessment via the API"


def household(rng: random.Random) -> dict:
    n = rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6])
    members = []
    for i in range(n):
        m = {"name": f"成员{i + 1}", "birth_date": f"{rng.randint(1930, 2024)}-{rng.randint(1, 12):02d}-15",
             "relation": "head" if i == 0 else rng.choice(["spouse", "child", "parent"]),
             "serious_illness": rng.random() < 0.1, "self_care": rng.choice(["full", "full", "partial", "none"]),
             "has_able_supporter": rng.choice([True, False])}  # fmt: skip
        if rng.random() < 0.15:
            m["disability_kind"], m["disability_grade"] = rng.choice(["limb", "mental", "visual"]), rng.randint(1, 4)
        members.append(m)
    incomes = [{"member": rng.randrange(n), "kind": rng.choice(["wages", "business", "transfer", "basic_pension"]),
                "annual_amount": rng.randint(0, 40000)} for _ in range(rng.randint(0, 3))]  # fmt: skip
    expenses = [{"kind": "medical", "annual_amount": rng.randint(0, 30000)}] if rng.random() < 0.3 else []
    return {
        "region_code": "330381001001", "hukou_type": rng.choice(["urban", "rural"]), "as_of": "2026-11-01",
        "members": members, "incomes": incomes, "expenses": expenses,
        "property": {"financial_assets": rng.randint(0, 60000), "houses": rng.choice([0, 1, 1, 2])},
    }  # fmt: skip


def measure() -> dict:
    """Runs inside a process whose environment names the database (see ``main``)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minzheng.settings")
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from minzheng.business.assistance.assessment import assess
    from minzheng.business.assistance.schemas import AssessmentIn
    from minzheng.business.assistance.services import standards_load
    from minzheng.foundation.accounts.services import token_issue, user_create
    from minzheng.foundation.parameters.standards import standards_for
    from minzheng.foundation.regions.services import regions_import

    call_command("migrate", verbosity=0)
    regions_import(source=ROOT / "minzheng/foundation/regions/fixtures/demo", prefixes=("3303",))
    standards_load()
    user = user_create(username="bench_assessor", password="Bench@Pass2026", grants=[("acceptor", "330381001000")])
    token = token_issue(user=user, name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    rng = random.Random(2026)
    requests = [household(rng) for _ in range(N)]
    for body in requests[:20]:  # warm-up: imports, first queries
        client.post("/api/v1/assistance/assessments", body, content_type="application/json")
    api, bare, classes = [], [], {}
    for body in requests:
        t = time.perf_counter()
        r = client.post("/api/v1/assistance/assessments", body, content_type="application/json")
        api.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.content
        kind = r.json()["classification"]
        classes[kind] = classes.get(kind, 0) + 1
        req = AssessmentIn.model_validate(body)
        t = time.perf_counter()
        assess(req, standards_for(region_code=req.region_code, hukou_type=req.hukou_type, as_of=req.as_of))
        bare.append((time.perf_counter() - t) * 1000)

    def q(xs, p):
        return statistics.quantiles(xs, n=100, method="inclusive")[p - 1]

    return {"n": N, "api": {"p50": q(api, 50), "p99": q(api, 99), "max": max(api)},
            "bare": {"p50": q(bare, 50), "p99": q(bare, 99), "max": max(bare)}, "classes": classes}  # fmt: skip


def run(db: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="assess-bench-") as var:
        env = {**os.environ, "MINZHENG_VAR_DIR": var, "PYTHONPATH": str(ROOT)}
        env.pop("DATABASE_URL", None)
        if db == "postgresql":
            name = "bench_assess"
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"],
                           check=True, env=env)  # fmt: skip
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"], check=True, env=env
            )
            env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
        out = subprocess.run(
            [sys.executable, __file__, "--measure"], env=env, check=True, capture_output=True, text=True
        )
        return json.loads(out.stdout.strip().splitlines()[-1])


def render(results: dict, number: int) -> list[str]:
    load = os.getloadavg()
    lines = [
        "",
        f"## {number}. {TITLE} (`POST /api/v1/assistance/assessments`)",
        "",
        f"Target: p99 ≤ {TARGET_MS} ms for a single assessment via the API. Written by `bench/assess_bench.py --write "
        f"docs/benchmarks.md` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average at the end "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}. {N} different households (seeded: 1–6 members, ages, "
        "disabilities, incomes, expenses, property) against the demo standards of 瑞安市, each through Django's whole "
        "stack in-process (`django.test.Client`: middleware, bearer token, django-ninja and the pydantic request "
        "model, the standards lookup, JSON out; no socket), 20 warm-up requests not counted. Beside it, the bare "
        "`assess()` on the same requests (standards looked up, no HTTP) — what the API layer adds.",
        "",
        "| | PostgreSQL | SQLite |",
        "|---|---|---|",
    ]
    pg, sq = results.get("postgresql"), results.get("sqlite")

    def cell(r, part):
        if r is None:
            return "not run"
        x = r[part]
        return f"{x['p50']:.1f} / **{x['p99']:.1f}** ({x['max']:.1f})"

    def verdict(r):
        return "—" if r is None else ("**pass**" if r["api"]["p99"] <= TARGET_MS else "**FAIL**")

    lines += [
        f"| API p50 / **p99** (max) ms | {cell(pg, 'api')} | {cell(sq, 'api')} |",
        f"| Bare `assess()` p50 / **p99** (max) ms | {cell(pg, 'bare')} | {cell(sq, 'bare')} |",
        f"| Target p99 ≤ {TARGET_MS} ms | {verdict(pg)} | {verdict(sq)} |",
        f"| Classifications of the {N} requests | {_classes(pg)} | {_classes(sq)} |",
    ]
    return lines


def _classes(r) -> str:
    return "—" if r is None else ", ".join(f"{k} {v}" for k, v in sorted(r["classes"].items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--write", help="splice the section into this page (e.g. docs/benchmarks.md)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure()))
        return
    dbs = ["postgresql", "sqlite"] if args.db == "both" else [args.db]
    results = {db: run(db) for db in dbs}
    page = Path(args.write) if args.write else None
    if page:
        page.write_text(splice_section(page.read_text(), TITLE, lambda number: render(results, number)))
    print("\n".join(render(results, 0)[1:]))


if __name__ == "__main__":
    main()
