"""``/api/v1/sources``: partner push with scoped tokens, staff reads, and the scoped-token rule
(a token with scopes is refused by every endpoint that does not require one of them)."""

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from minzheng.engines.verification.models import SourceBatch
from minzheng.foundation.accounts.models import ApiToken, User
from minzheng.foundation.accounts.services import token_issue, token_lookup, token_user
from minzheng.foundation.audit.models import AuditEvent

HEADER = "id_number,name,death_date,cancelled_on,region_code"


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def partner(db):
    user = User(username="gaj_push")
    user.set_unusable_password()
    user.save()
    return user


def client(token: str) -> Client:
    return Client(headers={"authorization": f"Bearer {token}"})


def csv_of(*rows) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


@pytest.mark.django_db
def test_partner_pushes_its_own_source_raw_and_multipart(partner, ids):
    api = client(token_issue(user=partner, scopes=["sources:death"]))
    r = api.post(
        "/api/v1/sources/death/batches?as_of=2025-01-31", csv_of(f"{ids()},甲,2025-01-01,,"), content_type="text/csv"
    )
    assert r.status_code == 201, r.content
    body = r.json()
    batch = SourceBatch.objects.get(pk=body["batch"])
    assert body == {"source": "death", "batch": batch.pk, "rows": 1, "accepted": True, "errors": []}
    assert batch.channel == "api" and batch.loaded_by == partner and str(batch.as_of) == "2025-01-31"
    audit = AuditEvent.objects.get(action="import", object_id=str(batch.pk))
    assert audit.actor_name == "gaj_push" and audit.channel == "api"

    upload = io.BytesIO(csv_of(f"{ids()},乙,2025-01-02,,"))
    upload.name = "death.csv"
    r = api.post("/api/v1/sources/death/batches", {"file": upload})
    assert r.status_code == 201 and SourceBatch.objects.get(pk=r.json()["batch"]).version == 2


@pytest.mark.django_db
def test_refused_push_is_422_with_errors_and_changes_nothing(partner, ids):
    api = client(token_issue(user=partner, scopes=["sources:death"]))
    api.post("/api/v1/sources/death/batches", csv_of(f"{ids()},甲,2025-01-01,,"), content_type="text/csv")
    r = api.post("/api/v1/sources/death/batches", csv_of("12345,甲,2025-01-01,,"), content_type="text/csv")
    assert r.status_code == 422
    body = r.json()
    assert body["accepted"] is False and body["errors"][0]["row"] == 2
    assert "身份证号" in body["errors"][0]["column"] and "18位" in body["errors"][0]["message"]
    assert SourceBatch.objects.filter(state="accepted").count() == 1


@pytest.mark.django_db
def test_scoped_token_cannot_push_another_source_or_read_anything(partner, ids, household_in):
    api = client(token_issue(user=partner, scopes=["sources:death"]))
    r = api.post("/api/v1/sources/vehicle/batches", b"id_number\n", content_type="text/csv")
    assert r.status_code == 403 and "机动车登记" in r.json()["detail"]
    assert not SourceBatch.objects.exists()
    for url in ("/api/v1/persons", "/api/v1/households", "/api/v1/sources", "/api/v1/tasks"):
        assert api.get(url).status_code == 401, url
    # even a partner token of a user with grants reads nothing
    staff = household_in[1]
    assert staff  # the household's creator has grants; give its user a scoped token
    anyang = User.objects.get(username="anyang")
    scoped = client(token_issue(user=anyang, scopes=["sources:death"]))
    assert scoped.get("/api/v1/persons").status_code == 401
    assert scoped.post("/api/v1/persons", {}, content_type="application/json").status_code == 401
    other_scope = client(token_issue(user=partner, scopes=["hardship:report"]))
    assert other_scope.post("/api/v1/sources/death/batches", b"x", content_type="text/csv").status_code == 401


@pytest.mark.django_db
def test_unscoped_staff_token_works_as_before(county_user, anyang_user, ids, household_in):
    staff = client(token_issue(user=county_user))
    assert staff.get("/api/v1/persons").status_code == 200
    listed = staff.get("/api/v1/sources")
    assert listed.status_code == 200
    assert {s["code"] for s in listed.json()} >= {"death", "bank", "student_aid"}
    r = staff.post("/api/v1/sources/death/batches", csv_of(f"{ids()},甲,2025-01-01,,"), content_type="text/csv")
    assert r.status_code == 201
    death = next(s for s in staff.get("/api/v1/sources").json() if s["code"] == "death")
    assert death["version"] == 1 and death["rows"] == 1 and death["stale"] is False
    township = client(token_issue(user=anyang_user))  # no sources.view / sources.load
    assert township.get("/api/v1/persons").status_code == 200
    assert township.get("/api/v1/sources").status_code == 403
    assert township.post("/api/v1/sources/death/batches", csv_of(), content_type="text/csv").status_code == 403
    assert staff.post("/api/v1/sources/nope/batches", b"x", content_type="text/csv").status_code == 404


@pytest.mark.django_db
def test_token_services(partner, county_user):
    plain = token_issue(user=partner, scopes=["sources:death", "sources:death"])
    token = token_lookup(plain)
    assert token.scopes == ["sources:death"] and token.user == partner
    assert token_user(plain) is None  # a scoped token is not a staff token
    assert token_user(token_issue(user=county_user)) == county_user
    assert token_lookup("mz_nope") is None


@pytest.mark.django_db
def test_tokens_command_issue_list_revoke(regions):
    out = io.StringIO()
    call_command(
        "tokens", "issue", "--user", "mz_partner", "--scope", "sources:death", "--days", "30", "--create", stdout=out,
        stderr=io.StringIO(),
    )  # fmt: skip
    issued = json.loads(out.getvalue())
    assert issued["scopes"] == ["sources:death"] and issued["token"].startswith("mz_")
    user = User.objects.get(username="mz_partner")
    assert not user.has_usable_password() and not user.grants.exists()
    api = client(issued["token"])
    assert api.get("/api/v1/persons").status_code == 401
    out = io.StringIO()
    call_command("tokens", "list", "--user", "mz_partner", stdout=out)
    listed = json.loads(out.getvalue())
    assert listed["id"] == issued["id"] and listed["active"] is True and "token" not in listed
    call_command("tokens", "revoke", str(issued["id"]), stdout=io.StringIO())
    assert token_lookup(issued["token"]) is None
    assert api.post("/api/v1/sources/death/batches", b"x", content_type="text/csv").status_code == 401
    assert ApiToken.objects.get(pk=issued["id"]).scopes == ["sources:death"]
    assert AuditEvent.objects.filter(object_type="accounts.apitoken").count() == 2
