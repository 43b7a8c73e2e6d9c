"""Working-day calendar: deadlines across the national holidays, local entry of a year's notice,
the command line and the workbench page.

Every expected date below was counted by hand on a wall calendar; the start day is never counted.
"""

import datetime as dt
import io
import json
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.calendar import services
from minzheng.foundation.calendar.models import CalendarDay, CalendarYear
from minzheng.foundation.calendar.services import (
    add_calendar_days,
    add_working_days,
    calendar_year_delete,
    calendar_year_set,
    is_working_day,
    working_days_between,
    year_calendar,
    year_status,
    years_missing,
)
from tests.conftest import RUIAN

D = dt.date
NOTICE_2027 = "国办发明电〔2026〕99号"
HOLIDAYS_2027 = [(D(2027, 1, 1), D(2027, 1, 3), "元旦"), (D(2027, 2, 6), D(2027, 2, 14), "春节")]
WORKDAYS_2027 = [(D(2027, 2, 20), "春节调休")]


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """Each test's database is rolled back; so must the in-process snapshot be."""
    services.calendar_cache_clear()
    yield
    services.calendar_cache_clear()


def enter_2027(user=None):
    return calendar_year_set(user=user, year=2027, holidays=HOLIDAYS_2027, workdays=WORKDAYS_2027, source=NOTICE_2027)


# ------------------------------------------------------------------ deadlines


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("n", "due"),
    [(0, D(2025, 6, 3)), (3, D(2025, 6, 6)), (20, D(2025, 7, 1)), (30, D(2025, 7, 15)), (45, D(2025, 8, 5))],
)
def test_worked_example_accepted_tuesday_after_dragon_boat(n, due):
    # 受理 Tue 2025-06-03, the first working day after 端午 (05-31 .. 06-02)
    assert add_working_days(D(2025, 6, 3), n) == due
    assert working_days_between(D(2025, 6, 3), due) == n


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # 2025 春节: holiday Tue 01-28 .. Tue 02-04; make-up workdays Sun 01-26, Sat 02-08
        (D(2025, 1, 24), 1, D(2025, 1, 26)),  # Friday → the make-up Sunday
        (D(2025, 1, 24), 2, D(2025, 1, 27)),
        (D(2025, 1, 24), 3, D(2025, 2, 5)),  # over the whole holiday
        (D(2025, 1, 24), 6, D(2025, 2, 8)),  # the make-up Saturday
        (D(2025, 1, 24), 7, D(2025, 2, 10)),
        (D(2025, 1, 30), 1, D(2025, 2, 5)),  # start on a holiday
        (D(2025, 1, 30), 4, D(2025, 2, 8)),
        (D(2025, 1, 30), 5, D(2025, 2, 10)),
        (D(2025, 1, 26), 1, D(2025, 1, 27)),  # start on a make-up workday
        (D(2025, 1, 26), 2, D(2025, 2, 5)),
        (D(2025, 2, 8), 1, D(2025, 2, 10)),
        # 2025 国庆节/中秋节: holiday Wed 10-01 .. Wed 10-08; make-up workdays Sun 09-28, Sat 10-11
        (D(2025, 9, 26), 1, D(2025, 9, 28)),
        (D(2025, 9, 26), 3, D(2025, 9, 30)),
        (D(2025, 9, 26), 4, D(2025, 10, 9)),
        (D(2025, 9, 26), 6, D(2025, 10, 11)),
        (D(2025, 9, 26), 7, D(2025, 10, 13)),
        (D(2025, 10, 3), 1, D(2025, 10, 9)),  # start on a holiday
        (D(2025, 10, 3), 3, D(2025, 10, 11)),
        (D(2025, 10, 3), 4, D(2025, 10, 13)),
        (D(2025, 9, 28), 3, D(2025, 10, 9)),  # start on a make-up workday
        (D(2025, 9, 30), 20, D(2025, 11, 4)),
        # 2026 春节: holiday Sun 02-15 .. Mon 02-23; make-up workdays Sat 02-14, Sat 02-28
        (D(2026, 2, 12), 2, D(2026, 2, 14)),
        (D(2026, 2, 12), 3, D(2026, 2, 24)),
        (D(2026, 2, 12), 7, D(2026, 2, 28)),
        (D(2026, 2, 12), 8, D(2026, 3, 2)),
        (D(2026, 2, 13), 10, D(2026, 3, 5)),
        (D(2026, 2, 18), 1, D(2026, 2, 24)),  # start on a holiday
        (D(2026, 2, 18), 5, D(2026, 2, 28)),
        (D(2026, 2, 18), 6, D(2026, 3, 2)),
        (D(2026, 2, 14), 1, D(2026, 2, 24)),  # start on a make-up workday
        # 2026 中秋 Fri 09-25 .. Sun 09-27 and 国庆节 Thu 10-01 .. Wed 10-07;
        # make-up workdays Sun 09-20, Sat 10-10 (the package's data)
        (D(2026, 9, 18), 1, D(2026, 9, 20)),
        (D(2026, 9, 18), 5, D(2026, 9, 24)),
        (D(2026, 9, 18), 6, D(2026, 9, 28)),
        (D(2026, 9, 18), 9, D(2026, 10, 8)),
        (D(2026, 9, 30), 3, D(2026, 10, 10)),
        (D(2026, 9, 30), 4, D(2026, 10, 12)),
        (D(2026, 10, 5), 1, D(2026, 10, 8)),  # start on a holiday
        (D(2026, 10, 5), 3, D(2026, 10, 10)),
        (D(2026, 10, 10), 1, D(2026, 10, 12)),  # start on a make-up workday
    ],
)
def test_deadlines_across_the_holidays(start, n, due):
    assert add_working_days(start, n) == due
    assert working_days_between(start, due) == n


