"""Re-encrypt every encrypted column under the current key (``minzheng keys rotate``)."""

from __future__ import annotations

from django.apps import apps
from django.db import connection, transaction

from . import sm
from .fields import EncryptedTextField
from .keys import keyring


def encrypted_columns():
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, EncryptedTextField):
                yield model, f


def keys_rotate(*, batch: int = 2000, progress=None) -> dict:
    """Rows whose token carries an older key id are decrypted and encrypted again; returns counts."""
    current = keyring().current[0]
    counts = {}
    qn = connection.ops.quote_name
    for model, f in encrypted_columns():
        table, pk, col = qn(model._meta.db_table), qn(model._meta.pk.column), qn(f.column)
        done, last = 0, None
        while True:
            with connection.cursor() as cur:
                where = f"{col} <> '' AND {col} NOT LIKE %s" + (f" AND {pk} > %s" if last is not None else "")
                params = [f"{sm.PREFIX}:{current}:%"] + ([last] if last is not None else [])
                cur.execute(f"SELECT {pk}, {col} FROM {table} WHERE {where} ORDER BY {pk} LIMIT {int(batch)}", params)
                rows = cur.fetchall()
            if not rows:
                break
            with transaction.atomic(), connection.cursor() as cur:
                cur.executemany(
                    f"UPDATE {table} SET {col} = %s WHERE {pk} = %s",
                    [(sm.encrypt(sm.decrypt(token)), key) for key, token in rows],
                )
            done += len(rows)
            last = rows[-1][0]
            if progress:
                progress(f"{model._meta.label}.{f.name}", done)
        counts[f"{model._meta.label}.{f.name}"] = done
    return {"current_key": current, "reencrypted": counts}
