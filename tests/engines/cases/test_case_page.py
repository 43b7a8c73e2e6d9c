"""One ``case_page(user, case)`` for both faces: the workbench's case page and the API's case
endpoint offer the same user the same things (act and which actions, claim, release, suspend,
resume, extend, upload, print), and show the same panels — a panel a test registers appears on
both, the assistance line's panels (assessment, enrollment) still appear, and a panel registered for
another case type appears on neither."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from minzheng.engines.cases import selectors
from minzheng.engines.cases.panels import PANELS, case_panel, panel_provider
from minzheng.engines.cases.services import case_act, case_open, material_add, task_claim
from minzheng.foundation.plugins import DuplicateRegistration
from tests.conftest import ANYANG, PASSWORD, RUIAN
from tests.engines.cases.test_cases import REQUIRED, _pdf, investigation

pytestmark = pytest.mark.django_db

ROLES = [
    ("acceptor", ANYANG),
    ("investigator", ANYANG),
    ("reviewer", ANYANG),
    ("approver", RUIAN),
    ("leader", RUIAN),
    ("admin", RUIAN),
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(make_user):
    return {role: make_user(f"cp_{role}", (role, region)) for role, region in ROLES}


def _faces(user) -> tuple[Client, Client]:
    page = Client()
    page.force_login(user)
    api = Client()
    r = api.post(
        "/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, content_type="application/json"
    )
    api.defaults["HTTP_AUTHORIZATION"] = f"Bearer {r.json()['token']}"
    return page, api


def _offered(html: str, number: str) -> dict:
    """What the case page offers, read from its forms (the same keys as the API's ``may``)."""
    base = f"/cases/{number}/"

    def posts_to(tail):
        return f'action="{base}{tail}"' in html

    return {
        "act": "本环节由" not in html and 'id="act"' in html,
        "actions": re.findall(r'<input type="hidden" name="action" value="([^"]+)">', html),
        "claim": posts_to("claim/"),
        "release": posts_to("release/"),
        "suspend": posts_to("suspend/"),
        "resume": posts_to("resume/"),
        "extend": posts_to("extend/"),
        "materials": posts_to("materials/"),
        "documents": re.findall(rf'action="{re.escape(base)}documents/([a-z_]+)/"', html),
    }


def _both(user, number: str) -> tuple[dict, dict, str]:
    page, api = _faces(user)
    r = page.get(f"/cases/{number}/")
    assert r.status_code == 200
    out = api.get(f"/api/v1/cases/{number}")
    assert out.status_code == 200, out.content
    return _offered(r.content.decode(), number), out.json(), r.content.decode()


def _case(staff, household_in, state: str):
    household, head, _ = household_in
    acceptor = staff["acceptor"]
    case = case_open(user=acceptor, case_type="dibao_application", region_code="", household=household, applicant=head)
    if state == "claimed":
        task_claim(user=acceptor, task=case.tasks.get(state="open"))
    elif state in ("investigate", "first_review"):
        for code in REQUIRED:
            material_add(user=acceptor, case=case, code=code, data=_pdf(code), name=f"{code}.pdf")
        case = case_act(user=acceptor, case=case, action="accept")
        if state == "first_review":
            case = case_act(user=staff["investigator"], case=case, action="investigate_done", opinion="入户核实",
                            data=investigation(household, case.accepted_on))  # fmt: skip
    return case


@pytest.mark.parametrize("state", ["apply", "claimed", "investigate", "first_review"])
@pytest.mark.parametrize("role", [r for r, _ in ROLES])
def test_page_and_api_offer_the_same_user_the_same_things(staff, household_in, assistance_standards, role, state):
    case = _case(staff, household_in, state)
    user = staff[role]
    offered, out, _ = _both(user, case.number)
    may = out["may"]
    assert offered == {k: may[k] for k in offered}, (role, state)
    expected = selectors.case_page(user, case)
    assert may["actions"] == [t.action for t in expected.actions]
    assert may["supervise"] == expected.supervise
    # the answers differ by role: the test would see a face that offered the wrong thing
    holder = {"apply": "acceptor", "claimed": "acceptor", "investigate": "investigator", "first_review": "reviewer"}
    acts = role == holder[state]  # the role of the open task (an administrator's grant is another role)
    assert may["act"] is acts and bool(may["actions"]) is acts
    if state == "claimed":  # the acceptor's own claim, or a supervisor's hand-back
        assert may["release"] is (role in ("acceptor", "approver", "leader", "admin"))
        assert may["claim"] is False
    if state == "investigate":
        assert may["extend"] is acts and may["suspend"] is acts and may["resume"] is False


def test_a_registered_panel_shows_on_both_faces(staff, household_in, settings, tmp_path):
    (tmp_path / "test_panel.html").write_text(
        '<section class="card" id="test-panel"><h2>{{ panel.title }}</h2><p>{{ data.answer }} · {{ case.number }}</p>'
        "</section>",
        encoding="utf-8",
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    case = _case(staff, household_in, "apply")
    seen = []

    def build(c, user, today):
        seen.append((c.pk, user.pk))
        return {"answer": f"四十二 {c.step}"}

    shown = panel_provider("test.panel", build, title="测试面板", template="test_panel.html",
                           case_types=["dibao_application"], order=1)  # fmt: skip
    elsewhere = panel_provider("test.elsewhere", build, title="别处面板", template="test_panel.html",
                               case_types=["tekun_application"])  # fmt: skip
    nothing = panel_provider("test.nothing", lambda c, u, t: None, title="无内容", template="no_such.html")
    with PANELS.temporarily("test.panel", shown), PANELS.temporarily("test.elsewhere", elsewhere):
        with PANELS.temporarily("test.nothing", nothing):
            _, out, html = _both(staff["acceptor"], case.number)
    assert '<section class="card" id="test-panel"><h2>测试面板</h2><p>四十二 apply · ' + case.number in html
    assert "别处面板" not in html and "无内容" not in html
    assert {"key": "test.panel", "title": "测试面板", "data": {"answer": "四十二 apply"}} in out["panels"]
    assert {p["key"] for p in out["panels"]} == {"test.panel"}
    assert set(seen) == {(case.pk, staff["acceptor"].pk)}  # built for the user who looks, once per face
    assert "test.panel" not in PANELS  # restored


def test_the_assistance_panels_still_appear(staff, household_in, assistance_standards):
    case = _case(staff, household_in, "first_review")
    assessed = case.data.pop("assessment")  # at 初审 without an assessment yet: the hint that it comes there
    case.save(update_fields=["data"])
    _, out, html = _both(staff["reviewer"], case.number)
    assert {"key": "assistance.assessment", "title": "测算结果", "data": {"pending": True}} in out["panels"]
    assert "初审通过时将按入户调查录入的经济状况测算保障金额" in html
    case.data["assessment"] = assessed
    case.save(update_fields=["data"])

    case = case_act(user=staff["reviewer"], case=case, action="first_review_pass", opinion="符合低保条件")
    case.data["enrollment_number"] = "DB-330381-2026-009999"  # as an approval records it (no such row here)
    case.data["start_month"] = "2026-02-01"
    case.save(update_fields=["data"])
    _, out, html = _both(staff["reviewer"], case.number)
    panels = {p["key"]: p for p in out["panels"]}
    assert list(panels) == ["assistance.enrollment", "assistance.assessment"]
    assessment = panels["assistance.assessment"]["data"]
    assert assessment["classification"] == "dibao" and assessment["classification_name"] == "低保"
    assert assessment == {**out["assessment"], "classification_name": "低保", "assessed_on": assessment["assessed_on"]}
    assert '<section class="card assessment" id="assessment">' in html and "低保，月保障金" in html
    enrollment = panels["assistance.enrollment"]["data"]
    assert enrollment == {"enrollment_number": "DB-330381-2026-009999", "enrollment_id": None, "start_month": "2026-02"}
    assert '<dt>保障编号</dt><dd><span class="mono">DB-330381-2026-009999</span>' in html
    assert "（自 2026-02 起发放）" in html
    # the history names the classification an action recorded, through the line's value labels
    assert "<dt>测算结果</dt><dd>低保</dd>" in html


def test_a_panel_name_is_taken_once(staff):
    with pytest.raises(DuplicateRegistration):
        case_panel("assistance.assessment", title="另一个", template="x.html")(lambda c, u, t: None)


def test_panel_templates_keep_the_workbench_rules():
    """The panels' templates live with their line, outside the workbench's template tree: they keep
    its CSP (no inline script, style or handler) and show money through ``yuan``."""
    from django.template.loader import get_template

    from tests.sites.workbench.test_forms_wording import MONEY_NAME

    assert PANELS, "no panel registered"
    found = []
    for p in PANELS.values():
        html = get_template(p.template).template.source
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"<style\b", r"\sstyle=", r"\son[a-z]+=", r"\shx-on", r"js:"):
            found += [f"{p.template}: {m}" for m in re.findall(pattern, html)]
        for expr in re.findall(r"\{\{\s*(.*?)\s*\}\}", html):
            name = expr.split("|", 1)[0].strip()
            if MONEY_NAME.search(name) and "|yuan" not in expr.replace(" ", ""):
                found.append(f"{p.template}: {{{{ {expr} }}}}")
    assert found == []