@pytest.mark.django_db
def test_holidays_and_make_up_workdays_of_the_package():
    assert year_status(2025) == year_status(2026) == "package"
    for day in (D(2025, 1, 26), D(2025, 2, 8), D(2025, 9, 28), D(2025, 10, 11), D(2026, 2, 14), D(2026, 2, 28),
                D(2026, 9, 20), D(2026, 10, 10)):  # fmt: skip
        assert day.weekday() >= 5 and is_working_day(day), day
    for day in (D(2025, 1, 28), D(2025, 2, 4), D(2025, 10, 1), D(2025, 10, 8), D(2026, 2, 16), D(2026, 2, 23),
                D(2026, 9, 25), D(2026, 10, 7)):  # fmt: skip
        assert day.weekday() < 5 and not is_working_day(day), day
    assert [r[:2] for r in year_calendar(2026).holiday_ranges() if r[2] == "春节"] == [(D(2026, 2, 15), D(2026, 2, 23))]


@pytest.mark.django_db
def test_calendar_days_and_edge_cases():
    assert add_calendar_days(D(2025, 9, 30), 7) == D(2025, 10, 7)  # 公示 runs through the holiday
    assert working_days_between(D(2025, 6, 6), D(2025, 6, 3)) == 0
    assert working_days_between(D(2025, 6, 3), D(2025, 6, 3)) == 0
    assert add_working_days(D(2025, 1, 30), 0) == D(2025, 1, 30)  # n = 0 is the start, even on a holiday
    with pytest.raises(ValueError):
        add_working_days(D(2025, 1, 1), -1)


# ------------------------------------------------------------------ a year without data, then entered


