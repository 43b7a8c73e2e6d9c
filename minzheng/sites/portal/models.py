"""Citizen accounts of the portal (网上办事大厅), kept apart from staff users: a citizen signs in
with a phone number and a one-time code, binds their real name (name + resident ID number, checked
by GB 11643 and, when the person exists, against the registry), keeps drafts of applications, and
submits cases — for themselves, a family member, or as a village assistant (代办).

Phones and ID numbers are SM4-encrypted with a blind index for lookup, as in the registry.
"""

from __future__ import annotations

from django.db import models

from minzheng.foundation.crypto.fields import EncryptedTextField
from minzheng.foundation.registry.models import Person


class Citizen(models.Model):
    phone = EncryptedTextField("手机号")
    phone_index = models.CharField("手机号盲索引", max_length=64, editable=False)
    phone_masked = models.CharField("手机号（脱敏）", max_length=20, editable=False)
    name = models.CharField("姓名", max_length=50, blank=True, default="")
    id_number = EncryptedTextField("身份证号", blank=True, default="")
    id_number_index = models.CharField("身份证号盲索引", max_length=64, blank=True, default="", editable=False)
    id_number_masked = models.CharField("身份证号（脱敏）", max_length=18, blank=True, default="", editable=False)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="对应人员"
    )
    verified_at = models.DateTimeField("实名认证时间", null=True, blank=True)
    # a village assistant (村协理员) registered by the township may submit for others in that region
    assistant_region_code = models.CharField("协理员所在区划", max_length=12, blank=True, default="")
    large_text = models.BooleanField("大字模式", default=False)
    created_at = models.DateTimeField("注册时间", auto_now_add=True)
    last_login_at = models.DateTimeField("最近登录", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "群众用户"
        constraints = [models.UniqueConstraint(fields=["phone_index"], name="citizen_phone_unique")]
        indexes = [models.Index(fields=["id_number_index"], name="citizen_id_index")]

    def __str__(self):
        return f"{self.name or '未实名'}（{self.phone_masked}）"


class LoginCode(models.Model):
    """A one-time code sent by SMS: only its hash is kept; limited attempts and lifetime. ``purpose``
    ``login`` signs in; ``sign`` is a household member's confirmation of their 授权书 (``ref`` names
    the draft and member), never a way in. The sending limits count every purpose of a phone."""

    phone_index = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    purpose = models.CharField("用途", max_length=10, default="login")
    ref = models.CharField("对象", max_length=80, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "登录验证码"
        indexes = [
            models.Index(fields=["phone_index", "created_at"], name="logincode_phone"),
            models.Index(fields=["ip", "created_at"], name="logincode_ip"),
        ]

    def __str__(self):
        return f"验证码 {self.created_at:%Y-%m-%d %H:%M}"


class Draft(models.Model):
    """An application in progress: what the citizen has entered so far (encrypted: it holds ID
    numbers and incomes), kept on the server so it survives closing the browser."""

    citizen = models.ForeignKey(Citizen, on_delete=models.CASCADE, related_name="drafts")
    case_type = models.CharField("事项", max_length=40)
    data = EncryptedTextField("填写内容（JSON）", default="{}")
    step = models.CharField("当前步骤", max_length=20, blank=True, default="")
    files = models.JSONField("已上传材料", default=list, blank=True)  # [{"code", "file_id", "name"}]
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "申请草稿"
        indexes = [models.Index(fields=["citizen", "updated_at"], name="draft_citizen")]

    def __str__(self):
        return f"{self.case_type} 草稿"


class ActingAs(models.TextChoices):
    SELF = "self", "本人申请"
    FAMILY = "family", "为家庭成员代办"
    ASSISTANT = "assistant", "村（社区）协理员代办"


class Submission(models.Model):
    """Who submitted a case online, and in what capacity (recorded on the case: 代办)."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="portal_submission")
    citizen = models.ForeignKey(Citizen, on_delete=models.PROTECT, related_name="submissions")
    acting_as = models.CharField("申请方式", max_length=10, choices=ActingAs.choices, default=ActingAs.SELF)
    agent_name = models.CharField("代办人", max_length=50, blank=True, default="")
    submitted_at = models.DateTimeField("提交时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "网上申请"

    def __str__(self):
        return f"{self.case_id} {self.get_acting_as_display()}"


class SignRequest(models.Model):
    """A request that a household member confirm their 授权书 in their own portal account (the other
    way than an SMS code): found by the blind index of the signer's ID number, answered by the citizen
    bound to that number; ``ref`` ties it to the draft's member as it was when asked."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="sign_requests")
    index = models.PositiveSmallIntegerField("成员序号")
    ref = models.CharField("对象", max_length=80)
    signer_index = models.CharField("签署人身份证号盲索引", max_length=64)
    created_at = models.DateTimeField("请求时间", auto_now_add=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    agreed = models.BooleanField("同意授权", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "授权确认请求"
        indexes = [models.Index(fields=["signer_index", "answered_at"], name="signrequest_signer")]

    def __str__(self):
        return f"{self.draft_id}:{self.index}"
