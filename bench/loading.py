"""Loading helpers shared by the benchmarks that build large PostgreSQL fixtures (not measured):
SM4 encryption of many values in worker processes, and COPY of rows into a model's table."""

from __future__ import annotations

import json
import multiprocessing
import os


def _encrypt(values: list[str]) -> list[str]:
    from minzheng.foundation.crypto import sm

    return [sm.encrypt(v) if v else "" for v in values]


def encrypt_all(values: list[str], *, chunk: int = 20_000) -> list[str]:
    """Encrypt ``values`` (empty stays empty) with the current key, in one process per core."""
    from minzheng.foundation.crypto import sm

    sm.encrypt("warm-up")  # the key ring is made and loaded before forking
    chunks = [values[i : i + chunk] for i in range(0, len(values), chunk)]
    out: list[str] = []
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool:
        for part in pool.imap(_encrypt, chunks):
            out.extend(part)
    return out


def copy(model, columns: list[str], rows) -> int:
    """COPY ``rows`` (tuples in ``columns`` order) into ``model``'s table; every other concrete
    column gets the field's default (JSON defaults as JSON text)."""
    from django.db import connection
    from django.db.models import JSONField

    fields = {f.column: f for f in model._meta.concrete_fields}
    rest = [c for c in fields if c not in columns]

    def default(f):
        value = f.get_default()
        if isinstance(f, JSONField):
            return json.dumps(value)
        return f.get_db_prep_save(value, connection)

    defaults = tuple(default(fields[c]) for c in rest)
    n = 0
    with connection.cursor() as cur:
        sql = f"COPY {model._meta.db_table} ({', '.join(columns + rest)}) FROM STDIN"
        with cur.cursor.copy(sql) as cp:
            for row in rows:
                cp.write_row(row + defaults)
                n += 1
    return n
