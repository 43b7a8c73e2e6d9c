"""The eldercare figures of a city with 3,000 care homes (target < 1 s), against the naive way
measured in the same run (home by home: its status, its attributes, its residents and its hazards,
one query each).

Loading is not what is measured: entities, supervised homes, their status rows and attribute
values (with a superseded first version of the beds on a tenth of them), residents and, per home,
one completed inspection with five hazards of which three are closed, are bulk-created the way the
services would leave them. Run on an empty database:

    MINZHENG_VAR_DIR=/tmp/eb .venv/bin/python bench/eldercare_bench.py --homes 3000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/eldercare_bench MINZHENG_VAR_DIR=/tmp/eb \\
        .venv/bin/python bench/eldercare_bench.py --homes 3000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

if not os.environ.get("DATABASE_URL") and not os.environ.get("MINZHENG_VAR_DIR"):
    sys.exit("在空数据库上运行：请设置 DATABASE_URL 或 MINZHENG_VAR_DIR（见本文件开头的说明），以免写入示范库")
SRC = Path(os.environ.get("MINZHENG_BENCH_SRC") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(SRC))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minzheng.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.utils import timezone  # noqa: E402

CITY = "3303"  # a city prefix (the bench loads no region table)
HAZARDS_PER_HOME = 5


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def load(homes: int, seed: int = 16) -> dict:
    from minzheng.business.eldercare.models import Admission
    from minzheng.business.eldercare.policy import KIND
    from minzheng.engines.supervision.models import (
        AttributeValue,
        Hazard,
        Inspection,
        InspectionResult,
        StatusChange,
        Supervised,
        Template,
        TemplateItem,
        TemplateSection,
    )
    from minzheng.foundation.accounts.models import User
    from minzheng.foundation.codes.uscc import check_character
    from minzheng.foundation.entities.models import Entity
    from minzheng.foundation.registry.models import Person

    rnd = random.Random(seed)
    today = timezone.localdate()
    since = today - dt.timedelta(days=900)
    user = User.objects.create(username="bench_inspector")
    counties = [f"3303{c:02d}" for c in range(2, 30)]
    entities = []
    for n in range(homes):
        county = counties[n % len(counties)]
        body = f"52{county}ML{n:07d}"
        entities.append(Entity(uscc=body + check_character(body), name=f"养老院{n}", kind="social_service",
                               region_code=f"{county}{100 + n % 20:03d}000", representative_name="院长",
                               status_since=since))  # fmt: skip
    entities = Entity.objects.bulk_create(entities, batch_size=2000)
    sup = Supervised.objects.bulk_create(
        [Supervised(entity=e, kind=KIND, status="operating", status_since=since) for e in entities], batch_size=2000
    )
    StatusChange.objects.bulk_create(
        [StatusChange(supervised=s, status_to="operating", effective_on=since) for s in sup], batch_size=2000
    )
    natures = ["tekun", "tekun", "public", "public_private", "private", "private"]
    values, now = [], timezone.now()
    for i, s in enumerate(sup):
        total = rnd.choice((40, 60, 100, 200))
        attrs = {"nature": ("choice", natures[i % len(natures)]), "level": ("choice", "township"),
                 "beds_total": ("int", total), "beds_nursing": ("int", total // 2), "beds_dementia": ("int", total // 10),
                 "beds_reserved": ("int", total // 5)}  # fmt: skip
        for code, (kind, v) in attrs.items():
            col = "value_int" if kind == "int" else "value_text"
            values.append(AttributeValue(supervised=s, code=code, type=kind, effective_on=since, **{col: v}))
        if i % 10 == 0:  # a superseded first version of the beds
            values.append(AttributeValue(supervised=s, code="beds_nursing", type="int", value_int=1,
                                         effective_on=since - dt.timedelta(days=30), superseded_at=now))  # fmt: skip
    AttributeValue.objects.bulk_create(values, batch_size=5000)
    # residents: a few registry persons shared round-robin (the figures count stays, not persons)
    persons = list(Person.objects.all()[:1])
    if persons:
        Admission.objects.bulk_create(
            [Admission(supervised=s, person=persons[0], admitted_on=since, discharged_on=since) for s in sup],
            batch_size=2000,
        )
    t = Template.objects.create(kind=KIND, purpose="fire", code="bench", name="消防", effective_from=since,
                                published=True)  # fmt: skip
    sec = TemplateSection.objects.create(template=t, order=1, title="消防")
    items = [TemplateItem.objects.create(section=sec, order=k, code=f"F{k}", text="x", legal_basis="x",
                                         hazard_on_fail=True, hazard_level="major" if k == 1 else "general")
             for k in range(1, HAZARDS_PER_HOME + 1)]  # fmt: skip
    insps = Inspection.objects.bulk_create(
        [Inspection(supervised=s, template=t, purpose="fire", region_code=s.entity.region_code, state="completed",
                    inspected_on=today - dt.timedelta(days=60), lead_inspector=user) for s in sup],
        batch_size=2000,
    )  # fmt: skip
    results = InspectionResult.objects.bulk_create(
        [InspectionResult(inspection=insp, item=it, outcome="fail") for insp in insps for it in items], batch_size=5000
    )
    hazards = []
    for r_i, r in enumerate(results):
        insp = insps[r_i // HAZARDS_PER_HOME]
        closed = r_i % HAZARDS_PER_HOME < 3
        found = insp.inspected_on
        hazards.append(Hazard(supervised_id=insp.supervised_id, inspection=insp, result=r, region_code=insp.region_code,
                              level=items[r_i % HAZARDS_PER_HOME].hazard_level, description="x", found_on=found,
                              deadline=found + dt.timedelta(days=30), state="closed" if closed else "open",
                              closed_on=found + dt.timedelta(days=rnd.randint(1, 40)) if closed else None))  # fmt: skip
    Hazard.objects.bulk_create(hazards, batch_size=5000)
    return {"homes": len(sup), "attribute_rows": len(values), "hazards": len(hazards)}


def naive(region: str, on: dt.date) -> dict:
    """Home by home: status, attributes, residents and hazards with one query each."""
    from minzheng.business.eldercare.models import Admission
    from minzheng.business.eldercare.policy import KIND
    from minzheng.engines.supervision.models import AttributeValue, Hazard, StatusChange, Supervised

    beds = {"total": 0, "nursing": 0}
    tekun_total = tekun_nursing = residents = found = closed = 0
    days, open_by = [], {"general": 0, "major": 0}
    for s in Supervised.objects.filter(kind=KIND, entity__region_code__startswith=region[:4]):
        last = StatusChange.objects.filter(supervised=s, effective_on__lte=on).order_by("-effective_on", "-pk").first()
        if last is None or last.status_to not in ("operating", "suspended"):
            continue
        attrs = {}
        for row in AttributeValue.objects.filter(supervised=s, effective_on__lte=on).order_by("effective_on", "pk"):
            attrs[row.code] = row.value
        beds["total"] += attrs.get("beds_total") or 0
        beds["nursing"] += attrs.get("beds_nursing") or 0
        if attrs.get("nature") == "tekun":
            tekun_total += attrs.get("beds_total") or 0
            tekun_nursing += attrs.get("beds_nursing") or 0
        residents += (
            Admission.objects.filter(supervised=s, admitted_on__lte=on)
            .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gt=on))
            .count()
        )
        for h in Hazard.objects.filter(supervised=s, found_on__lte=on):
            found += 1
            if h.closed_on and h.closed_on <= on:
                closed += 1
                days.append((h.closed_on - h.found_on).days)
            else:
                open_by[h.level] += 1
    return {"beds": beds, "tekun": (tekun_nursing, tekun_total), "residents": residents, "found": found,
            "closed": closed, "median": statistics.median(days) if days else None, "open": open_by}  # fmt: skip


def timed(fn, repeat: int = 3):
    """The last answer and every run's seconds."""
    runs, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t)
    return out, runs


