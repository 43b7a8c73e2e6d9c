"""Forms of the system pages: the member of staff's own password."""

from django import forms
from django.contrib.auth import forms as auth_forms


class StaffPasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's password change (the old password, then the new one twice, checked against
    AUTH_PASSWORD_VALIDATORS), worded as the workbench speaks, and refusing the same password."""

    error_messages = {
        **auth_forms.PasswordChangeForm.error_messages,
        "password_incorrect": "原密码不正确，请重新输入。",
        "password_mismatch": "两次输入的新密码不一致。",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "原密码"
        self.fields["new_password1"].label = "新密码"
        self.fields["new_password2"].label = "再次输入新密码"
        self.fields[
            "new_password1"
        ].help_text = "至少8位，并包含小写字母、大写字母、数字、符号中的至少三类；不能是常见密码。"

    def clean_new_password1(self):
        new = self.cleaned_data.get("new_password1")
        if new and self.user.check_password(new):
            raise forms.ValidationError("新密码不能与原密码相同。")
        return new

    def save(self, commit=True):
        raise NotImplementedError("use accounts.services.password_change")
