"""Issue 13 items 8, 9 and 24 on the case engine: 文号 unique per issuing office × document word ×
year (and kept when a document is printed again for the same decision); every message template of
every published case definition renders without an empty placeholder, and a closed case's message
asks nothing; the public-notice period is shown as such, apart from the step's deadline."""

import re
import string

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from minzheng.engines.cases.models import CaseType
from minzheng.engines.cases.services import case_act, case_open, document_generate, material_add
from minzheng.foundation.numbering.models import IssuedNumber
from tests.engines.cases import test_cases
from tests.engines.cases.test_cases import REQUIRED, _pdf, investigation

pytestmark = pytest.mark.django_db

# the staff and media folder of the case tests
_media, staff = test_cases._media, test_cases.staff


@pytest.fixture
def second_household(anyang_user, ids):
    """Another household of 安阳街道 (one person)."""
    from minzheng.foundation.registry import services
    from tests.conftest import ANYANG_VILLAGE

    head = services.person_create(user=anyang_user, data={"name": "赵丽华", "id_number": ids(male=False),
                                                          "hukou_type": "urban", "region_code": ANYANG_VILLAGE})  # fmt: skip
    household = services.household_create(user=anyang_user, data={"region_code": ANYANG_VILLAGE, "hukou_type": "urban"},
                                           head=head)  # fmt: skip
    return household, head


def _accepted(user, household, applicant, case_type):
    case = case_open(user=user, case_type=case_type, region_code="", household=household, applicant=applicant)
    for code in REQUIRED:
        if any(m.code == code for m in case.spec.materials):
            material_add(user=user, case=case, code=code, data=_pdf(code), name=f"{code}.pdf")
    return case_act(user=user, case=case, action="accept")


# ---------------------------------------------------------------- 24: 文号


def test_document_numbers_are_unique_per_office_word_and_year(staff, household_in, second_household, household_other):
    """Two service items of one township each at their first case used to give both 受理通知书 the
    same 文号 (受〔2026〕000001号: the case's own serial); the office now counts its 受 documents."""
    household, head, _ = household_in
    year = timezone.localdate().year
    dibao = _accepted(staff["acceptor"], household, head, "dibao_application")
    edge = _accepted(staff["acceptor"], *second_household, "edge_application")
    numbers = [c.documents.get(kind="acceptance_notice").number for c in (dibao, edge)]
    assert numbers == [f"受〔{year}〕1号", f"受〔{year}〕2号"]

    # another township is another issuing office with its own series
    other, other_head = household_other
    tangxia = _accepted(staff["other"], other, other_head, "dibao_application")
    assert tangxia.documents.get(kind="acceptance_notice").number == f"受〔{year}〕1号"

    # printed again for the same decision: the same 文号, and the series does not move
    again = document_generate(case=dibao, kind="acceptance_notice", user=staff["acceptor"])
    assert again.number == numbers[0]
    assert dibao.documents.filter(kind="acceptance_notice").count() == 2
    third = _accepted(staff["acceptor"], *second_household, "rigid_expense_application")
    assert third.documents.get(kind="acceptance_notice").number == f"受〔{year}〕3号"


