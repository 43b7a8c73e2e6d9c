"""A user of one township can neither read nor change another township's persons or households:
every registry page and endpoint answers 'not found' and changes nothing."""

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from openpyxl import load_workbook

from minzheng.foundation.accounts.services import token_issue
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.registry.models import Household, Membership, Person
from tests.conftest import TANGXIA_VILLAGE


def _snapshot():
    return (
        list(Person.objects.order_by("pk").values()),
        list(Household.objects.order_by("pk").values()),
        list(Membership.objects.order_by("pk").values()),
    )


@pytest.fixture
def world(household_in, household_other, anyang_user):
    own, own_head, _ = household_in
    other, other_head = household_other
    web = Client()
    web.force_login(anyang_user)
    api = Client(headers={"authorization": f"Bearer {token_issue(user=anyang_user)}"})
    return {"own": own, "own_head": own_head, "other": other, "other_head": other_head, "web": web, "api": api}


PAGES = [
    ("get", "/persons/{p}/"),
    ("get", "/persons/{p}/edit/"),
    ("post", "/persons/{p}/edit/"),
    ("post", "/persons/{p}/reveal/id_number/"),
    ("post", "/persons/{p}/reveal/phone/"),
    ("get", "/households/{h}/"),
    ("get", "/households/{h}/edit/"),
    ("post", "/households/{h}/edit/"),
    ("post", "/households/{h}/reveal/bank_account/"),
    ("post", "/households/{h}/members/add/"),
    ("post", "/households/{h}/members/{m}/end/"),
]
ENDPOINTS = [
    ("get", "/api/v1/persons/{p}"),
    ("patch", "/api/v1/persons/{p}"),
    ("post", "/api/v1/persons/{p}/reveal"),
    ("get", "/api/v1/households/{h}"),
    ("patch", "/api/v1/households/{h}"),
]


def _url(template, w, target):
    h = w[target]
    head = w[f"{target}_head"]
    m = Membership.objects.filter(household=h).first()
    return template.format(p=head.pk, h=h.pk, m=m.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "template"), PAGES)
def test_workbench_pages_hide_other_township(world, method, template):
    before = _snapshot()
    reveals = AuditEvent.objects.filter(action="reveal").count()
    data = {"name": "篡改", "region_code": TANGXIA_VILLAGE, "hukou_type": "rural", "self_care": "full", "reason": "x",
            "relation": "child", "id_number": world["own_head"].id_number, "ethnicity": "汉族"}  # fmt: skip
    response = getattr(world["web"], method)(_url(template, world, "other"), data if method == "post" else None)
    assert response.status_code == 404
    body = response.content.decode()
    assert world["other_head"].name not in body and world["other_head"].id_number_masked not in body
    assert _snapshot() == before
    assert AuditEvent.objects.filter(action="reveal").count() == reveals
    # the same page works on the user's own township
    own = world["web"].get(_url(template, world, "own")) if method == "get" else None
    if own is not None:
        assert own.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "template"), ENDPOINTS)
def test_api_endpoints_hide_other_township(world, method, template):
    before = _snapshot()
    payload = {"name": "篡改", "field": "id_number", "address": "x"}
    response = getattr(world["api"], method)(_url(template, world, "other"), payload, content_type="application/json")
    assert response.status_code == 404
    assert world["other_head"].name not in response.content.decode()
    assert _snapshot() == before
    assert world["api"].get(_url(template, world, "own")).status_code in (200, 405)


@pytest.mark.django_db
def test_lists_searches_and_exports_hold_only_own_township(world):
    other = world["other_head"]
    for q in ("", other.name, other.id_number, other.name_initials):
        # an ID number is sent on to a token URL (search.py): follow it
        rows = world["web"].get("/persons/", {"q": q}, headers={"hx-request": "true"}, follow=True).content.decode()
        assert other.name not in rows and other.id_number_masked not in rows
        if q:
            assert "共 0 人" in rows
        api = world["api"].get("/api/v1/persons", {"q": q}).json()
        assert all(item["id"] != other.pk for item in api["items"])
        hh = world["api"].get("/api/v1/households", {"q": q}).json()
        assert all(item["id"] != world["other"].pk for item in hh["items"])
    assert world["own_head"].name in world["web"].get("/persons/").content.decode()
    for url in ("/persons/?export=xlsx", "/households/?export=xlsx"):
        wb = load_workbook(io.BytesIO(world["web"].get(url).content))
        cells = {str(c) for row in wb.active.iter_rows(values_only=True) for c in row}
        assert other.name not in cells and world["other"].number not in cells
        assert world["own_head"].name in cells or world["own"].number in cells


