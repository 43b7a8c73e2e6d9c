"""Model fields of the registry."""

from django.db import models


class BytewiseCharField(models.CharField):
    """A code compared byte by byte: ``COLLATE "C"`` on PostgreSQL (SQLite compares bytes already).

    For columns that are only ever compared with codes and hashes, never shown in a sorted list
    (blind indexes, pinyin initials, name grams, region codes of an index table): the order is
    the same as the database's locale gives digits, Latin letters and single characters, while
    an index on it is built and searched with ``memcmp`` and abbreviated keys instead of a
    ``strcoll()`` per comparison (a million-person load builds these indexes in about half the
    time)."""

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
