"""One-off payments (一次性发放): money a case decided to pay once, outside the monthly payroll —
to a payee, by bank transfer to an account or in cash against a receipt — with its own payment
record and its entries in the funds ledger. The engine knows no business line by name: the case
that decided the payment is named by its number, the program by its code.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from minzheng.foundation.accounts.scoping import ScopedQuerySet
from minzheng.foundation.crypto.fields import EncryptedTextField
from minzheng.foundation.registry.models import Household, HukouType, Person


class PayMethod(models.TextChoices):
    BANK = "bank", "银行转账"
    CASH = "cash", "现金（凭领款收据）"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "待到账"
    PAID = "paid", "已发放"
    FAILED = "failed", "发放失败"
    REISSUED = "reissued", "发放失败，已重新发放"  # superseded by its reissue: never payable again


class Recovery(models.TextChoices):
    """What happens to money paid ahead of a decision the case later refused (paid first,
    confirmed afterwards): nothing, to be recovered, recovered, or nothing reached the payee."""

    NONE = "", "—"
    DUE = "due", "待追回"
    DONE = "done", "已追回"
    VOID = "void", "决定未予确认，未发放"


class OneOffPayment(models.Model):
    """One payment decided by a case (a one-off grant), with the payee and
    account as they were at the decision (ciphertext only), and the event and its date the money
    answers (limits per event and per period are summed over these rows). A failed transfer paid
    again is a new row naming the failed one (``reissue_of``); money the case's later decision
    refused carries its recovery (待追回 → 已追回) with the reason and the decision."""

    number = models.CharField("发放编号", max_length=30)
    program = models.ForeignKey("benefits.Program", on_delete=models.PROTECT, related_name="+", verbose_name="保障项目")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+", verbose_name="家庭")
    payee = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("所在区划代码", max_length=12)
    hukou_type = models.CharField("户籍类型", max_length=5, choices=HukouType.choices)
    kind = models.CharField("类别", max_length=20, blank=True, default="")  # the business line's sub-kind
    amount = models.DecimalField("金额", max_digits=12, decimal_places=2)
    decided_on = models.DateField("决定日期")
    month = models.DateField("台账月份")  # first day of the month of the decision
    decided_level = models.CharField("决定层级", max_length=10, blank=True, default="")
    source_case = models.CharField("来源办件", max_length=40)
    event = models.CharField("事由", max_length=200, blank=True, default="")
    event_date = models.DateField("事发日期", null=True, blank=True)
    method = models.CharField("发放方式", max_length=5, choices=PayMethod.choices)
    payee_name = models.CharField("收款人", max_length=50)
    payee_id_number = EncryptedTextField("收款人身份证号", blank=True, default="")
    payee_id_number_masked = models.CharField(max_length=18, blank=True, default="")
    bank_name = models.CharField("开户银行", max_length=60, blank=True, default="")
    bank_account = EncryptedTextField("银行账号", blank=True, default="")
    bank_account_masked = models.CharField("银行账号（脱敏）", max_length=40, blank=True, default="")
    receipt_no = models.CharField("领款收据号", max_length=40, blank=True, default="")
    status = models.CharField("发放结果", max_length=8, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    paid_on = models.DateField("到账日期", null=True, blank=True)
    failure_reason = models.CharField("失败原因", max_length=200, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("记录时间", auto_now_add=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # a reissue after 发放失败: the new attempt names the failed one (one reissue per failed attempt)
    reissue_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reissued_as", verbose_name="重新发放自"
    )
    reissue_reason = models.CharField("重新发放原因", max_length=200, blank=True, default="")
    # recovery (追回) when the case's later decision refused what was paid
    recovery = models.CharField("追回", max_length=4, choices=Recovery.choices, blank=True, default="")
    recovery_reason = models.CharField("追回原因", max_length=300, blank=True, default="")
    recovery_decision = models.CharField("追回依据（办件决定）", max_length=300, blank=True, default="")
    recovery_marked_on = models.DateField("决定追回日期", null=True, blank=True)
    recovered_on = models.DateField("追回日期", null=True, blank=True)
    recovery_receipt = models.CharField("缴回凭证号", max_length=40, blank=True, default="")
    recovered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "一次性发放"
        constraints = [models.UniqueConstraint(fields=["number"], name="oneoffpayment_number_unique")]
        indexes = [
            models.Index(fields=["household", "program", "decided_on"], name="oneoffpayment_household"),
            models.Index(fields=["program", "month", "region_code"], name="oneoffpayment_month"),
        ]

    def __str__(self):
        return self.number
