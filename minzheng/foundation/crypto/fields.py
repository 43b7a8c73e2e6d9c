"""Model fields whose value is stored SM4-encrypted; the Python value is plain text."""

from __future__ import annotations

from django.db import models

from . import sm


class EncryptedTextField(models.TextField):
    """Stores ``sm4g:<kid>:<base64>``; reads decrypt. Empty string stays empty (nothing to hide)."""

    description = "SM4-GCM encrypted text"

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return sm.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        if sm.key_id(value):  # already a token (bulk paths encrypt before handing rows over)
            return value
        return sm.encrypt(value)
