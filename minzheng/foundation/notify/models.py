"""Messages to staff and citizens: in-app (站内信), SMS (短信) and email (邮件).

One row per message and recipient, kept after delivery: the row is the in-app inbox, the outbox an
administrator reads to see what failed, and the record of what was sent to whom. A citizen's phone
is stored SM4-encrypted with a masked copy for lists, as in the registry.
"""

from django.conf import settings
from django.db import models

from minzheng.foundation.accounts.scoping import ScopedQuerySet
from minzheng.foundation.crypto.fields import EncryptedTextField


class Channel(models.TextChoices):
    IN_APP = "in_app", "站内信"
    SMS = "sms", "短信"
    EMAIL = "email", "邮件"


class Status(models.TextChoices):
    QUEUED = "queued", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


class Message(models.Model):
    channel = models.CharField("渠道", max_length=8, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,  # the record of what was sent outlives the account
        null=True,
        blank=True,
        related_name="notify_messages",
        verbose_name="接收人",
    )  # empty for an SMS to a citizen's phone
    phone = EncryptedTextField("手机号", blank=True, default="")
    phone_masked = models.CharField("手机号（脱敏）", max_length=20, blank=True, default="", editable=False)
    # blind index of the normalised phone (``phone_index_of``): a citizen's inbox on the portal finds
    # the messages sent to their phone with one index range, without decrypting any phone
    phone_index = models.CharField("手机号盲索引", max_length=64, blank=True, default="", editable=False)
    email = models.EmailField("电子邮箱", blank=True, default="")
    subject = models.CharField("标题", max_length=200, blank=True, default="")
    body = models.TextField("内容")
    related_type = models.CharField("关联对象类型", max_length=60, blank=True, default="")  # e.g. "cases.case"
    related_id = models.CharField("关联对象编号", max_length=64, blank=True, default="")
    region_code = models.CharField("区划代码", max_length=12, blank=True, default="")
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.QUEUED)
    backend = models.CharField("发送方式", max_length=30, blank=True, default="")
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    error = models.TextField("错误", blank=True, default="")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    attempted_at = models.DateTimeField("最近尝试时间", null=True, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "消息"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "channel", "created_at"], name="message_inbox"),
            models.Index(fields=["status", "id"], name="message_status"),
            models.Index(fields=["region_code", "created_at"], name="message_region_created"),
            models.Index(
                fields=["phone_index", "created_at"], name="message_phone", condition=~models.Q(phone_index="")
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()}：{self.subject or self.body[:20]}"

    @property
    def recipient_display(self) -> str:
        """Who it went to, for lists: the user, else the masked phone, else the email."""
        if self.recipient_id:
            return str(self.recipient)
        return self.phone_masked or self.email