@pytest.mark.django_db
def test_cannot_create_in_other_township(world, ids):
    before = _snapshot()
    payload = {"name": "张三", "id_number": ids(), "hukou_type": "rural", "region_code": TANGXIA_VILLAGE}
    assert world["api"].post("/api/v1/persons", payload, content_type="application/json").status_code == 403
    response = world["web"].post("/persons/new/", {**payload, "ethnicity": "汉族", "self_care": "full"})
    # the village picker offers only the user's own villages; the service would refuse too (API: 403)
    assert response.status_code == 200 and "不在可选范围内" in response.content.decode()
    assert _snapshot() == before


# ---------------------------------------------------------------- every URL pattern with parameters
#
# The resolver is walked; every route with a path parameter (workbench, API, portal) must be either in
# ROUTES (how to name an object outside the requesting user's scope) or in NOT_SCOPED (with the reason it
# names no township's object). A new line's URL with no entry fails `test_every_parameterised_route_has_an_entry`.
# The matrix requests each one, as a user holding every right but only over 安阳街道, for an object of
# 塘下镇 (or of the county), with GET and POST (and PATCH on the API): the answer is 404 (405 for a method
# the view does not take) and nothing in the database changes. A superuser's GET of the same URL is not a
# 404, so the object named is real and the 404 is the scope's.

PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def _routes(patterns=None, prefix="") -> set[str]:
    out = set()
    for p in get_resolver().url_patterns if patterns is None else patterns:
        route = str(p.pattern)
        if isinstance(p, URLResolver):
            out |= _routes(p.url_patterns, prefix + route)
        elif isinstance(p, URLPattern):
            out.add(prefix + route)
    return {r for r in out if "<" in r or "(?P<" in r}


# Whole sites that name no township's object
NOT_SCOPED_PREFIXES = {
    "admin/": "Django admin: superusers only (is_staff), not region-scoped by design",
}
# Single routes that name no township's object, and why
NOT_SCOPED = {
    "portal/bodies/<str:kind>/": "the public directory (机构查询) of a kind a line registered: public by design",
    "portal/bodies/<str:kind>/<int:pk>/": "a body's public page: only the attributes its kind made public, its "
    "grade and its published inspection results",
    "portal/institution/reports/<str:code>/<int:year>/": "names a report template of the account's own kind and a "
    "year: the report is always the signed-in account's own entity's (another kind's template is 404)",
    "portal/institution/p/<str:code>/": "a page a line registered for the account's kind; the view is given the "
    "account's own entity only (none registered here)",
    "portal/institution/p/<str:code>/<path:subpath>": "the same registered page's own sub-paths",
    "benefits/standards/<str:key>/": "a standard type (dibao_monthly …): policy of a region, the page shows the "
    "user's own region's versions; setting one needs standards.manage over that region",
    "calendar/<int:year>/": "the working-day calendar is national, not a township's; jobs.manage only",
    "calendar/<int:year>/delete/": "the working-day calendar is national, not a township's; jobs.manage only",
    "monitoring/rules/<str:code>/": "a monitoring rule is county configuration; monitoring.configure only",
    "sources/<str:code>/": "a partner data source is a catalogue entry; sources.view only",
    "sources/<str:code>/template.csv": "a partner data source's empty template; sources.view only",
    "sources/<str:code>/upload/": "a partner data source's upload form; sources.load only",
    "sources/batches/<int:pk>/": "a partner batch covers the whole county (ADR 0008); sources.view only, ID "
    "numbers masked",
    "sources/batches/<int:pk>/reveal/<int:row_no>/": "a partner batch covers the whole county (ADR 0008); "
    "sources.view, each reveal audited and limited (ADR 0016)",
    "api/v1/sources/<kind>/batches": "a partner's push of a whole county batch: the kind names a source, "
    "sources.load only",
    "portal/guide/<str:code>/": "办事指南 of a case type: public",
    "portal/notices/<int:pk>/objection/": "公示 are public by law (民发〔2021〕57号): anyone may object to an open one",
    "portal/report/<str:number>/": "a hardship report's status needs the citizen-held code with the number; "
    "whether a number exists is not told (see test_portal_report)",
}


