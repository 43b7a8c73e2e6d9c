"""The citizen portal under load: 50 concurrent users on the home page (``/portal/``), the progress
lookup (``/portal/lookup/`` GET, and POST with a real case number + the last six characters of its
applicant's ID number), the notice board of a village (``/portal/notices/?region=…``) and the
一键报贫 form (``/portal/report/``), served as production serves them — gunicorn (gthread workers),
``DEBUG=false``, PostgreSQL — beside a baseline measured in the same run on the same database: the
same pages served by Django's ``runserver`` (the embedded default: one process, a thread per
request). Target (issue 6): p95 ≤ 100 ms for the home and progress pages, no errors.

The load is locust (as a library, in a child process of this script, one gevent loop): each user
keeps its own cookies (CSRF token from a GET of the lookup form), waits ``--think`` seconds ± 50 %
between pages as a person on a phone does, and requests the pages in the mix ``MIX``. Every
response is checked (status 200 and a marker of the right page; the lookup POST must show the
case's status), so an error is any other answer. The lookup is throttled per address and per case
number (P2: 20 an hour per address, 10 per number): each POST carries an ``X-Forwarded-For`` of
its own (from 198.18.0.0/15, the benchmarking range — a header, not traffic; the servers run with
``TRUSTED_PROXIES=127.0.0.1`` so that they read it, as behind nginx) and the numbers are taken in
turn from a pool of ``--cases`` open cases, so no answer is a 429.

The data: a database of its own (``minzheng_bench_portal``) with a ``MINZHENG_VAR_DIR`` of its own
(the SM4 keys), loaded once with ``minzheng migrate`` + ``minzheng demo --persons 20000`` and
``--cases`` 低保 applications opened through the case engine for demo households (channel
``portal``); kept between runs, ``--rebuild`` loads it again.

    .venv/bin/python bench/portal_bench.py --write docs/benchmarks.md
    .venv/bin/python bench/portal_bench.py --duration 20 --no-baseline   # quick look, print only

Everything runs on 127.0.0.1 and stops by itself after ``--duration`` seconds per server.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from page import splice_section

ROOT = Path(__file__).resolve().parent.parent
# the checkout's own virtualenv, or the interpreter running this script (a worktree without one)
BIN = ROOT / ".venv" / "bin" if (ROOT / ".venv" / "bin" / "python").exists() else Path(sys.executable).parent
PY = str(BIN / "python")
TITLE = "Citizen portal under 50 concurrent users"
TARGET_MS = 100.0
PG = "postgres://postgres@127.0.0.1:5432"
# MINZHENG_BENCH_DB / MINZHENG_BENCH_VAR_DIR: another database and directory (two checkouts side by side)
DB_NAME = os.environ.get("MINZHENG_BENCH_DB") or "minzheng_bench_portal"
VAR_DIR = Path(os.environ.get("MINZHENG_BENCH_VAR_DIR") or Path(tempfile.gettempdir()) / "minzheng_bench_portal")
PERSONS = 20000
STARTED = time.perf_counter()
# page: (weight, what a correct answer contains)
MIX = {
    "home": (3, "网上办事大厅"),
    "lookup_get": (2, 'name="id6"'),
    "lookup_post": (2, "查询结果"),
    "notices": (2, "公示"),
    "report_form": (1, "一键报贫"),
}
TARGET_PAGES = ("home", "lookup_get", "lookup_post")
LABELS = {
    "home": "`GET /portal/` (home)",
    "lookup_get": "`GET /portal/lookup/` (progress lookup form)",
    "lookup_post": "`POST /portal/lookup/` (number + ID tail → status)",
    "notices": "`GET /portal/notices/?region=…` (village notice board)",
    "report_form": "`GET /portal/report/` (一键报贫 form)",
}


def log(msg: str) -> None:
    print(f"[portal +{time.perf_counter() - STARTED:6.0f}s] {msg}", file=sys.stderr, flush=True)


def pct(xs: list[float], p: int) -> float:
    if len(xs) == 1:
        return xs[0]
    return statistics.quantiles(xs, n=100, method="inclusive")[p - 1]


def summary(xs: list[float]) -> dict:
    if not xs:
        return {"n": 0}
    return {"n": len(xs), "p50": pct(xs, 50), "p95": pct(xs, 95), "p99": pct(xs, 99), "max": max(xs)}


def env(**extra) -> dict:
    e = dict(os.environ)
    e.update({"DATABASE_URL": f"{PG}/{DB_NAME}", "MINZHENG_VAR_DIR": str(VAR_DIR), "DEBUG": "false",
              "DJANGO_SETTINGS_MODULE": "minzheng.settings", "LOG_LEVEL": "ERROR",
              "ALLOWED_HOSTS": "127.0.0.1,localhost", "MINZHENG_JOBS": "thread",
              # locust plays the proxy: its X-Forwarded-For gives each lookup an address of its own
              "TRUSTED_PROXIES": "127.0.0.1",
              # this checkout's `minzheng` ahead of an editable install of another
              "PYTHONPATH": str(ROOT)})  # fmt: skip
    e.update(extra)
    return e


# ---------------------------------------------------------------- the data (not measured)


def database_ready(n_cases: int) -> bool:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            return False
    try:
        with psycopg.connect(f"{PG}/{DB_NAME}") as conn:
            persons, cases = conn.execute(
                "SELECT (SELECT count(*) FROM registry_person),"
                " (SELECT count(*) FROM cases_case WHERE channel = 'portal' AND closed_at IS NULL)"
            ).fetchone()
    except psycopg.Error:
        return False
    return persons >= PERSONS and cases >= n_cases and (VAR_DIR / "keys").exists()


def load(n_cases: int) -> dict:
    import psycopg

    t = time.perf_counter()
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    subprocess.run(["rm", "-rf", str(VAR_DIR)], check=True)
    VAR_DIR.mkdir(parents=True)
    for cmd in (["migrate", "-v0"], ["demo", "--persons", str(PERSONS)]):
        log("minzheng " + " ".join(cmd))
        subprocess.run([str(BIN / "minzheng"), *cmd], env=env(), check=True, cwd=ROOT)
    log(f"opening {n_cases} 低保 applications through the case engine")
    subprocess.run([PY, __file__, "--child", "cases", "--cases", str(n_cases)], env=env(), check=True, cwd=ROOT)
    return {"seconds": round(time.perf_counter() - t, 1)}


def child_cases(n_cases: int) -> None:
    """Open ``n_cases`` applications (channel portal) for demo households without an open case."""
    import django

    django.setup()
    from minzheng.engines.cases.models import Case
    from minzheng.engines.cases.services import case_open
    from minzheng.foundation.registry.models import Household

    busy = set(Case.objects.filter(closed_at__isnull=True).values_list("household_id", flat=True))
    have = Case.objects.filter(channel="portal", closed_at__isnull=True).count()
    qs = Household.objects.filter(head__isnull=False).select_related("head").order_by("pk")
    for h in qs.iterator():
        if have >= n_cases:
            break
        if h.pk in busy:
            continue
        case_open(user=None, case_type="dibao_application", region_code="", household=h, applicant=h.head,
                  channel="portal")  # fmt: skip
        have += 1
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def child_targets() -> None:
    """Print the lookup pairs (number, ID tail) and the villages with notices, as JSON."""
    import django

    django.setup()
    from minzheng.engines.cases.models import Case, PublicNotice

    pairs = [(n, idn[-6:]) for n, idn in
             Case.objects.filter(channel="portal", closed_at__isnull=True).order_by("pk")
             .values_list("number", "applicant__id_number")]  # fmt: skip
    villages = sorted(set(PublicNotice.objects.values_list("region_code", flat=True)))
    print(json.dumps({"pairs": pairs, "villages": villages or ["330381001001"]}))


# ---------------------------------------------------------------- the load (child process)


def child_locust(args) -> None:
    """Run locust against ``args.host``; print raw response times per page and the errors."""
    import gevent
    from locust import HttpUser, between, task
    from locust.env import Environment

    targets = json.loads(Path(args.targets).read_text())
    pairs, villages = targets["pairs"], targets["villages"]
    offset = random.Random().randrange(len(pairs))
    times: dict[str, list[float]] = {k: [] for k in MIX}
    errors: dict[str, list[str]] = {k: [] for k in MIX}
    state = {"post": 0, "recording": False, "t0": 0.0, "t1": 0.0}
    think = args.think

    def check(name: str, r, t0: float) -> None:
        ms = (time.perf_counter() - t0) * 1000
        if not state["recording"]:
            return
        marker = MIX[name][1]
        if r.status_code != 200 or marker not in r.text:
            errors[name].append(f"{r.status_code}")
        times[name].append(ms)

    class Citizen(HttpUser):
        wait_time = between(think * 0.5, think * 1.5) if think else between(0, 0)

        def on_start(self):
            r = self.client.get("/portal/lookup/", name="csrf")
            text = r.text
            i = text.find('name="csrfmiddlewaretoken" value="')
            self.token = text[i + 34 : text.find('"', i + 34)] if i >= 0 else ""

        def _get(self, name, url):
            t0 = time.perf_counter()
            with self.client.get(url, name=name, catch_response=True) as r:
                check(name, r, t0)
                r.success()

        @task(MIX["home"][0])
        def home(self):
            self._get("home", "/portal/")

        @task(MIX["lookup_get"][0])
        def lookup_get(self):
            self._get("lookup_get", "/portal/lookup/")

        @task(MIX["notices"][0])
        def notices(self):
            self._get("notices", f"/portal/notices/?region={random.choice(villages)}")

        @task(MIX["report_form"][0])
        def report_form(self):
            self._get("report_form", "/portal/report/")

        @task(MIX["lookup_post"][0])
        def lookup_post(self):
            k = state["post"]
            state["post"] += 1
            number, id6 = pairs[(offset + k) % len(pairs)]
            ip = f"198.{18 + (k >> 16) % 2}.{(k >> 8) % 256}.{k % 256}"
            t0 = time.perf_counter()
            with self.client.post("/portal/lookup/", name="lookup_post", catch_response=True,
                                  data={"csrfmiddlewaretoken": self.token, "number": number, "id6": id6},
                                  headers={"X-Forwarded-For": ip, "Referer": self.host + "/portal/lookup/"}) as r:  # fmt: skip
                check("lookup_post", r, t0)
                r.success()

    e = Environment(user_classes=[Citizen], host=args.host)
    runner = e.create_local_runner()
    runner.start(args.users, spawn_rate=args.users)
    gevent.sleep(args.warmup)  # every user started, first pages served: not recorded
    state["recording"], state["t0"] = True, time.perf_counter()
    gevent.sleep(args.duration)
    state["recording"], state["t1"] = False, time.perf_counter()
    runner.quit()
    runner.greenlet.join()
    print(json.dumps({"times": times, "errors": errors, "seconds": state["t1"] - state["t0"],
                      "pairs_used": min(state["post"], len(pairs))}))  # fmt: skip


# ---------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(kind: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    if kind == "gunicorn":
        cmd = [str(BIN / "gunicorn"), "minzheng.wsgi:application", "-b", f"127.0.0.1:{port}", "-k", "gthread",
               "-w", str(workers), "--threads", str(threads), "--log-level", "warning"]  # fmt: skip
    else:
        cmd = [str(BIN / "minzheng"), "runserver", f"127.0.0.1:{port}", "--noreload"]
    proc = subprocess.Popen(cmd, env=env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/portal/", timeout=5) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
        if proc.poll() is not None:
            raise SystemExit(f"{kind} stopped: {proc.stderr.read().decode()[-2000:]}")
    stop(proc)
    raise SystemExit(f"{kind} did not answer on port {port} within 60 s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def measure(kind: str, args, targets: Path) -> dict:
    port = free_port()
    log(f"{kind}: starting on 127.0.0.1:{port}")
    proc = start_server(kind, port, args.workers, args.threads)
    try:
        log(f"{kind}: {args.users} users for {args.duration} s (+{args.warmup} s warm-up), think {args.think} s")
        cmd = [PY, __file__, "--child", "locust", "--host", f"http://127.0.0.1:{port}", "--targets", str(targets),
               "--users", str(args.users), "--duration", str(args.duration), "--warmup", str(args.warmup),
               "--think", str(args.think)]  # fmt: skip
        out = subprocess.run(cmd, env=env(), cwd=ROOT, capture_output=True, text=True,
                             timeout=args.duration + args.warmup + 120)  # fmt: skip
        if out.returncode:
            raise SystemExit(f"locust failed: {out.stderr[-3000:]}")
        raw = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        stop(proc)
    pages = {k: summary(v) for k, v in raw["times"].items()}
    n = sum(len(v) for v in raw["times"].values())
    errs = {k: len(v) for k, v in raw["errors"].items()}
    allt = [x for v in raw["times"].values() for x in v]
    result = {"pages": pages, "errors": errs, "error_codes": {k: sorted(set(v)) for k, v in raw["errors"].items() if v},
              "requests": n, "rps": n / raw["seconds"], "all": summary(allt), "seconds": raw["seconds"]}  # fmt: skip
    log(f"{kind}: {n} requests, {result['rps']:.1f}/s, p95 {result['all']['p95']:.1f} ms, errors {sum(errs.values())}")
    return result


# ---------------------------------------------------------------- the page


def machine() -> dict:
    mem_kb = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal"))
    cpu = next((x.split(":", 1)[1].strip() for x in Path("/proc/cpuinfo").read_text().splitlines()
                if x.startswith("model name")), platform.processor())  # fmt: skip
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
    }


def section(res: dict, args) -> callable:
    def row(name: str, r: dict) -> str:
        s = r["pages"][name]
        if not s.get("n"):
            return f"| {LABELS[name]} | 0 | – | – | – | {r['errors'][name]} |"
        return (f"| {LABELS[name]} | {s['n']:,} | {s['p50']:.1f} | {s['p95']:.1f} | {s['p99']:.1f} "
                f"| {r['errors'][name]} |")  # fmt: skip

    def lines_for(number: int) -> list[str]:
        g, m = res["gunicorn"], res["machine"]
        ok = all(g["pages"][p].get("p95", 1e9) <= TARGET_MS for p in TARGET_PAGES) and not sum(g["errors"].values())
        out = ["", f"## {number}. {TITLE}", "",
               f"Measured {res['date']} by `bench/portal_bench.py`"
               + (f" at commit `{res['commit']}`" if res.get("commit") else "")
               + f" on {m['cores']} cores ({m['cpu']}), "
               f"{m['ram_gb']} GB, Python {m['python']}; the load generator, the server and PostgreSQL share the "
               "machine"
               + (f" (load average at the start {res['loadavg_start']}: other work shares these cores)"
                  if res.get("loadavg_start") else "")
               + ". Data: the demo city (`minzheng demo --persons 20000`) in a PostgreSQL database of its own, "
               f"with {res['cases']:,} open 低保 applications opened through the case engine for the lookup.", "",
               f"**Load**: {args.users} concurrent users (locust, one gevent loop), each waiting {args.think} s ± 50 % "
               "between pages as a person on a phone does, for "
               f"{args.duration} s after a {args.warmup} s warm-up; pages in the mix "
               + ", ".join(f"{k} {w}" for k, (w, _) in MIX.items())
               + ". Each lookup POST sends a real case number and the last six characters of its applicant's ID "
               "number with the CSRF token of the user's session (an `X-Forwarded-For` of its own, read since the "
               "servers run with `TRUSTED_PROXIES=127.0.0.1`, so the per-address "
               "throttle is not what is measured). A response is an error unless it is 200 and shows the right page "
               "(the POST: the case's status).", "",
               f"**Target** (issue 6): home and progress pages p95 ≤ {TARGET_MS:.0f} ms, no errors — "
               + ("**met**." if ok else "**not met**."), "",
               f"### Production: gunicorn ({args.workers} gthread workers × {args.threads} threads), DEBUG off", "",
               "| page | requests | p50 ms | p95 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
        out += [row(name, g) for name in MIX]
        out += ["", f"All pages: {g['requests']:,} requests, **{g['rps']:.1f} requests/s**, p50 {g['all']['p50']:.1f} ms, "
                f"p95 {g['all']['p95']:.1f} ms, p99 {g['all']['p99']:.1f} ms, errors {sum(g['errors'].values())}."]  # fmt: skip
        if "runserver" in res:
            b = res["runserver"]
            out += ["", "### Baseline: the same pages from Django's `runserver` (the embedded default: one process, a "
                    "thread per request), same database, same run", "",
                    "| page | requests | p50 ms | p95 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
            out += [row(name, b) for name in MIX]
            out += ["", f"All pages: {b['requests']:,} requests, {b['rps']:.1f} requests/s, p50 {b['all']['p50']:.1f} ms, "
                    f"p95 {b['all']['p95']:.1f} ms, p99 {b['all']['p99']:.1f} ms, errors {sum(b['errors'].values())}."]  # fmt: skip
        if "saturated" in res:
            s = res["saturated"]
            out += ["", f"### Capacity: gunicorn, {args.users} users without think time", "",
                    f"{s['requests']:,} requests in {s['seconds']:.0f} s, **{s['rps']:.1f} requests/s**; p50 "
                    f"{s['all']['p50']:.1f} ms, p95 {s['all']['p95']:.1f} ms, p99 {s['all']['p99']:.1f} ms, errors "
                    f"{sum(s['errors'].values())}. With every user asking again the moment an answer comes, the "
                    "latency is the queue (users ÷ throughput): what the machine can serve, not what a citizen waits."]  # fmt: skip
        out += ["", "Run: `.venv/bin/python bench/portal_bench.py --write docs/benchmarks.md`."]
        return out

    return lines_for


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", metavar="PATH", help="write the section into this Markdown page")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--duration", type=int, default=60, help="measured seconds per server")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--think", type=float, default=1.0, help="seconds between a user's pages (± 50 %%)")
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--cases", type=int, default=1500, help="open applications for the lookup")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--saturate", action="store_true", help="also 50 users without think time (capacity)")
    ap.add_argument("--child", choices=["cases", "targets", "locust"], help=argparse.SUPPRESS)
    ap.add_argument("--host", help=argparse.SUPPRESS)
    ap.add_argument("--targets", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "cases":
        return child_cases(args.cases)
    if args.child == "targets":
        return child_targets()
    if args.child == "locust":
        return child_locust(args)

    res: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d"),
                 "loadavg_start": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
                 "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                          text=True).stdout.strip()}  # fmt: skip
    if args.rebuild or not database_ready(args.cases):
        res["load"] = load(args.cases)
    else:
        log("reusing the loaded database")
    out = subprocess.run([PY, __file__, "--child", "targets"], env=env(), cwd=ROOT, capture_output=True, text=True,
                         check=True)  # fmt: skip
    data = json.loads(out.stdout.strip().splitlines()[-1])
    res["cases"] = len(data["pairs"])
    targets = VAR_DIR / "targets.json"
    targets.write_text(json.dumps(data))
    res["gunicorn"] = measure("gunicorn", args, targets)
    if not args.no_baseline:
        res["runserver"] = measure("runserver", args, targets)
    if args.saturate:
        sat = argparse.Namespace(**{**vars(args), "think": 0.0, "duration": min(args.duration, 30)})
        res["saturated"] = measure("gunicorn", sat, targets)
    (VAR_DIR / "result.json").write_text(json.dumps(res, ensure_ascii=False, indent=1))
    lines = section(res, args)(0)
    print("\n".join(lines[3:]))
    if args.write:
        path = Path(args.write)
        path.write_text(splice_section(path.read_text(), TITLE, section(res, args)))
        log(f"wrote the section into {path}")


if __name__ == "__main__":
    main()
