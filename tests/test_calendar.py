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

from .conftest import RUIAN

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


@pytest.mark.django_db
def test_year_without_data_counts_weekends_only_until_entered(django_user_model):
    assert year_status(2027) == "missing" and years_missing(2025, 2028) == [2027, 2028]
    assert years_missing(D(2026, 12, 30), D(2027, 1, 4)) == [2027]
    assert is_working_day(D(2027, 1, 1))  # a Friday: without the notice it counts
    assert add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 1)
    assert add_working_days(D(2027, 2, 5), 1) == D(2027, 2, 8)
    assert not is_working_day(D(2027, 2, 20))  # a Saturday

    root = django_user_model.objects.create_superuser("root", password="x")
    row = enter_2027(root)

    assert year_status(2027) == "local" and years_missing(2025, 2027) == []
    assert (row.source, row.entered_by) == (NOTICE_2027, root)
    assert not is_working_day(D(2027, 1, 1))
    assert add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert add_working_days(D(2027, 2, 5), 1) == D(2027, 2, 15)
    assert is_working_day(D(2027, 2, 20))
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
    assert year_status(2027) == "missing" and not CalendarYear.objects.exists()
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
    CalendarDay.objects.create(year=row, date=D(2027, 1, 1), kind="holiday", name="元旦")
    assert is_working_day(D(2027, 1, 1))  # still the snapshot checked less than a second ago
    monkeypatch.setattr(services, "CHECK_INTERVAL", 0)  # as if a second had passed
    assert not is_working_day(D(2027, 1, 1))


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
    assert out == "2027-01-01\n" and "2027年没有节假日数据" in err
    with pytest.raises(CommandError, match="格式应为 YYYY-MM-DD"):
        run("deadline", "--from", "2026-9-31", "--working-days", "3")
    with pytest.raises(CommandError, match="不能为负数"):
        run("deadline", "--from", "2026-09-30", "--working-days", "-1")


@pytest.mark.django_db
def test_cli_set_show_and_delete(tmp_path):
    assert "2027年没有节假日数据" in run("show", "2027")[0]
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

    assert "无数据" in run("delete", "2027")[0]
    assert year_status(2027) == "missing"


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
    assert "还没有节假日数据" in body and "2027年" in body  # the list runs from 2025 to next year
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
    assert r.status_code == 302 and year_status(2027) == "missing"


@pytest.mark.django_db
def test_workbench_refuses_a_bad_entry_in_chinese_and_changes_nothing(root_web):
    data = {"source": NOTICE_2027, "holidays": "2027-02-06 2027-02-14 春节", "workdays": "2027-02-08 春节调休"}
    body = root_web.post("/calendar/2027/", data).content.decode()
    assert "调休上班日 2027-02-08是星期一：调休上班日只能是星期六或星期日" in body
    body = root_web.post("/calendar/2027/", {**data, "holidays": "2027-13-01 元旦"}).content.decode()
    assert "日期“2027-13-01”的格式应为 2027-02-06" in body
    body = root_web.post("/calendar/2027/", {**data, "holidays": "2027-02-06 2027-02-14"}).content.decode()
    assert "缺少节日名称" in body
    assert not CalendarYear.objects.exists() and year_status(2027) == "missing"
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