TITLE = "Eldercare figures of a city"


def render(result: dict, number: int) -> list[str]:
    """The section of docs/benchmarks.md (``bench/page.py`` splices it in place)."""
    f = result["figures_s"]
    verdict = "**pass**" if f["max"] < result["target_s"] else "**FAIL**"
    return [
        "",
        f"## {number}. {TITLE} ({result['homes']:,} care homes, {result['vendor']})",
        "",
        f"Target: the figures of a city with 3,000 homes < 1 s. Measured: "
        f"min/median/max **{f['min']:.3f} / {f['median']:.3f} / {f['max']:.3f} s** over {f['runs']} runs "
        f"{verdict}. `minzheng.business.eldercare.selectors.figures` (set-based: current attribute rows by "
        f"type, residents on the day, hazards found/closed/open by level and the median days to close, "
        f"each one statement over the city). Load average (1/5/15 min) at the start {result['load']}. "
        f"Measured {result['measured']} at commit `{result['commit']}`.",
        "",
        "| | This code (set-based) | Baseline: home by home (status, attributes, residents, hazards: one query each) |",
        "|---|---|---|",
        f"| Figures of the city | {f['median']:.3f} s (median) | {result['naive_s']:.1f} s (one run) |",
        f"| Loaded | {result['loaded']} | same data, same answers (asserted) |",
    ]


def main() -> None:
    from minzheng.business.eldercare.selectors import figures

    ap = argparse.ArgumentParser()
    ap.add_argument("--homes", type=int, default=3000)
    ap.add_argument("--out", default="")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--write", default="", help="docs/benchmarks.md: write this bench's section there")
    args = ap.parse_args()
    load_avg = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    call_command("migrate", verbosity=0, interactive=False)
    t = time.perf_counter()
    loaded = load(args.homes)
    if connection.vendor == "postgresql":  # statistics as autovacuum would have them after a bulk load
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    log(f"loaded {loaded} in {time.perf_counter() - t:.1f}s")
    on = timezone.localdate()
    data, runs = timed(lambda: figures(region=CITY, on=on), repeat=args.runs)
    slow_out, slow = timed(lambda: naive(CITY, on), repeat=1)
    assert data["homes"] == args.homes and data["beds"]["total"] == slow_out["beds"]["total"]
    assert data["beds"]["nursing"] == slow_out["beds"]["nursing"]
    assert data["hazards_found"] == slow_out["found"] and data["hazards_closed"] == slow_out["closed"]
    assert data["hazards_open_by_level"] == slow_out["open"]
    assert float(data["hazard_median_days_to_close"]) == float(slow_out["median"])
    commit = subprocess.run(["git", "-C", str(SRC), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()  # fmt: skip
    result = {"vendor": connection.vendor, "homes": args.homes, "loaded": loaded,
              "figures_s": {"min": min(runs), "median": statistics.median(runs), "max": max(runs), "runs": len(runs)},
              "naive_s": slow[0], "target_s": 1.0, "load": load_avg, "commit": commit,
              "measured": time.strftime("%Y-%m-%d %H:%M %Z")}  # fmt: skip
    print(json.dumps(result, ensure_ascii=False))
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    if args.write:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from page import splice_section

        page = Path(args.write)
        page.write_text(splice_section(page.read_text(encoding="utf-8"), TITLE, lambda n: render(result, n)),
                        encoding="utf-8")  # fmt: skip


if __name__ == "__main__":
    main()