def _world(settings, tmp_path) -> dict:
    """The demo city (users of every role per township, roll, cases at every step, partner data, alerts)
    and what it lacks: jobs, a payroll cycle, a one-off payment, a 核对 with report and appeal, a referral,
    a hardship report, messages, and a citizen of 塘下 with a draft and a submission."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from minzheng.business.assistance.jobs import SIMULATE
    from minzheng.engines.benefits import payroll
    from minzheng.engines.benefits.models import Enrollment
    from minzheng.engines.benefits.payments import payment_record
    from minzheng.engines.cases.models import Case, CaseDocument, Material
    from minzheng.engines.monitoring.models import Alert
    from minzheng.engines.monitoring.services import alert_handle, hardship_report
    from minzheng.engines.verification.batch import BATCH_JOB
    from minzheng.engines.verification.services import appeal_file, report_issue, verification_request
    from minzheng.engines.verification.store import LOAD_JOB
    from minzheng.foundation.accounts.models import User
    from minzheng.foundation.jobs.services import job_enqueue
    from minzheng.foundation.notify.models import Channel
    from minzheng.foundation.notify.services import notify_send
    from minzheng.foundation.registry.models import Membership
    from minzheng.sites.demo.services import demo_build
    from minzheng.sites.portal.models import Draft, Submission
    from tests.engines.verification.test_verification import PDF
    from tests.sites.portal.test_portal_apply import make_citizen

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    demo_build(persons=300, log=lambda m: None)
    u = {name: User.objects.get(username=name) for name in
         ("anyang_admin", "tangxia_acceptor", "tangxia_admin", "ra_approver", "ra_finance", "ra_admin")}  # fmt: skip
    b = "330381101"  # 塘下镇
    w = {"users": u}
    cases = Case.objects.filter(region_code__startswith=b)
    w["case"] = case = cases.filter(documents__isnull=False, materials__isnull=False).distinct().order_by("pk").first()
    w["material"] = Material.objects.filter(case=case).first()
    w["document"] = CaseDocument.objects.filter(case=case).first()
    w["enrollment"] = Enrollment.objects.filter(region_code__startswith=b).first()
    w["alert"] = alert = Alert.objects.filter(region_code__startswith=b).first()
    w["referral"] = alert_handle(user=u["tangxia_admin"], alert=alert, way="refer", note="转民政", department="医保局")
    w["hardship"] = hardship_report(
        channel="portal", description="老人独居，冬天没有取暖", region_code=alert.region_code
    )
    # a 核对 of a 塘下 household, its report (county office) and an appeal
    household = w["enrollment"].household or Membership.objects.filter(person=w["enrollment"].person).first().household
    w["household"] = household
    w["person"] = household.head
    w["membership"] = Membership.objects.filter(household=household).first()
    members = [m.person for m in Membership.objects.filter(household=household, valid_to__isnull=True)]
    today = timezone.localdate()

    def adult(p):
        return p.birth_date <= today.replace(year=today.year - 18)

    req = verification_request(
        user=u["tangxia_admin"], household=household, sources=["vehicle", "bank"], purpose="低保复核",
        authorizations=[{"person": p, "signer_name": p.name if adult(p) else household.head.name,
                         "signer_role": "self" if adult(p) else "guardian", "file": PDF,
                         "file_name": f"授权书-{p.pk}.pdf", "signed_at": today, "expires_at": None} for p in members],
    )  # fmt: skip
    w["request"], w["authorization"] = req, req.authorizations.first()
    w["report"] = report = report_issue(user=u["ra_approver"], request=req)
    w["appeal"] = appeal_file(user=u["tangxia_admin"], report=report, grounds="车辆已出售", filed_by_name="户主")
    # jobs: of 塘下 and of the county
    jobs = {}
    for kind, who in ((SIMULATE, "ra_approver"), (BATCH_JOB, "ra_approver"), (LOAD_JOB, "ra_admin"),
                      ("benefits.payroll_generate", "ra_finance"), ("registry.import", "tangxia_admin")):  # fmt: skip
        jobs[kind] = job_enqueue(kind=kind, title="测试", params={}, user=u[who], run=False)
    w["jobs"] = jobs
    # the county's payroll of the current month, and a one-off payment to the 塘下 household
    month = today.replace(day=1)
    w["cycle"] = payroll.payroll_generate(user=u["ra_finance"], program="dibao", month=month.strftime("%Y-%m"))
    w["payment"] = payment_record(
        user=None, program="temp_assistance", household=household, payee=household.head, amount=Decimal("500.00"),
        decided_on=today, source_case=case.number, method="bank", event="火灾", event_date=today - dt.timedelta(days=3),
    )  # fmt: skip
    # a care home of 塘下 (the eldercare demo step builds them) with a resident
    from minzheng.business.eldercare.models import Admission
    from minzheng.business.eldercare.services import admission_record
    from minzheng.engines.supervision.models import Supervised
    from minzheng.foundation.registry.models import Person

    w["care_home"] = home = (
        Supervised.objects.filter(kind="care_home", entity__region_code__startswith=b).order_by("pk").first()
    )
    w["admission"] = Admission.objects.filter(supervised=home).first() or admission_record(
        user=None, supervised=home, person=Person.objects.filter(region_code__startswith=b, death_date__isnull=True)
        .exclude(pk__in=Admission.objects.filter(discharged_on__isnull=True).values("person_id")).first(),
    )  # fmt: skip
    w["message"] = notify_send(channel=Channel.IN_APP, subject="待办", body="有新的待办", user=u["tangxia_acceptor"],
                               region_code=household.region_code)  # fmt: skip
    # a citizen of 塘下 with a draft and an online submission; the requesting citizen is someone else
    head = case.applicant
    w["citizen_b"] = citizen_b = make_citizen(head.name, head.id_number, person=head, phone="13912345678")
    _supervision(w, u, today)
    w["draft"] = Draft.objects.create(citizen=citizen_b, case_type="dibao_application", data="{}", step="household",
                                      files=[{"code": "application", "file_id": w["material"].file_id, "name": "a.pdf"}])  # fmt: skip
    Submission.objects.create(case=case, citizen=citizen_b, acting_as="self")
    return w


def _supervision(w, u, today):
    """A regulated entity of 塘下 (the engine's test kind) with a completed inspection and its hazard."""
    from minzheng.engines.supervision import services as sup
    from minzheng.engines.supervision.models import TemplateItem
    from minzheng.foundation.accounts.services import user_create
    from tests.engines.supervision.helpers import KIND, entity_make, limits_set, signature, template_make

    limits_set()
    template = template_make(u["ra_admin"])
    inspector = user_create(username="matrix_inspector", password="Test@Pass2026", grants=[("inspector", "330381101")])
    entity = entity_make(u["ra_approver"], w["household"].region_code, serial=990, name="塘下敬老院")
    w["supervised"] = s = sup.supervised_register(user=u["ra_approver"], entity=entity, kind=KIND)
    insp = sup.inspection_start(user=inspector, supervised=s, purpose="fire", inspected_on=today)
    for item in TemplateItem.objects.filter(section__template=template):
        sup.inspection_result_set(user=inspector, inspection=insp, item=item, outcome="fail", note="问题")
    w["inspection"] = sup.inspection_complete(user=inspector, inspection=insp, conclusion="整改",
                                              inspector_signature=signature(inspector, "330381101000"),
                                              representative_refused="拒签")  # fmt: skip
    w["hazard"] = insp.hazards.order_by("pk").first()
    # institution accounts (机构端): the 塘下 entity's, and one of an entity of 安阳 (the requesting side)
    from minzheng.engines.supervision import institutions

    own = sup.supervised_register(user=u["ra_approver"], kind=KIND,
                                  entity=entity_make(u["ra_approver"], "330381001001", serial=991, name="安阳养老院"))  # fmt: skip
    w["inst_other"] = institutions.account_create(user=u["ra_approver"], supervised=s, username="matrix.other",
                                                  name="李", phone="13955550102", password="Jigou#2026pass")  # fmt: skip
    w["inst_own"] = institutions.account_create(user=u["ra_approver"], supervised=own, username="matrix.own",
                                                name="陈", phone="13955550101", password="Jigou#2026pass")  # fmt: skip
    _supervision_programmes(w, u, s, inspector, today)


def _supervision_programmes(w, u, s, inspector, today):
    """A draw plan of 塘下, an avoidance, a grading, a list entry and an annual report of its entity."""
    from minzheng.engines.supervision import draws, gradings, reports
    from minzheng.engines.supervision.models import Listing
    from tests.engines.supervision.helpers import KIND

    w["draw_plan"] = draws.draw_run(user=u["ra_approver"], kind=KIND, region_code="330381101000", entities=1,
                                    inspectors_per_entity=1, seed="矩阵", exclude_township=False, statuses=[s.status])  # fmt: skip
    w["avoidance"] = draws.avoidance_declare(user=u["ra_approver"], inspector=inspector, supervised=s, reason="亲属")
    sheet = gradings.grading_sheet_create(
        user=u["ra_admin"], kind=KIND, code="MATRIX", name="评分表", effective_from=dt.date(2020, 1, 1),
        sections=[{"name": "服务", "maximum": 100}], grades=[{"name": "一级", "rank": 1, "min_total": 60,
                                                             "min_section_share": "0.5"}],
    )  # fmt: skip
    sheet = gradings.grading_sheet_publish(user=u["ra_admin"], sheet=sheet)
    w["grading"] = gradings.grading_self_assess(user=u["ra_approver"], supervised=s, sheet=sheet, scores={"服务": 70})
    w["listing"] = Listing.objects.create(supervised=s, list_code="matrix_list", region_code=s.entity.region_code,
                                          reason_code="x", listed_at=today, clock_start=today)  # fmt: skip
    template = reports.report_template_create(user=u["ra_admin"], kind=KIND, code="matrix_annual", name="年报",
                                              due_month=5, due_day=31, first_year=2020,
                                              fields=[{"code": "beds", "label": "床位数", "type": "int"}])  # fmt: skip
    w["annual_report"] = reports.report_save(user=u["ra_approver"], template=template, supervised=s,
                                             year=today.year - 1, values={"beds": 3})  # fmt: skip


def _case(w):
    return {"number": w["case"].number}


def _verification(w):
    return {"number": w["request"].number}


# route -> the path parameters naming an object outside 安阳街道 (the requesting user's only region)
ROUTES = {
    # workbench: registry
    "persons/<int:pk>/": lambda w: {"pk": w["person"].pk},
    "persons/<int:pk>/edit/": lambda w: {"pk": w["person"].pk},
    "persons/<int:pk>/reveal/<str:field>/": lambda w: {"pk": w["person"].pk, "field": "id_number"},
    "households/<int:pk>/": lambda w: {"pk": w["household"].pk},
    "households/<int:pk>/edit/": lambda w: {"pk": w["household"].pk},
    "households/<int:pk>/reveal/<str:field>/": lambda w: {"pk": w["household"].pk, "field": "bank_account"},
    "households/<int:pk>/members/add/": lambda w: {"pk": w["household"].pk},
    "households/<int:pk>/members/<int:membership_id>/end/": lambda w: {
        "pk": w["household"].pk,
        "membership_id": w["membership"].pk,
    },
    "households/<int:pk>/chain/": lambda w: {"pk": w["household"].pk},
    "jobs/<int:pk>/": lambda w: {"pk": w["jobs"]["registry.import"].pk},
    "jobs/<int:pk>/retry/": lambda w: {"pk": w["jobs"]["registry.import"].pk},
    # workbench: benefits
    "benefits/enrollments/<int:pk>/": lambda w: {"pk": w["enrollment"].pk},
    "benefits/enrollments/<int:pk>/change/": lambda w: {"pk": w["enrollment"].pk},
    "benefits/payroll/jobs/<int:pk>/": lambda w: {"pk": w["jobs"]["benefits.payroll_generate"].pk},
    "benefits/payroll/<int:pk>/": lambda w: {"pk": w["cycle"].pk},
    "benefits/payroll/<int:pk>/recalculate/": lambda w: {"pk": w["cycle"].pk},
    "benefits/payroll/<int:pk>/approve/": lambda w: {"pk": w["cycle"].pk},
    "benefits/payroll/<int:pk>/release/": lambda w: {"pk": w["cycle"].pk},
    "benefits/payroll/<int:pk>/export/": lambda w: {"pk": w["cycle"].pk},
    "benefits/payroll/<int:pk>/reconcile/": lambda w: {"pk": w["cycle"].pk},
    "benefits/payroll/<int:pk>/reissue/": lambda w: {"pk": w["cycle"].pk},
    "benefits/simulation/<int:pk>/": lambda w: {"pk": w["jobs"]["assistance.simulate"].pk},
    "benefits/payments/<str:number>/settle/": lambda w: {"number": w["payment"].number},
    "benefits/payments/<str:number>/reissue/": lambda w: {"number": w["payment"].number},
    "benefits/payments/<str:number>/recovered/": lambda w: {"number": w["payment"].number},
    # workbench: cases
    "cases/<str:number>/": _case,
    "cases/<str:number>/act/": _case,
    "cases/<str:number>/claim/": _case,
    "cases/<str:number>/release/": _case,
    "cases/<str:number>/suspend/": _case,
    "cases/<str:number>/resume/": _case,
    "cases/<str:number>/extend/": _case,
    "cases/<str:number>/materials/": _case,
    "cases/<str:number>/objections/": _case,
    "cases/<str:number>/files/<int:pk>/": lambda w: {**_case(w), "pk": w["material"].file_id},
    "cases/<str:number>/documents/<int:pk>/download/": lambda w: {**_case(w), "pk": w["document"].pk},
    "cases/<str:number>/documents/<str:kind>/": lambda w: {**_case(w), "kind": w["document"].kind},
    # workbench: messages, sources
    "messages/<int:pk>/read/": lambda w: {"pk": w["message"].pk},
    "messages/outbox/<int:pk>/retry/": lambda w: {"pk": w["message"].pk},
    "sources/jobs/<int:pk>/": lambda w: {"pk": w["jobs"]["sources.load"].pk},
    # workbench: verification
    "verification/batch/<int:pk>/": lambda w: {"pk": w["jobs"]["verification.batch"].pk},
    "verification/batch/<int:pk>/file/": lambda w: {"pk": w["jobs"]["verification.batch"].pk},
    "verification/reports/<str:number>/pdf/": lambda w: {"number": w["report"].number},
    "verification/reports/<str:number>/adopt/": lambda w: {"number": w["report"].number},
    "verification/reports/<str:number>/appeal/": lambda w: {"number": w["report"].number},
    "verification/appeals/<int:pk>/decide/": lambda w: {"pk": w["appeal"].pk},
    "verification/<str:number>/": _verification,
    "verification/<str:number>/issue/": _verification,
    "verification/<str:number>/authorizations/<int:pk>/": lambda w: {**_verification(w), "pk": w["authorization"].pk},
    # workbench: monitoring
    "monitoring/alerts/<str:number>/": lambda w: {"number": w["alert"].number},
    "monitoring/alerts/<str:number>/handle/": lambda w: {"number": w["alert"].number},
    "monitoring/alerts/<str:number>/referrals/<int:pk>/": lambda w: {
        "number": w["alert"].number,
        "pk": w["referral"].pk,
    },
    "monitoring/reports/<str:number>/": lambda w: {"number": w["hardship"].number},
    # workbench: eldercare
    "eldercare/homes/<int:pk>/": lambda w: {"pk": w["care_home"].pk},
    "eldercare/homes/<int:pk>/admit/": lambda w: {"pk": w["care_home"].pk},
    "eldercare/admissions/<int:pk>/discharge/": lambda w: {"pk": w["admission"].pk},
    # workbench: supervision
    "supervision/entities/<int:pk>/": lambda w: {"pk": w["supervised"].pk},
    "supervision/entities/<int:pk>/inspect/": lambda w: {"pk": w["supervised"].pk},
    "supervision/entities/<int:pk>/attributes/": lambda w: {"pk": w["supervised"].pk},
    "supervision/entities/<int:pk>/status/": lambda w: {"pk": w["supervised"].pk},
    "supervision/entities/<int:pk>/accounts/": lambda w: {"pk": w["supervised"].pk},
    "supervision/entities/<int:pk>/accounts/<int:account_id>/end/": lambda w: {
        "pk": w["supervised"].pk,
        "account_id": w["inst_other"].pk,
    },
    "supervision/inspections/<int:pk>/": lambda w: {"pk": w["inspection"].pk},
    "supervision/inspections/<int:pk>/complete/": lambda w: {"pk": w["inspection"].pk},
    "supervision/inspections/<int:pk>/record.pdf": lambda w: {"pk": w["inspection"].pk},
    "supervision/hazards/<int:pk>/": lambda w: {"pk": w["hazard"].pk},
    "supervision/hazards/<int:pk>/rectify/": lambda w: {"pk": w["hazard"].pk},
    "supervision/hazards/<int:pk>/reinspect/": lambda w: {"pk": w["hazard"].pk},
    "supervision/draws/<int:pk>/": lambda w: {"pk": w["draw_plan"].pk},
    "supervision/draws/<int:pk>/verify/": lambda w: {"pk": w["draw_plan"].pk},
    "supervision/draws/<int:pk>/publish/": lambda w: {"pk": w["draw_plan"].pk},
    "supervision/draws/<int:pk>/findings/": lambda w: {"pk": w["draw_plan"].pk},
    "supervision/entities/<int:pk>/avoidances/": lambda w: {"pk": w["supervised"].pk},
    "supervision/avoidances/<int:pk>/end/": lambda w: {"pk": w["avoidance"].pk},
    "supervision/entities/<int:pk>/grading/": lambda w: {"pk": w["supervised"].pk},
    "supervision/gradings/<int:pk>/": lambda w: {"pk": w["grading"].pk},
    "supervision/gradings/<int:pk>/score/": lambda w: {"pk": w["grading"].pk},
    "supervision/gradings/<int:pk>/close/": lambda w: {"pk": w["grading"].pk},
    "supervision/gradings/<int:pk>/notice/": lambda w: {"pk": w["grading"].pk},
    "supervision/gradings/<int:pk>/decide/": lambda w: {"pk": w["grading"].pk},
    "supervision/gradings/<int:pk>/return/": lambda w: {"pk": w["grading"].pk},
    "supervision/gradings/<int:pk>/withdraw/": lambda w: {"pk": w["grading"].pk},
    "supervision/entities/<int:pk>/listings/": lambda w: {"pk": w["supervised"].pk},
    "supervision/listings/<int:pk>/remove/": lambda w: {"pk": w["listing"].pk},
    "supervision/entities/<int:pk>/reports/new/": lambda w: {"pk": w["supervised"].pk},
    "supervision/reports/<int:pk>/": lambda w: {"pk": w["annual_report"].pk},
    "supervision/reports/<int:pk>/review/": lambda w: {"pk": w["annual_report"].pk},
    # API
    "api/v1/supervision/entities/<entity_id>": lambda w: {"entity_id": w["supervised"].pk},
    "api/v1/supervision/inspections/<inspection_id>": lambda w: {"inspection_id": w["inspection"].pk},
    "api/v1/supervision/hazards/<hazard_id>": lambda w: {"hazard_id": w["hazard"].pk},
    "api/v1/supervision/hazards/<hazard_id>/rectifications": lambda w: {"hazard_id": w["hazard"].pk},
    # the institution API: another entity's hazard (the caller is the account of an entity of 安阳)
    "api/v1/institution/hazards/<hazard_id>": lambda w: {"hazard_id": w["hazard"].pk},
    "api/v1/institution/hazards/<hazard_id>/rectifications": lambda w: {"hazard_id": w["hazard"].pk},
    "api/v1/persons/<person_id>": lambda w: {"person_id": w["person"].pk},
    "api/v1/persons/<person_id>/reveal": lambda w: {"person_id": w["person"].pk},
    "api/v1/households/<household_id>": lambda w: {"household_id": w["household"].pk},
    "api/v1/assistance/enrollments/<enrollment_id>": lambda w: {"enrollment_id": w["enrollment"].pk},
    "api/v1/cases/<number>": _case,
    "api/v1/cases/<number>/transitions": _case,
    "api/v1/cases/<number>/materials": _case,
    "api/v1/hardship-reports/<number>": lambda w: {"number": w["hardship"].number},
    "api/v1/verification/reports/<number>": lambda w: {"number": w["report"].number},
    # portal: another citizen's
    "portal/apply/<int:pk>/": lambda w: {"pk": w["draft"].pk},
    "portal/apply/<int:pk>/upload/": lambda w: {"pk": w["draft"].pk},
    "portal/apply/<int:pk>/files/<int:index>/remove/": lambda w: {"pk": w["draft"].pk, "index": 0},
    "portal/apply/<int:pk>/sign/<int:index>/": lambda w: {"pk": w["draft"].pk, "index": 0},
    "portal/apply/<int:pk>/sign/<int:index>/code/": lambda w: {"pk": w["draft"].pk, "index": 0},
    "portal/apply/<int:pk>/sign/<int:index>/confirm/": lambda w: {"pk": w["draft"].pk, "index": 0},
    "portal/apply/<int:pk>/sign/<int:index>/proxy/": lambda w: {"pk": w["draft"].pk, "index": 0},
    "portal/apply/<int:pk>/sign/<int:index>/ask/": lambda w: {"pk": w["draft"].pk, "index": 0},
    "portal/apply/<int:pk>/submit/": lambda w: {"pk": w["draft"].pk},
    "portal/apply/<int:pk>/discard/": lambda w: {"pk": w["draft"].pk},
    "portal/apply/<int:pk>/<str:step>/": lambda w: {"pk": w["draft"].pk, "step": "household"},
    "portal/apply/done/<str:number>/": _case,
    "portal/cases/<str:number>/": _case,
    "portal/cases/<str:number>/upload/": _case,
    "portal/cases/<str:number>/documents/<int:pk>/": lambda w: {**_case(w), "pk": w["document"].pk},
    # portal, institution site (机构端): another entity's hazard (the caller is the account of an entity of 安阳)
    "portal/institution/hazards/<int:pk>/": lambda w: {"pk": w["hazard"].pk},
    "portal/institution/hazards/<int:pk>/rectify/": lambda w: {"pk": w["hazard"].pk},
}
# where the answer is not 404, and why (nothing so far: every object outside the scope is "not found")
OTHER_STATUS: dict[str, tuple[int, str]] = {}
# where the control (a superuser, or the owning citizen) may get a 404 too, and why
CONTROL_404 = {
    "verification/batch/<int:pk>/file/": "the Excel exists once the job has run; the job is the detail page's",
}


def _not_scoped(route: str) -> bool:
    return route in NOT_SCOPED or route.startswith(tuple(NOT_SCOPED_PREFIXES))


def test_every_parameterised_route_has_an_entry():
    """A URL a new line adds with a path parameter fails here until it is in ROUTES (or NOT_SCOPED)."""
    routes = _routes()
    missing = sorted(r for r in routes if r not in ROUTES and not _not_scoped(r))
    assert not missing, "routes with parameters but no entry in ROUTES or NOT_SCOPED:\n" + "\n".join(missing)
    stale = sorted((set(ROUTES) | set(NOT_SCOPED) | set(OTHER_STATUS) | set(CONTROL_404)) - routes)
    assert not stale, "entries for routes that no longer exist:\n" + "\n".join(stale)
    assert (
        len(routes) > 90 and any(r.startswith("api/") for r in ROUTES) and any(r.startswith("portal/") for r in ROUTES)
    )


def _fingerprint_sql() -> str:
    """One query: the row count of every table of the project (sessions and login bookkeeping aside)
    and the latest change time of every table that keeps one (an update changes no count)."""
    from django.apps import apps
    from django.db import connection

    q = connection.ops.quote_name
    parts = []
    for model in apps.get_models():
        if model._meta.app_label in ("sessions", "axes", "admin", "contenttypes") or not model._meta.managed:
            continue
        changed = next((f.column for f in model._meta.concrete_fields if f.name in ("updated_at", "changed_at")), None)
        latest = f"CAST(MAX({q(changed)}) AS VARCHAR(40))" if changed else "''"
        parts.append(f"SELECT '{model._meta.label}', COUNT(*), {latest} FROM {q(model._meta.db_table)}")  # noqa: S608
    return " UNION ALL ".join(parts)


def _fingerprint(sql: str) -> dict:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql)
        return {label: (n, latest) for label, n, latest in cur.fetchall()}