def test_a_serial_is_given_once_per_series_by_the_database(staff, household_in):
    household, head, _ = household_in
    case = _accepted(staff["acceptor"], household, head, "dibao_application")
    issued = IssuedNumber.objects.get(text=case.documents.get(kind="acceptance_notice").number)
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedNumber.objects.create(series=issued.series, serial=issued.serial, subject="other", text="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedNumber.objects.create(series=issued.series, serial=99, subject=issued.subject, text="y")


# ---------------------------------------------------------------- 9: messages


def test_every_message_template_of_every_published_definition_renders_whole():
    """Each message of each published definition, rendered with the values its transition's target
    step gives: no placeholder empty or unknown, no brace left; one that closes the case says the
    outcome and asks nothing ("已转到「已批准」，请在 前办理" was sent on every approval)."""
    from minzheng.engines.cases.definition import OUTCOMES
    from minzheng.engines.cases.services import message_samples

    problems, seen = [], 0
    for ct in CaseType.objects.exclude(published=None).select_related("published"):
        spec = ct.published.spec
        for t, n, text, empty in message_samples(spec):
            seen += 1
            where = f"{ct.code}.{t.action}→{n.to}"
            if empty:
                problems.append(f"{where}: 空的占位符 {empty}: {text}")
            if re.search(r"[{}]", text):
                problems.append(f"{where}: 残留花括号: {text}")
            target = spec.step(t.to)
            if target.terminal and (OUTCOMES[target.outcome] not in text or re.search("(?<!申)请|前办理|已转到", text)):
                problems.append(f"{where}: 办结消息应说明结果且不再要求办理: {text}")
    assert seen > 20
    assert problems == []


def test_message_render_names_empty_and_unknown_placeholders():
    from minzheng.engines.cases.services import message_render

    text, empty = message_render("办件 {number} 请在 {due} 前办理{nonsense}", {"number": "X-1", "due": ""})
    assert text == "办件 X-1 请在  前办理" and sorted(empty) == ["due", "nonsense"]
    assert {f for _, f, _, _ in string.Formatter().parse("{a}{b}") if f} == {"a", "b"}


def test_the_approval_tells_the_opener_what_happened(
    staff, household_in, assistance_standards, settings, django_capture_on_commit_callbacks
):
    """The in-app message to the caseworker who registered the case, after the county approves."""
    from minzheng.engines.cases.models import PublicNotice
    from minzheng.foundation.calendar.services import add_calendar_days
    from minzheng.foundation.notify.models import Message

    settings.MINZHENG_JOBS = "thread"
    approver = staff["approver"]
    household, head, _ = household_in
    today = timezone.localdate()
    case = _accepted(staff["acceptor"], household, head, "dibao_application")
    case_act(
        user=staff["investigator"],
        case=case,
        action="investigate_done",
        opinion="入户核实，情况属实",
        on=today,
        data=investigation(household, today),
    )
    with django_capture_on_commit_callbacks(execute=True):
        case_act(user=staff["reviewer"], case=case, action="first_review_pass", opinion="符合低保条件", on=today)
    notice = PublicNotice.objects.get(case=case)
    period = f"{notice.start_date:%m-%d} 至 {notice.end_date:%m-%d}"
    sms = Message.objects.filter(channel="sms", related_id=case.number).order_by("pk").last()
    assert f"公示期 {period}" in sms.body
    inbox_note = Message.objects.filter(channel="in_app", related_id=case.number, recipient=staff["reviewer"]).last()
    assert f"公示期 {period}" in inbox_note.body and f"{notice.end_date:%Y-%m-%d} 前" not in inbox_note.body

    after = add_calendar_days(notice.end_date, 1)
    case_act(user=staff["reviewer"], case=case, action="notice_done", on=after)
    with django_capture_on_commit_callbacks(execute=True):
        case_act(user=approver, case=case, action="approve", opinion="同意", on=after)
    note = (
        Message.objects.filter(channel="in_app", related_id=case.number, recipient=staff["acceptor"])
        .order_by("pk")
        .last()
    )
    assert note.body == f"办件 {case.number}（最低生活保障申请）已办结，结果：批准。"


# ---------------------------------------------------------------- 8: the notice period on pages


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_pages_show_the_notice_period_and_the_deadline_apart(staff, household_in, assistance_standards):
    """Home, inbox and case page of the reviewer while the 公示 runs: the period 12-08 至 12-14
    and the step's deadline (three working days after the notice ends) — the deadline used to be
    shown as "公示至"."""
    from django.test import Client

    from minzheng.engines.cases.models import PublicNotice, Task, TaskState

    household, head, _ = household_in
    today = timezone.localdate()
    case = _accepted(staff["acceptor"], household, head, "dibao_application")
    case_act(
        user=staff["investigator"],
        case=case,
        action="investigate_done",
        opinion="入户核实，情况属实",
        on=today,
        data=investigation(household, today),
    )
    case_act(user=staff["reviewer"], case=case, action="first_review_pass", opinion="符合低保条件", on=today)
    notice = PublicNotice.objects.get(case=case)
    task = Task.objects.get(case=case, state=TaskState.OPEN)
    assert task.due_date > notice.end_date
    client = Client()
    client.force_login(staff["reviewer"])
    short = f"公示 {notice.start_date:%m-%d} 至 {notice.end_date:%m-%d}"
    for url in ("/", "/cases/inbox/"):
        page = _text(client.get(url))
        assert short in page, url
        assert f"办理期限 {task.due_date:%m-%d}" in page or f"办理期限 {task.due_date:%Y-%m-%d}" in page, url
        assert "公示至" not in page, url
    page = _text(client.get(f"/cases/{case.number}/"))
    assert f"公示期 {notice.start_date:%Y-%m-%d} 至 {notice.end_date:%Y-%m-%d}" in page
    assert f"本环节期限 {task.due_date:%Y-%m-%d}" in page and "公示至" not in page

    # the citizen's progress lookup: the 公示期, and apart from it the step's deadline
    html = Client().post("/portal/lookup/", {"number": case.number, "id6": head.id_number[-6:]}).content.decode()
    lookup = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    day = "{d.year}年{d.month}月{d.day}日".format
    assert f"公示期 {day(d=notice.start_date)} 至 {day(d=notice.end_date)}" in lookup
    assert f"本环节办理期限 {day(d=task.due_date)}前" in lookup


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_documents_of_one_office_get_distinct_numbers():
    """Eight documents of one office numbered at the same moment: the series row lock hands out
    1…8 once each; the same subject asked for twice at once gets one number (PostgreSQL)."""
    from django.db import connection, connections

    from minzheng.foundation.numbering.services import number_issue

    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    import threading

    barrier = threading.Barrier(10)
    got: list[str] = []

    def run(subject):
        try:
            barrier.wait()
            got.append(number_issue(series="doc:330381001000:受:2026", subject=subject,
                                    render=lambda n: f"受〔2026〕{n}号"))  # fmt: skip
        finally:
            connections.close_all()

    subjects = [f"cases.case:{i}:acceptance_notice:{i}" for i in range(8)] + ["cases.case:99:x:1"] * 2
    threads = [threading.Thread(target=run, args=(s,)) for s in subjects]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(got), key=lambda t: int(re.search(r"〕(\d+)号", t).group(1))) == [
        f"受〔2026〕{n}号" for n in range(1, 10)
    ]
    assert len(got) == 10 and IssuedNumber.objects.count() == 9
