"""One-off payments after the decision: a 先行救助 refused afterwards is recorded as 待追回 with the
reason and the case's decision, finance records the return (追回) in the funds ledger, and the
statistics stop counting it; a bank transfer that failed (发放失败) is reissued to the household's
corrected account, linked to the failed attempt, never paid twice (issue 13, items 19 and 21
follow-ups)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from minzheng.engines.benefits.models import LedgerEntry, LedgerKind, OneOffPayment
from minzheng.engines.benefits.payments import (
    payment_recovered,
    payment_reissue,
    payment_settle,
    payments_of_household,
)
from minzheng.engines.benefits.selectors import funds_ledger, payroll_statistics
from minzheng.engines.cases.services import case_act
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.registry.services import household_update
from minzheng.foundation.validation import Refused
from tests.business.assistance import test_temp_assistance as temp
from tests.business.assistance.test_temp_assistance import _emergency, _fire, _first_aid
from tests.conftest import TANGXIA

staff = temp.staff  # the fixture of the 临时救助 tests

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _today():
    return timezone.localdate()


def _month():
    return _today().replace(day=1)


def _stats():
    return [(r["times"], r["amount_due"], r["amount_paid"])
            for r in payroll_statistics(user=None, month=_month()) if r["program"] == "temp_assistance"]  # fmt: skip


def _refused_by_county(staff, household_in, amount="2000"):
    case = _first_aid(staff, household_in, amount=amount)
    case = case_act(user=staff["reviewer"], case=case, action="first_aid_report", opinion="报县级审批")
    return case_act(user=staff["approver"], case=case, action="first_aid_refuse",
                    opinion="经核实家庭存款超过限额，不符合临时救助条件")  # fmt: skip


# ---------------------------------------------------------------- 先行救助 refused: 待追回, 追回


def test_refused_first_aid_is_marked_to_recover_and_recovered_by_finance(staff, household_in,
                                                                         assistance_standards, client):  # fmt: skip
    case = _emergency(staff, household_in)
    case_act(user=staff["acceptor"], case=case, action="assist_first", opinion="火灾", data=_fire(amount="2000"))
    p = OneOffPayment.objects.get(source_case=case.number)
    payment_settle(user=staff["finance"], payment=p, paid=True, on=_today())
    assert _stats() == [(1, Decimal("2000.00"), Decimal("2000.00"))]
    from tests.engines.cases.test_cases import _materials

    _materials(staff, case, codes=["application", "authorisation"])
    case = case_act(user=staff["acceptor"], case=case, action="file_completed")
    case = case_act(user=staff["reviewer"], case=case, action="first_aid_report", opinion="报县级审批")
    case = case_act(user=staff["approver"], case=case, action="first_aid_refuse", opinion="家庭存款超过限额")
    p.refresh_from_db()
    assert case.outcome == "refused" and p.recovery == "due" and p.recovery_reason == "家庭存款超过限额"
    assert case.number in p.recovery_decision and "不予确认" in p.recovery_decision
    assert case.data["recovery"]["payment_number"] == p.number
    assert any("2,000.00 元记为待追回" in m for m in case.messages)
    assert AuditEvent.objects.filter(object_id=p.number, action="recovery").exists()
    # the household is told in writing that the money is to be returned
    from minzheng.foundation.documents.text import pdf_text
    from minzheng.foundation.files.services import file_open

    notice = pdf_text(file_open(case.documents.get(kind="first_aid_refusal").file), compact=True)
    assert "先行救助不予确认通知书" in notice and "2,000.00元应予退回" in notice and "家庭存款超过限额" in notice

    # the payments page lists it among the payments to be recovered
    client.force_login(staff["finance"])
    page = client.get("/benefits/payments/").content.decode()
    assert "待追回（1 笔）" in page and p.number in page and "家庭存款超过限额" in page
    assert p.number in client.get("/benefits/payments/?recovery=due").content.decode()
    assert p.number not in client.get("/benefits/payments/?recovery=done").content.decode().split('id="payments"')[1]

    # finance confirms the return: receipt required, not in the future, only with the permission
    with pytest.raises(ValidationError, match="缴回凭证号"):
        payment_recovered(user=staff["finance"], payment=p, on=_today(), receipt_no=" ")
    with pytest.raises(ValidationError, match="晚于今天"):
        payment_recovered(user=staff["finance"], payment=p, on=_today() + dt.timedelta(days=1), receipt_no="JK-1")
    with pytest.raises(PermissionDenied):
        payment_recovered(user=staff["reviewer"], payment=p, on=_today(), receipt_no="JK-1")
    assert not LedgerEntry.objects.filter(kind=LedgerKind.RECOVERY).exists()
    response = client.post(f"/benefits/payments/{p.number}/recovered/",
                           {"on": _today().isoformat(), "receipt_no": "JK-0001", "note": "本人退回"})  # fmt: skip
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.recovery == "done" and p.recovered_on == _today() and p.recovery_receipt == "JK-0001"
    assert p.recovered_by == staff["finance"]
    entry = LedgerEntry.objects.get(kind=LedgerKind.RECOVERY)
    assert entry.amount == Decimal("2000.00") and entry.month == p.month and p.number in entry.note
    assert funds_ledger(user=None, program="temp_assistance", month=_month())["total"]["recovered"] == Decimal(
        "2000.00"
    )
    assert AuditEvent.objects.filter(object_id=p.number, action="recovered").exists()
    # a recovered payment is not counted as paid (nor as 人次), nor summed against the limits
    assert _stats() in ([], [(0, Decimal("0.00"), Decimal("0.00"))])
    assert not payments_of_household(household=p.household, program="temp_assistance").exists()
    with pytest.raises(Refused, match="不是待追回"):
        payment_recovered(user=staff["finance"], payment=p, on=_today(), receipt_no="JK-0002")
    assert LedgerEntry.objects.filter(kind=LedgerKind.RECOVERY).count() == 1


def test_a_transfer_still_at_the_bank_is_recovered_only_once_paid(staff, household_in, assistance_standards):
    case = _refused_by_county(staff, household_in)
    p = OneOffPayment.objects.get(source_case=case.number)
    assert p.status == "pending" and p.recovery == "due"
    with pytest.raises(Refused, match="尚未登记到账结果"):
        payment_recovered(user=staff["finance"], payment=p, on=_today(), receipt_no="JK-1")
    # the bank then reports the transfer failed: nothing reached the payee, nothing to recover
    payment_settle(user=staff["finance"], payment=p, paid=False, on=_today(), reason="账户已销户")
    p.refresh_from_db()
    assert p.recovery == "void"
    with pytest.raises(Refused, match="不能重新发放"):
        payment_reissue(user=staff["finance"], payment=p, reason="已更正账号", on=_today())
    assert _stats() in ([], [(0, Decimal("0.00"), Decimal("0.00"))])


# ---------------------------------------------------------------- 发放失败: reissue to the corrected account


def test_a_failed_transfer_is_reissued_once_to_the_corrected_account(staff, household_in, assistance_standards,
                                                                    client, make_user):  # fmt: skip
    household, head, _ = household_in
    case = _emergency(staff, household_in)
    case_act(user=staff["acceptor"], case=case, action="assist_first", opinion="火灾", data=_fire(amount="1500"))
    p = OneOffPayment.objects.get(source_case=case.number)
    with pytest.raises(Refused, match="只有发放失败的才能重新发放"):
        payment_reissue(user=staff["finance"], payment=p, reason="已更正账号", on=_today())
    payment_settle(user=staff["finance"], payment=p, paid=False, on=_today(), reason="账户已销户")
    p.refresh_from_db()
    with pytest.raises(ValidationError, match="重新发放的原因"):
        payment_reissue(user=staff["finance"], payment=p, reason="", on=_today())
    with pytest.raises(Refused, match="仍是发放失败的账号"):
        payment_reissue(user=staff["finance"], payment=p, reason="已更正账号", on=_today())
    with pytest.raises(PermissionDenied):
        payment_reissue(user=staff["reviewer"], payment=p, reason="已更正账号", on=_today())
    household_update(user=staff["acceptor"], household=household,
                     data={"bank_name": "农业银行", "bank_account": "6228480099998887776"})  # fmt: skip

    # another township's finance officer does not see it, and cannot reissue it
    client.force_login(make_user("tx_finance", ("finance", TANGXIA)))
    assert client.post(f"/benefits/payments/{p.number}/reissue/", {"reason": "已更正"}).status_code == 404
    assert not OneOffPayment.objects.filter(reissue_of=p).exists()
    client.force_login(staff["finance"])
    response = client.post(f"/benefits/payments/{p.number}/reissue/", {"reason": "原账户已销户，已更正为新账号"})
    assert response.status_code == 302
    p.refresh_from_db()
    new = OneOffPayment.objects.get(reissue_of=p)
    assert p.status == "reissued" and new.status == "pending" and new.amount == Decimal("1500.00")
    assert new.bank_account == "6228480099998887776" and new.bank_account_masked.endswith("7776")
    assert new.payee == head and new.source_case == case.number and new.month == p.month
    assert new.reissue_reason == "原账户已销户，已更正为新账号"
    with connection.cursor() as cur:
        cur.execute("SELECT bank_account FROM benefits_oneoffpayment WHERE id = %s", [new.pk])
        stored = cur.fetchone()[0]
    assert stored.startswith("sm4g:") and "6228480099998887776" not in stored  # encrypted at rest
    assert AuditEvent.objects.filter(object_id=new.number, action="reissue").exists()
    page = client.get(f"/benefits/payments/?q={new.number}").content.decode()
    assert "重新发放自" in page and p.number in page

    # never twice: the failed attempt is not payable any more
    with pytest.raises(Refused, match="只有发放失败的才能重新发放"):
        payment_reissue(user=staff["finance"], payment=p, reason="再次", on=_today())
    with pytest.raises(Refused):
        payment_settle(user=staff["finance"], payment=p, paid=True, on=_today())
    payment_settle(user=staff["finance"], payment=new, paid=True, on=_today())

    ledger = funds_ledger(user=None, program="temp_assistance", month=_month())["total"]
    assert LedgerEntry.objects.filter(kind=LedgerKind.APPROPRIATION).count() == 1
    assert ledger["appropriated"] == ledger["paid"] == ledger["reissued"] == Decimal("1500.00")
    assert ledger["in_flight"] == ledger["awaiting_reissue"] == Decimal("0.00")
    assert _stats() == [(1, Decimal("1500.00"), Decimal("1500.00"))]
    assert [x.number for x in payments_of_household(household=household, program="temp_assistance")] == [new.number]


def test_reissue_needs_a_registered_account(staff, household_in, assistance_standards):
    household, _, _ = household_in
    case = _emergency(staff, household_in)
    case_act(user=staff["acceptor"], case=case, action="assist_first", opinion="火灾", data=_fire(amount="800"))
    p = OneOffPayment.objects.get(source_case=case.number)
    payment_settle(user=staff["finance"], payment=p, paid=False, on=_today(), reason="户名不符")
    household_update(user=staff["acceptor"], household=household, data={"bank_name": "", "bank_account": ""})
    with pytest.raises(Refused, match="仍未登记银行账号"):
        payment_reissue(user=staff["finance"], payment=p, reason="已更正", on=_today())
    assert OneOffPayment.objects.count() == 1