# 2027 by 《全国年节及纪念日放假办法》 (2024 revision), counted on a wall calendar: 元旦 Fri 01-01;
# 春节 除夕 Fri 02-05 .. 初三 Mon 02-08, Sat and Sun owe two 补假 days, Tue 02-09 and Wed 02-10;
# 清明 Mon 04-05; 劳动节 Sat 05-01, Sun 05-02, 补假 Mon 05-03, Tue 05-04; 端午 Wed 06-09;
# 中秋 Wed 09-15; 国庆节 Fri 10-01 .. Sun 10-03, 补假 Mon 10-04, Tue 10-05.
STATUTORY_2027 = {
    D(2027, 1, 1): "元旦",
    D(2027, 2, 5): "春节", D(2027, 2, 6): "春节", D(2027, 2, 7): "春节", D(2027, 2, 8): "春节",
    D(2027, 2, 9): "春节（补假）", D(2027, 2, 10): "春节（补假）",
    D(2027, 4, 5): "清明节",
    D(2027, 5, 1): "劳动节", D(2027, 5, 2): "劳动节", D(2027, 5, 3): "劳动节（补假）", D(2027, 5, 4): "劳动节（补假）",
    D(2027, 6, 9): "端午节",
    D(2027, 9, 15): "中秋节",
    D(2027, 10, 1): "国庆节", D(2027, 10, 2): "国庆节", D(2027, 10, 3): "国庆节",
    D(2027, 10, 4): "国庆节（补假）", D(2027, 10, 5): "国庆节（补假）",
}  # fmt: skip


@pytest.mark.django_db
def test_year_without_notice_counts_the_statutory_holidays_provisionally_until_entered(django_user_model):
    cal = year_calendar(2027)
    assert year_status(2027) == "provisional" and cal.provisional and "暂按放假办法推算" in cal.status_label
    assert "国务院令第795号" in cal.source and cal.workdays == {}
    assert cal.holidays == STATUTORY_2027
    assert years_missing(2025, 2028) == [2027, 2028]  # no notice yet: the deadlines there may move
    assert years_missing(D(2026, 12, 30), D(2027, 1, 4)) == [2027]
    assert services.is_provisional(D(2027, 1, 1)) and not services.is_provisional(D(2026, 1, 1))
    assert not is_working_day(D(2027, 1, 1))  # a Friday, 元旦
    assert not is_working_day(D(2027, 10, 1))  # a Friday, 国庆节
    assert not is_working_day(D(2027, 2, 5))  # 除夕
    assert is_working_day(D(2027, 2, 11))
    assert add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert add_working_days(D(2027, 2, 4), 1) == D(2027, 2, 11)
    assert add_working_days(D(2027, 9, 30), 1) == D(2027, 10, 6)
    assert not is_working_day(D(2027, 2, 20))  # a Saturday: 调休 cannot be computed

    root = django_user_model.objects.create_superuser("root", password="x")
    row = enter_2027(root)  # the notice as entered overrides the provisional days, for the whole year

    assert (
        year_status(2027) == "local" and years_missing(2025, 2027) == [] and not services.is_provisional(D(2027, 1, 1))
    )
    assert (row.source, row.entered_by) == (NOTICE_2027, root)
    assert not is_working_day(D(2027, 1, 1))
    assert add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert add_working_days(D(2027, 2, 5), 1) == D(2027, 2, 15)
    assert is_working_day(D(2027, 2, 20))
    assert is_working_day(D(2027, 10, 1))  # not in this (abridged) notice: the 办法's days no longer count
    assert CalendarDay.objects.filter(year=2027, kind="holiday").count() == 3 + 9
    ev = AuditEvent.objects.get(object_type="workcalendar.year", object_id="2027")
    assert ev.action == "update" and ev.changes["before"] is None
    assert "2027年节假日安排" in ev.summary and NOTICE_2027 in ev.summary
    assert ev.changes["after"]["workdays"] == [["2027-02-20", "春节调休"]]


