import string

from django.core.exceptions import ValidationError


class CharacterClassValidator:
    """At least three of: lower-case, upper-case, digits, symbols (等保 2.0 password complexity)."""

    def validate(self, password, user=None):
        classes = [
            any(c in string.ascii_lowercase for c in password),
            any(c in string.ascii_uppercase for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError("密码须包含小写字母、大写字母、数字、符号中的至少三类。", code="password_classes")

    def get_help_text(self):
        return "密码须至少8位，并包含小写字母、大写字母、数字、符号中的至少三类。"