def _route_url(route: str, kwargs: dict) -> str:
    return "/" + PARAM.sub(lambda m: str(kwargs[m["name"]]), route)


@pytest.mark.django_db
def test_every_object_outside_the_scope_is_404_and_nothing_changes(settings, tmp_path, supervision_test_kind):
    from minzheng.foundation.accounts.models import User
    from tests.engines.verification.test_verification import PDF
    from tests.sites.portal.test_portal_apply import make_citizen, signed_in

    w = _world(settings, tmp_path)
    staff = Client(raise_request_exception=False)
    staff.force_login(w["users"]["anyang_admin"])  # every right, over 安阳街道 only
    api = Client(raise_request_exception=False,
                 headers={"authorization": f"Bearer {token_issue(user=w['users']['anyang_admin'])}"})  # fmt: skip
    root = User.objects.create_superuser("matrix_root", password="x")
    control = Client(raise_request_exception=False)
    control.force_login(root)
    control_api = Client(raise_request_exception=False, headers={"authorization": f"Bearer {token_issue(user=root)}"})
    own = Household.objects.filter(region_code__startswith="330381001", head__isnull=False).first().head
    stranger = make_citizen(own.name, own.id_number, person=own, phone="13912349999")  # a citizen of 安阳
    citizen, citizen_b = signed_in(stranger), signed_in(w["citizen_b"])
    from minzheng.engines.supervision.institutions import token_issue as inst_token
    from tests.sites.portal.test_portal_institution import signed as inst_signed

    inst, inst_b = inst_signed(w["inst_own"]), inst_signed(w["inst_other"])
    inst_api = Client(raise_request_exception=False,
                      headers={"authorization": f"Bearer {inst_token(account=w['inst_own'])}"})  # fmt: skip
    inst_api_b = Client(raise_request_exception=False,
                        headers={"authorization": f"Bearer {inst_token(account=w['inst_other'])}"})  # fmt: skip
    body = {"name": "篡改", "reason": "x", "opinion": "x", "action": "accept", "answer": "x", "note": "x",
            "way": "deliver", "result": "paid", "months": "1", "days": "5", "field": "id_number", "content": "x",
            "grounds": "x", "decision": "x", "upheld": "1", "code": "000000", "confirm": "1"}  # fmt: skip

    sql = _fingerprint_sql()
    failures, checked = [], 0
    for route in sorted(_routes()):
        if _not_scoped(route):
            continue
        url = _route_url(route, ROUTES[route](w))
        if route.startswith("api/v1/institution/"):
            client, methods, owner = inst_api, ("get", "post", "patch", "delete"), inst_api_b
        elif route.startswith("api/"):
            client, methods, owner = api, ("get", "post", "patch", "delete"), control_api
        elif route.startswith("portal/institution/"):
            client, methods, owner = inst, ("get", "post"), inst_b
        elif route.startswith("portal/"):
            client, methods, owner = citizen, ("get", "post"), citizen_b
        else:
            client, methods, owner = staff, ("get", "post"), control
        expected, _why = OTHER_STATUS.get(route, (404, ""))
        seen = []
        before = _fingerprint(sql)
        for method in methods:
            if method in ("get", "delete"):
                r = getattr(client, method)(url)
            elif route == "api/v1/cases/<number>/materials":  # multipart: a valid upload reaches the lookup
                pdf = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
                r = client.post(url, {"code": "application", "file": pdf})
            elif route.startswith("api/"):
                r = getattr(client, method)(url, body, content_type="application/json")
            else:
                r = getattr(client, method)(url, body)
            seen.append(r.status_code)
            after = _fingerprint(sql)
            if after != before:
                changed = sorted(k for k in after if after[k] != before.get(k))
                failures.append(f"{method.upper()} {url} ({route}): changed {changed}")
            if r.status_code not in (expected, 405):
                failures.append(f"{method.upper()} {url} ({route}): {r.status_code}, expected {expected}")
        if expected not in seen:
            failures.append(f"{url} ({route}): no method answered {expected} ({seen})")
        # the object is real: whoever may see it does not get a 404
        mine = owner.get(url)
        if mine.status_code == 404 and route not in CONTROL_404:
            failures.append(f"GET {url} ({route}): 404 for its owner too, the table names no real object")
        checked += 1
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)
    assert checked == len(ROUTES)