@pytest.mark.django_db
def test_local_entry_replaces_the_package_for_the_whole_year_and_delete_restores_it():
    assert not is_working_day(D(2026, 10, 1))
    calendar_year_set(
        user=None, year=2026, holidays=[(D(2026, 1, 1), D(2026, 1, 3), "元旦")], workdays=[], source="更正"
    )
    assert year_status(2026) == "local"
    assert is_working_day(D(2026, 10, 1))  # not in the local entry: the package no longer counts
    assert not is_working_day(D(2026, 10, 10))  # the package's make-up Saturday is gone too
    calendar_year_delete(user=None, year=2026)
    assert year_status(2026) == "package" and not is_working_day(D(2026, 10, 1))
    assert list(AuditEvent.objects.filter(object_type="workcalendar.year").values_list("action", flat=True)) == [
        "delete",
        "update",
    ]
    with pytest.raises(ValidationError, match="没有本地录入"):
        calendar_year_delete(user=None, year=2026)


@pytest.mark.django_db
def test_re_entering_a_year_replaces_its_days_and_audits_before_and_after():
    enter_2027()
    calendar_year_set(
        user=None,
        year=2027,
        holidays=[(D(2027, 2, 5), D(2027, 2, 11), "春节")],
        workdays=[],
        source="国办发明电〔2026〕100号",
    )
    assert set(CalendarDay.objects.values_list("date", flat=True)) == {
        D(2027, 2, 5) + dt.timedelta(i) for i in range(7)
    }
    assert is_working_day(D(2027, 1, 1)) and not is_working_day(D(2027, 2, 5))
    ev = AuditEvent.objects.filter(object_type="workcalendar.year").first()  # newest first
    assert ev.changes["before"]["source"] == NOTICE_2027
    assert ev.changes["after"]["holidays"] == [["2027-02-05", "2027-02-11", "春节"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("holidays", "workdays", "source", "field", "message"),
    [
        (HOLIDAYS_2027, [(D(2027, 2, 8), "春节调休")], NOTICE_2027, "workdays", "只能是星期六或星期日"),
        ([(D(2026, 12, 31), D(2027, 1, 2), "元旦")], [], NOTICE_2027, "holidays", "不在2027年内"),
        ([(D(2027, 2, 14), D(2027, 2, 6), "春节")], [], NOTICE_2027, "holidays", "开始日期晚于结束日期"),
        ([(D(2027, 2, 6), D(2027, 2, 14), "")], [], NOTICE_2027, "holidays", "请填写节日名称"),
        ([(D(2027, 2, 6), D(2027, 2, 14), "春节"), (D(2027, 2, 14), D(2027, 2, 15), "x")], [], NOTICE_2027,
         "holidays", "2027-02-14 在多段放假安排中重复出现"),
        ([], [], NOTICE_2027, "holidays", "至少填写一段放假安排"),
        (HOLIDAYS_2027, [(D(2027, 2, 13), "春节调休")], NOTICE_2027, "workdays", "同时填在了放假安排中"),
        (HOLIDAYS_2027, [(D(2028, 1, 8), "x")], NOTICE_2027, "workdays", "不在2027年内"),
        (HOLIDAYS_2027, WORKDAYS_2027, "  ", "source", "请填写依据文件"),
    ],
)  # fmt: skip
def test_invalid_entries_are_refused_in_chinese_and_change_nothing(holidays, workdays, source, field, message):
    enter_2027()
    before = (list(CalendarDay.objects.values_list("date", "kind", "name")), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as exc:
        calendar_year_set(user=None, year=2027, holidays=holidays, workdays=workdays, source=source)
    assert any(message in m for m in exc.value.message_dict[field]), exc.value.message_dict
    assert (list(CalendarDay.objects.values_list("date", "kind", "name")), AuditEvent.objects.count()) == before
    assert CalendarYear.objects.get(year=2027).source == NOTICE_2027
    assert not is_working_day(D(2027, 1, 1))


@pytest.mark.django_db
def test_only_administrators_may_enter_a_year(anyang_user, make_user):
    with pytest.raises(PermissionDenied, match="系统管理员"):
        enter_2027(anyang_user)
    assert year_status(2027) == "provisional" and not CalendarYear.objects.exists()
    enter_2027(make_user("cityadmin", ("admin", RUIAN)))
    assert year_status(2027) == "local"


# ------------------------------------------------------------------ the in-process snapshot


@pytest.mark.django_db
def test_deadlines_come_from_memory_and_another_process_write_is_seen_within_a_second(
    django_assert_num_queries, monkeypatch
):
    add_working_days(D(2025, 6, 3), 45)  # loads the snapshot
    started = time.perf_counter()
    with django_assert_num_queries(0):
        for _ in range(1000):
            add_working_days(D(2025, 6, 3), 45)
    assert (time.perf_counter() - started) / 1000 < 0.001  # well under a millisecond each

    # another process enters 2027 (no service call here, so this process's snapshot is not dropped)
    row = CalendarYear.objects.create(year=2027, source=NOTICE_2027, entered_at=dt.datetime.now(dt.UTC))
    CalendarDay.objects.create(year=row, date=D(2027, 1, 6), kind="holiday", name="元旦")
    assert is_working_day(D(2027, 1, 6))  # still the snapshot checked less than a second ago
    monkeypatch.setattr(services, "CHECK_INTERVAL", 0)  # as if a second had passed
    assert not is_working_day(D(2027, 1, 6))


DATES = st.dates(D(2024, 6, 1), D(2027, 12, 31))
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.django_db
@PROPS
@given(DATES, st.integers(0, 70))
def test_add_working_days_properties(day, n):
    due, after = add_working_days(day, n), add_working_days(day, n + 1)
    assert due < after and is_working_day(after)
    assert working_days_between(day, due) == n
    assert working_days_between(day, after) == n + 1
    if n:
        assert is_working_day(due)


# ------------------------------------------------------------------ command line


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("calendar", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_cli_deadline_warns_about_a_year_without_data():
    assert run("deadline", "--from", "2026-09-30", "--working-days", "3") == ("2026-10-10\n", "")
    out, err = run("deadline", "--from", "2026-12-31", "--working-days", "1")
    assert out == "2027-01-04\n" and "2027年的放假通知尚未录入：暂按《全国年节及纪念日放假办法》" in err
    out, err = run("deadline", "--from", "2099-12-31", "--working-days", "1")
    assert out == "2100-01-01\n" and "2100年没有节假日数据，只按周末计算" in err
    with pytest.raises(CommandError, match="格式应为 YYYY-MM-DD"):
        run("deadline", "--from", "2026-9-31", "--working-days", "3")
    with pytest.raises(CommandError, match="不能为负数"):
        run("deadline", "--from", "2026-09-30", "--working-days", "-1")


@pytest.mark.django_db
def test_cli_set_show_and_delete(tmp_path):
    out = run("show", "2027")[0]
    assert "2027年的放假通知尚未录入" in out and "2027年：暂按放假办法推算（放假通知尚未录入）" in out
    assert "放假      2027-10-01 至 2027-10-03  国庆节（3天）" in out
    assert "2100年没有节假日数据" in run("show", "2100")[0]
    notice = tmp_path / "2027.json"
    notice.write_text(
        json.dumps({"holidays": [["2027-01-01", "2027-01-03", "元旦"], ["2027-02-06", "2027-02-14", "春节"]],
                    "workdays": [["2027-02-20", "春节调休"]]}, ensure_ascii=False),
        encoding="utf-8",
    )  # fmt: skip
    out, _ = run("set", "2027", "--file", str(notice), "--source", NOTICE_2027)
    assert "放假2段共12天" in out and "调休上班1天" in out
    assert run("deadline", "--from", "2026-12-31", "--working-days", "1") == ("2027-01-04\n", "")
    ev = AuditEvent.objects.get(object_type="workcalendar.year")
    assert (ev.actor_name, ev.channel, ev.object_id) == ("cli", "cli", "2027")

    out, _ = run("show", "2027")
    assert f"本地录入，依据 {NOTICE_2027}" in out
    assert "放假      2027-02-06 至 2027-02-14  春节（9天）" in out
    assert "调休上班  2027-02-20 星期六  春节调休" in out
    assert "软件包数据" in run("show", "2026")[0]

    notice.write_text(
        json.dumps({"holidays": [["2027-02-06", "2027-02-14", "春节"]], "workdays": [["2027-02-08", "x"]]})
    )
    with pytest.raises(CommandError, match="只能是星期六或星期日"):
        run("set", "2027", "--file", str(notice), "--source", "x")
    with pytest.raises(CommandError, match="找不到文件"):
        run("set", "2027", "--file", str(tmp_path / "none.json"), "--source", "x")
    assert year_calendar(2027).source == NOTICE_2027

    assert "暂按放假办法推算" in run("delete", "2027")[0]
    assert year_status(2027) == "provisional"


# ------------------------------------------------------------------ workbench


@pytest.fixture
def root_web(django_user_model):
    c = Client()
    c.force_login(django_user_model.objects.create_superuser("root", password="x"))
    return c


@pytest.mark.django_db
def test_workbench_lists_years_and_warns_about_missing_ones(root_web):
    body = root_web.get("/calendar/").content.decode()
    assert "2025" in body and "2026" in body and "软件包数据" in body
    # the list runs from 2025 to next year: the years after 2026 are provisional until entered
    assert "的放假通知尚未录入：暂按《全国年节及纪念日放假办法》" in body and "暂按放假办法推算" in body
    assert "还没有节假日数据" not in body
    body = root_web.get("/calendar/2027/").content.decode()
    assert "2027年的放假通知尚未录入" in body and "国务院令第795号" in body
    assert "2027-10-01（星期五） 至 2027-10-03（星期日）" in body
    assert "2027-02-05 2027-02-08 春节" in body  # the form starts from the provisional days
    assert "还没有节假日数据" in root_web.get("/calendar/2100/").content.decode()
    body = root_web.get("/calendar/2026/").content.decode()
    assert "2026-02-15（星期日） 至 2026-02-23（星期一）" in body
    assert "2026-02-15 2026-02-23 春节" in body  # the form starts from the package's data
    assert root_web.get("/calendar/?year=2030").headers["Location"] == "/calendar/2030/"
    assert root_web.get("/calendar/1900/").status_code == 404


@pytest.mark.django_db
def test_workbench_enters_a_year(root_web):
    data = {
        "source": NOTICE_2027,
        "holidays": "2027-01-01 2027-01-03 元旦\n2027-02-06 至 2027-02-14 春节\n",
        "workdays": "2027-02-20 春节调休",
    }
    r = root_web.post("/calendar/2027/", data)
    assert r.status_code == 302 and r.headers["Location"] == "/calendar/2027/"
    assert year_status(2027) == "local" and add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    ev = AuditEvent.objects.get(object_type="workcalendar.year")
    assert (ev.actor_name, ev.action) == ("root", "update")
    body = root_web.get("/calendar/2027/").content.decode()
    assert "已保存2027年节假日安排" in body and NOTICE_2027 in body and "2027-02-20（星期六）" in body

    r = root_web.post("/calendar/2027/delete/")
    assert r.status_code == 302 and year_status(2027) == "provisional"


@pytest.mark.django_db
def test_workbench_refuses_a_bad_entry_in_chinese_and_changes_nothing(root_web):
    data = {"source": NOTICE_2027, "holidays": "2027-02-06 2027-02-14 春节", "workdays": "2027-02-08 春节调休"}
    body = root_web.post("/calendar/2027/", data).content.decode()
    assert "调休上班日 2027-02-08是星期一：调休上班日只能是星期六或星期日" in body
    body = root_web.post("/calendar/2027/", {**data, "holidays": "2027-13-01 元旦"}).content.decode()
    assert "日期“2027-13-01”的格式应为 2027-02-06" in body
    body = root_web.post("/calendar/2027/", {**data, "holidays": "2027-02-06 2027-02-14"}).content.decode()
    assert "缺少节日名称" in body
    assert not CalendarYear.objects.exists() and year_status(2027) == "provisional"
    assert not AuditEvent.objects.filter(object_type="workcalendar.year").exists()


@pytest.mark.django_db
def test_workbench_is_for_administrators_only(anyang_user, make_user):
    assert Client().get("/calendar/").status_code == 302  # to the login page
    web = Client()
    web.force_login(anyang_user)
    assert web.get("/calendar/").status_code == 403
    assert web.get("/calendar/2027/").status_code == 403
    assert web.post("/calendar/2027/", {"source": "x", "holidays": "2027-01-01 元旦"}).status_code == 403
    assert not CalendarYear.objects.exists()
    admin = Client()
    admin.force_login(make_user("cityadmin", ("admin", RUIAN)))
    assert admin.get("/calendar/").status_code == 200


# ------------------------------------------------------------------ the statutory days of the 办法


def test_statutory_days_of_every_published_year_are_holidays_of_its_notice():
    """Each statutory day computed for 2014–2026 (lunar dates, 清明, 除夕 from 2025) is a holiday of
    that year's notice as the package carries it; so is each 补假 day but one, which the 2015
    notice moved into the 国庆节 week."""
    import chinese_calendar

    from minzheng.foundation.calendar.statutory import statutory_holidays

    off_elsewhere = []
    for year in range(2014, 2027):
        days, _ = statutory_holidays(year)
        for day, name in days.items():
            if day not in chinese_calendar.holidays:
                off_elsewhere.append((day, name))
    assert off_elsewhere == [(D(2015, 9, 28), "中秋节（补假）")]


@pytest.mark.parametrize(
    ("year", "eve", "qingming", "duanwu", "zhongqiu", "source"),
    [
        (2025, D(2025, 1, 28), D(2025, 4, 4), D(2025, 5, 31), D(2025, 10, 6), "第795号"),
        (2026, D(2026, 2, 16), D(2026, 4, 5), D(2026, 6, 19), D(2026, 9, 25), "第795号"),
        (2027, D(2027, 2, 5), D(2027, 4, 5), D(2027, 6, 9), D(2027, 9, 15), "第795号"),
        (2030, D(2030, 2, 2), D(2030, 4, 5), D(2030, 6, 5), D(2030, 9, 12), "第795号"),
        (2020, None, D(2020, 4, 4), D(2020, 6, 25), D(2020, 10, 1), "第644号"),
    ],
)
def test_lunar_festivals_and_qingming(year, eve, qingming, duanwu, zhongqiu, source):
    from minzheng.foundation.calendar.statutory import statutory_holidays

    days, src = statutory_holidays(year)
    assert source in src
    if eve:  # from 2025 春节 starts on 除夕, four days
        assert [days.get(eve + dt.timedelta(i)) for i in range(4)] == ["春节"] * 4
        assert days.get(eve - dt.timedelta(1), "").startswith("春节") is False
    assert days[qingming] == "清明节" and days[duanwu] == "端午节"
    assert days[zhongqiu] in ("中秋节", "国庆节")
    assert days[D(year, 1, 1)] == "元旦" and days[D(year, 10, 3)] in ("国庆节", "中秋节")


def test_statutory_days_before_2014_and_after_2099_are_not_computed():
    from minzheng.foundation.calendar.statutory import statutory_holidays

    assert statutory_holidays(2013) is None and statutory_holidays(2100) is None
    assert statutory_holidays(2020)[0][D(2020, 5, 1)] == "劳动节" and D(2020, 5, 2) not in statutory_holidays(2020)[0]


def test_national_day_and_mid_autumn_on_the_same_day_owe_a_day():
    from minzheng.foundation.calendar.statutory import statutory_holidays

    days, _ = statutory_holidays(2020)  # 国庆节 and 中秋节 both on Thursday 1 October
    assert {d: n for d, n in days.items() if d.month == 10} == {
        D(2020, 10, 1): "中秋节", D(2020, 10, 2): "国庆节", D(2020, 10, 3): "国庆节",
        D(2020, 10, 5): "国庆节（补假）", D(2020, 10, 6): "国庆节（补假）",
    }  # fmt: skip
