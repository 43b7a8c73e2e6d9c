"""Issue 13 items 11 and 25 on the sites: the alert page names a partner source by its Chinese name
and shows money as money; every form error reads as a caseworker would write it (no Django
default wording); the household page offers 登记申请; a visit date within sense; all errors of a
form at once; money as money on pages and documents."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from minzheng.engines.monitoring.models import Alert
from minzheng.engines.monitoring.services import monitoring_run
from tests.engines.monitoring import test_monitoring_rules as base
from tests.engines.monitoring.test_monitoring_rules import load, today


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split("<main", 1)[-1]))


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"


# ---------------------------------------------------------------- 11: the alert page


@pytest.mark.django_db
def test_alert_page_names_sources_in_chinese_and_shows_money(assistance_standards, make_user, county_user,
                                                               anyang_user):  # fmt: skip
    """The 在保成员死亡 evidence carries no source of its own: the page names the rule's sources by
    department and name (never ``death``/``cremation``); the 大额医疗 line shows 20,000.00."""
    world = base.World(make_user("staff_all", ("acceptor", "330381000000")), county_user)
    _, (_head, wife), _ = world.family("王大明", "李小花")
    _, (sick,), _ = world.family("韩未保", enrol=False)
    load("death", [{"id_number": world.id(wife), "name": wife.name, "death_date": today() - dt.timedelta(days=20)}])
    load("medical_expense", [{"id_number": world.id(sick), "name": sick.name, "settled_on": today() - dt.timedelta(days=9),
                              "visit_type": "inpatient", "total_cost": "90000.00", "out_of_pocket": "30000.00"}])  # fmt: skip
    monitoring_run(rules=["member_deceased", "medical_discovery"])
    c = login(anyang_user)
    dead = Alert.objects.get(rule_id="member_deceased")
    page = _text(c.get(reverse("workbench:monitoring:alert", args=[dead.number])))
    assert "数据来源 公安·死亡登记、民政殡葬·火化记录" in page
    assert not re.search(r"\b(death|cremation)\b", page)
    found = Alert.objects.get(rule_id="medical_discovery")
    page = _text(c.get(reverse("workbench:monitoring:alert", args=[found.number])))
    assert "数据来源 医保·医疗费用结算" in page and "预警线（元） 20,000.00" in page
    rules = _text(c.get(reverse("workbench:monitoring:rules")))
    assert re.search(r"低保标准[^：]*：1,\d{3}\.00 元", rules), rules[:2000]  # a money threshold as money


# ---------------------------------------------------------------- 25: money as money


def test_yuan_examples():
    from decimal import Decimal

    from minzheng.foundation.documents.spec import value_text
    from minzheng.foundation.money import yuan

    assert yuan(Decimal("3540.0000")) == "3,540.00"
    assert yuan("1460") == "1,460.00" and yuan(0) == "0.00" and yuan(Decimal("-1234.565")) == "-1,234.57"
    assert yuan(None) == "" and yuan("") == "" and yuan("未配置") == "未配置"
    assert value_text(Decimal("3540.0000")) == "3,540.00"  # a Decimal in a document is money
    assert value_text("1460.00", "月保障金（元）") == "1,460.00" and value_text("1460", "人数") == "1460"


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=4, allow_nan=False, allow_infinity=False))
def test_yuan_is_the_amount_to_the_fen_with_separators(d):
    from decimal import ROUND_HALF_UP, Decimal

    from minzheng.foundation.money import yuan

    text = yuan(d)
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*\.\d{2}", text)
    assert Decimal(text.replace(",", "")) == d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


MONEY_NAME = re.compile(r"(amount|_income|standard_monthly)$")


def test_every_amount_on_a_page_goes_through_yuan():
    """A template variable named as money (``…amount``, ``…_income``, ``standard_monthly``) is shown
    through the ``yuan`` filter: 3,540.00, never 3540.0000."""
    from pathlib import Path

    import minzheng.sites

    bad = []
    for path in Path(minzheng.sites.__file__).parent.rglob("templates/**/*.html"):
        for expr in re.findall(r"\{\{\s*(.*?)\s*\}\}", path.read_text()):
            name = expr.split("|", 1)[0].strip()
            if MONEY_NAME.search(name) and "|yuan" not in expr.replace(" ", ""):
                bad.append(f"{path.name}: {{{{ {expr} }}}}")
    assert bad == []


# ---------------------------------------------------------------- 11: form errors as a caseworker writes them


def _po_entries(path) -> list[tuple[str, str, list[str]]]:
    """(msgid, msgid_plural, msgstrs) of a .po file."""
    import ast

    entries, current, key = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = line.strip()
        if not line or line.startswith("#"):
            if current and not line:
                entries.append(current)
                current = None
            continue
        m = re.match(r"(msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")$", line)
        if m:
            current = current or {"msgid": "", "msgid_plural": "", "msgstr": []}
            key = m.group(1)
            value = ast.literal_eval(m.group(2))
            if key.startswith("msgstr"):
                current["msgstr"].append(value)
            else:
                current[key] = value
        elif line.startswith('"') and current is not None:
            value = ast.literal_eval(line)
            if key.startswith("msgstr"):
                current["msgstr"][-1] += value
            else:
                current[key] += value
    return [(e["msgid"], e["msgid_plural"], e["msgstr"]) for e in entries if e["msgid"]]


def _django_wording() -> set[str]:
    from pathlib import Path

    import django

    po = Path(django.__file__).parent / "conf/locale/zh_Hans/LC_MESSAGES/django.po"
    return {s for _, _, strs in _po_entries(po) for s in strs if s}


def _site_forms():
    """Every form class of the workbench and the portal, and an action form per transition of
    every published case definition (their inputs are generated from the action's data form)."""
    import importlib
    import pkgutil

    from django import forms

    import minzheng.sites.portal
    import minzheng.sites.workbench
    from minzheng.engines.cases import hooks
    from minzheng.engines.cases.models import CaseType
    from minzheng.sites.workbench.cases.forms import ActionForm

    for pkg in (minzheng.sites.workbench, minzheng.sites.portal):
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if "migrations" not in info.name and "management" not in info.name:
                importlib.import_module(info.name)
    seen, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith(("minzheng.sites.workbench", "minzheng.sites.portal")):
            seen.append(cls)
    for cls in seen:
        yield cls.__qualname__, cls.base_fields
    for ct in CaseType.objects.exclude(published=None).select_related("published"):
        for t in ct.published.spec.transitions:
            form = ActionForm(transition=t, model=hooks.FORMS.get(t.form) if t.form else None)
            yield f"{ct.code}.{t.action}", form.fields


@pytest.mark.django_db
def test_no_form_error_in_django_default_wording():
    """Every message an input of a workbench or portal form can give (its error messages and its
    validators'), as rendered in Chinese: none is Django's own wording ("确保该值小于或等于…",
    "这个字段是必填项。"), none English."""
    from django.utils import translation

    django_wording = _django_wording()
    problems, checked = [], 0
    with translation.override("zh-hans"):
        for where, fields in _site_forms():
            for name, field in fields.items():
                texts = [str(m) for m in field.error_messages.values()]
                for v in field.validators:
                    own = getattr(v, "messages", None) or {getattr(v, "code", None): getattr(v, "message", "")}
                    texts += [str(m) for code, m in own.items() if code not in field.error_messages]
                for text in texts:
                    checked += 1
                    if (
                        text in django_wording
                        or "确保" in text
                        or re.search(r"\b(Ensure|Enter|Select|This field)\b", text)
                    ):
                        problems.append(f"{where}.{name}: {text}")
    assert checked > 200
    assert sorted(set(problems)) == []


def test_the_compiled_catalogue_says_what_the_po_file_says():
    """minzheng/locale: the .mo Django reads agrees with the .po people edit (msgfmt was run)."""
    from pathlib import Path

    from django.utils import translation

    import minzheng

    po = Path(minzheng.__file__).parent / "locale/zh_Hans/LC_MESSAGES/django.po"
    entries = _po_entries(po)
    assert len(entries) > 40
    with translation.override("zh-hans"):
        for msgid, plural, strs in entries:
            got = translation.ngettext(msgid, plural, 2) if plural else translation.gettext(msgid)
            assert got == strs[0], msgid


# ---------------------------------------------------------------- 11: 登记申请 from the household page


@pytest.mark.django_db
def test_household_page_offers_the_registration_with_the_household_chosen(household_in, make_user):
    from tests.conftest import ANYANG

    household, head, _ = household_in
    acceptor = make_user("sl_acceptor", ("acceptor", ANYANG))
    c = login(acceptor)
    html = c.get(reverse("workbench:registry:household_detail", args=[household.pk])).content.decode()
    link = f"{reverse('workbench:cases:new')}?household={household.pk}"
    assert f'href="{link}">登记申请</a>' in html
    page = _text(c.get(link))
    assert household.number in page and head.name in page and "换一个家庭" in page
    # an investigator of the township (no right to open cases) is not offered it
    investigator = make_user("sl_investigator", ("investigator", ANYANG))
    html = login(investigator).get(reverse("workbench:registry:household_detail", args=[household.pk])).content.decode()
    assert "登记申请" not in html


# ---------------------------------------------------------------- 25: visit dates within sense, all errors at once


@pytest.fixture
def case_staff(make_user):
    from tests.conftest import ANYANG

    return {
        "acceptor": make_user("sl_acceptor", ("acceptor", ANYANG)),
        "investigator": make_user("sl_investigator", ("investigator", ANYANG)),
    }


def _investigating(case_staff, household_in):
    from minzheng.engines.cases.services import case_act, case_open, material_add
    from minzheng.foundation.documents.render import render_pdf
    from minzheng.foundation.documents.spec import Document, Paragraph

    household, head, _ = household_in
    case = case_open(user=case_staff["acceptor"], case_type="dibao_application", region_code="", household=household,
                     applicant=head)  # fmt: skip
    for code in ("application", "authorisation", "means_declaration"):
        pdf = render_pdf(Document(title=code, blocks=[Paragraph(code)]))
        material_add(user=case_staff["acceptor"], case=case, code=code, data=pdf, name=f"{code}.pdf")
    return case_act(user=case_staff["acceptor"], case=case, action="accept")


@pytest.mark.django_db
def test_a_visit_date_out_of_sense_is_refused_by_the_engine(case_staff, household_in, assistance_standards):
    from django.core.exceptions import ValidationError

    from minzheng.engines.cases.services import case_act
    from tests.engines.cases.test_cases import investigation

    case = _investigating(case_staff, household_in)
    day = timezone.localdate()
    for visit, reason in ((dt.date(1900, 1, 1), "不能早于申请登记日期"), (day - dt.timedelta(days=1), "不能早于申请登记日期"),
                          (day + dt.timedelta(days=1), "晚于")):  # fmt: skip
        with pytest.raises(ValidationError) as exc:
            case_act(user=case_staff["investigator"], case=case, action="investigate_done", opinion="入户核实",
                     data=investigation(case.household, visit))  # fmt: skip
        assert reason in " ".join(exc.value.message_dict["data.visit_date"]), visit
    case = case_act(user=case_staff["investigator"], case=case, action="investigate_done", opinion="入户核实",
                    data=investigation(case.household, day))  # fmt: skip
    assert case.step == "first_review"


@pytest.mark.django_db
def test_act_dates_more_than_a_year_back_are_refused(case_staff, household_in, assistance_standards):
    from minzheng.engines.cases.services import act_date_errors

    case = _investigating(case_staff, household_in)
    day = timezone.localdate()
    case.opened_at = case.opened_at - dt.timedelta(days=800)  # a case registered long ago (not saved)
    old = (day - dt.timedelta(days=400)).isoformat()
    errors = act_date_errors(case=case, form="assistance.investigation", data={"visit_date": old}, day=day)
    assert "不能早于一年前" in errors["visit_date"]
    assert (
        act_date_errors(case=case, form="assistance.investigation", data={"visit_date": day.isoformat()}, day=day) == {}
    )


@pytest.mark.django_db
def test_the_investigation_form_shows_every_error_at_once(case_staff, household_in, assistance_standards):
    """One submission with four mistakes — a single investigator, findings too short, a negative
    house count and 1900-01-01 as the visit — shows all four, each on its input and listed on top
    (the data form's own checks used to wait until the inputs' checks had passed)."""
    from tests.sites.workbench.test_workbench_cases import _investigation

    case = _investigating(case_staff, household_in)
    c = login(case_staff["investigator"])
    data = {**_investigation(timezone.localdate(), investigators="周明"), "findings": "无", "visit_date": "1900-01-01",
            "p_houses": "-1"}  # fmt: skip
    post = {"action": "investigate_done", "investigate_done-opinion": "入户核实"}
    post.update({f"investigate_done-{k}": v for k, v in data.items()})
    r = c.post(f"/cases/{case.number}/act/", post)
    assert r.status_code == 422
    page = _text(r)
    for expected in (
        "入户调查须由两名及以上工作人员进行",
        "至少填写 4 个字",
        "住房（套）：不能为负数",
        "不能早于申请登记日期",
    ):
        assert expected in page, expected
    assert "确保" not in page
    case.refresh_from_db()
    assert case.step == "investigate"


def test_structured_input_errors_never_pass_english_through():
    """pydantic → Chinese (foundation/validation.py): the kinds once passed through in English
    now read in Chinese; a validator's own Chinese message is kept."""
    import enum
    from decimal import Decimal

    from pydantic import BaseModel, Field, ValidationError, field_validator

    from minzheng.foundation.validation import errors_zh

    class Kind(enum.Enum):
        A = "a"
        B = "b"

    class M(BaseModel):
        kind: Kind
        step: int = Field(multiple_of=5)
        amount: Decimal = Field(max_digits=6, decimal_places=2)  # 12345.5: five whole digits of four
        mail: str

        @field_validator("mail")
        @classmethod
        def _mail(cls, v):
            if "@" not in v:
                raise ValueError("not an address")  # a library-style English message
            return v

    with pytest.raises(ValidationError) as exc:
        M(kind="c", step=7, amount="12345.5", mail="x")
    errors = errors_zh(exc.value.errors())
    assert errors == {"kind": "取值须为：a、b", "step": "须为 5 的整数倍", "amount": "数值过大：整数部分最多 4 位",
                      "mail": "格式不正确"}  # fmt: skip
    for text in errors.values():
        assert re.search(r"[\u4e00-\u9fff]", text), text


@pytest.mark.django_db
def test_a_browser_asking_for_english_still_reads_chinese_errors(anyang_user, household_in):
    """Chromium says Accept-Language: en-US; Django's form messages stay Chinese (LANGUAGES)."""
    household = household_in[0]
    c = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    c.force_login(anyang_user)
    body = c.post(
        reverse("workbench:registry:household_edit", args=[household.pk]), {"hukou_type": "urban"}
    ).content.decode()
    assert "请填写此项" in body and "This field is required" not in body
