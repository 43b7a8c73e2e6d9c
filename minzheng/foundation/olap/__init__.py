"""Moving platform tables into DuckDB for set-based work (simulation, batch verification,
monitoring), and small helpers around a DuckDB connection.

DuckDB extensions are downloaded at run time and so are unavailable on an intranet: rows travel
as Arrow (``adbc-driver-postgresql``: binary ``COPY`` in C) or, failing that, as CSV — never through
the ``postgres`` extension (see docs/architecture.md, "Running it").

A query is ``(sql, columns)`` where ``columns`` maps each selected column, in order, to its DuckDB
type; the pseudo-type ``CENTS`` is money leaving the database as integer fen (``cents_sql``) and
arriving as ``DECIMAL(16,2)`` (exact for two decimals; a NUMERIC would travel as text).
"""

from __future__ import annotations

import csv
import os
import threading
from pathlib import Path
from urllib.parse import quote

from django.db import connection

from minzheng.foundation.regions.prefixes import prefix_sql


def duck_connect(workdir: Path | None = None):
    """A DuckDB connection using every core, spilling to ``workdir/spill`` when given."""
    import duckdb

    config = {"threads": max(1, os.cpu_count() or 1)}
    if workdir is not None:
        config["temp_directory"] = str(Path(workdir) / "spill")
    return duckdb.connect(config=config)


def insert_rows(con, table: str, rows: list, batch: int = 500) -> None:
    """Small inserts into DuckDB as multi-row VALUES (``executemany`` costs ~2 ms a row there)."""
    for i in range(0, len(rows), batch):
        part = rows[i : i + batch]
        marks = "(" + ", ".join(["?"] * len(part[0])) + ")"
        con.execute(f"INSERT INTO {table} VALUES " + ", ".join([marks] * len(part)), [v for r in part for v in r])


def cents_sql(column: str, alias: str) -> str:
    """A money column selected as integer fen (pair with the ``CENTS`` column type)."""
    return f"CAST(ROUND({column} * 100) AS BIGINT) AS {alias}"


def range_sql(column: str, prefix: str) -> str:
    """`` AND column under prefix`` as a half-open range (digits only, so inlined as literals)."""
    if not prefix:
        return ""
    return " AND " + prefix_sql(column, [prefix], literal=True)[0]


def _pg_copy(conn, sql: str, path: Path) -> None:
    with conn.cursor() as cur:
        with open(path, "wb") as fh, cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            for chunk in copy:
                fh.write(chunk)


def _sqlite_dump(sql: str, path: Path) -> None:
    with connection.cursor() as cur, open(path, "w", newline="", encoding="utf-8") as fh:
        cur.execute(sql)
        writer = csv.writer(fh)
        while rows := cur.fetchmany(20000):
            writer.writerows(rows)


def typed_sql(source: str, columns: dict) -> str:
    casts = ", ".join(
        f"CAST(CAST({c} AS DECIMAL(18,0)) * 0.01 AS DECIMAL(16,2)) AS {c}"
        if t == "CENTS"
        else f"CAST({c} AS {t}) AS {c}"
        for c, t in columns.items()
    )
    return f"SELECT {casts} FROM {source}"


def _csv(path: Path, columns: dict) -> str:
    spec = "{" + ", ".join(f"'{c}': '{'BIGINT' if t == 'CENTS' else t}'" for c, t in columns.items()) + "}"
    return f"read_csv('{path}', header = false, columns = {spec}, quote = '\"', escape = '\"', auto_detect = false)"


def _adbc_uri() -> str:
    p = connection.get_connection_params()
    user, password = quote(str(p.get("user") or ""), safe=""), quote(str(p.get("password") or ""), safe="")
    auth = f"{user}{':' + password if password else ''}@" if user else ""
    host, port, name = str(p.get("host") or ""), p.get("port") or 5432, quote(str(p["dbname"]), safe="")
    if not host or host.startswith("/"):  # a Unix socket
        return f"postgresql://{auth}/{name}" + (f"?host={quote(host, safe='')}&port={port}" if host else "")
    return f"postgresql://{auth}{host}:{port}/{name}"


def _adbc() -> bool:
    try:
        import adbc_driver_postgresql.dbapi  # noqa: F401
    except ImportError:  # pragma: no cover — a dependency; the CSV path still works
        return False
    return True


def tables_into(con, queries: dict[str, tuple[str, dict]], workdir: Path, *, table_prefix: str = "") -> None:
    """Run each query against the platform database and store its rows as the DuckDB table
    ``<table_prefix><name>`` with the declared column types.

    PostgreSQL, outside a transaction: rows stream as Arrow over ADBC straight into DuckDB, two
    connections at once, nothing written to disk. Otherwise (SQLite; PostgreSQL inside a
    transaction, whose rows another connection would not see): CSV files in ``workdir`` through this
    connection (``COPY … TO STDOUT`` on PostgreSQL)."""
    pg = connection.vendor == "postgresql"
    workdir = Path(workdir)
    if pg and not connection.in_atomic_block and _adbc():
        import adbc_driver_postgresql.dbapi as adbc

        uri, pending, lock, errors = _adbc_uri(), list(queries), threading.Lock(), []

        def work():
            try:
                with adbc.connect(uri) as pg_conn, pg_conn.cursor() as cur:
                    cur.execute("SET work_mem = '256MB'")  # a region's joins run in memory
                    duck = con.cursor()
                    while True:
                        with lock:
                            if not pending or errors:
                                return
                            name = pending.pop(0)
                        sql, columns = queries[name]
                        cur.execute(sql)
                        duck.register("src", cur.fetch_arrow())
                        duck.execute(f"CREATE OR REPLACE TABLE {table_prefix}{name} AS {typed_sql('src', columns)}")
                        duck.unregister("src")
            except Exception as exc:  # re-raised in the caller's thread
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(min(2, len(queries)))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return
    workdir.mkdir(parents=True, exist_ok=True)
    for name, (sql, columns) in queries.items():
        path = workdir / f"{name}.csv"
        if pg:
            connection.ensure_connection()
            _pg_copy(connection.connection, sql, path)
        else:
            _sqlite_dump(sql, path)
        con.execute(f"CREATE OR REPLACE TABLE {table_prefix}{name} AS {typed_sql(_csv(path, columns), columns)}")
        path.unlink()
