"""One database's region-import benchmark: ``minzheng regions import --source DIR``, first run and re-run.

Run by bench/run.py against a fresh, migrated database (``DATABASE_URL`` / ``MINZHENG_VAR_DIR``).
Each import is the real command in its own process, timed wall-clock (process start included);
the command's own ``seconds`` figure is kept too. Results go to ``--out`` as JSON.
"""

# ruff: noqa: E402 (imports follow django.setup())

from __future__ import annotations

import argparse
import json
import os
import subprocess
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
from django.db import connection

from minzheng.foundation.regions.models import Region

MINZHENG = Path(sys.executable).parent / "minzheng"


def count() -> int:
    connection.close()  # see the other process's commit with a fresh connection
    return Region.objects.count()


def run_import(source: Path) -> dict:
    started = time.perf_counter()
    proc = subprocess.run(
        [str(MINZHENG), "regions", "import", "--source", str(source)], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"regions import failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    reported = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"wall_seconds": round(wall, 2), "command": reported, "regions_after": count()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    call_command("migrate", verbosity=0, interactive=False)
    before = count()
    first = run_import(Path(args.source))
    print(f"[{connection.vendor}] regions first run {first['wall_seconds']}s", file=sys.stderr, flush=True)
    rerun = run_import(Path(args.source))
    print(f"[{connection.vendor}] regions re-run {rerun['wall_seconds']}s", file=sys.stderr, flush=True)
    result = {
        "vendor": connection.vendor,
        "regions_before": before,
        "first": first,
        "rerun": rerun,
        "duplicates": rerun["regions_after"] != first["regions_after"],
    }
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
