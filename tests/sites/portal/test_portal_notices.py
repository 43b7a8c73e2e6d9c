"""The public notice board: masked content only, objections from anyone (throttled), nothing else
about the household."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from minzheng.engines.cases.models import Objection
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.money import yuan
from tests.conftest import ANYANG_VILLAGE, TANGXIA_VILLAGE
from tests.engines.cases.test_cases import _open, _to_notice, staff  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


@pytest.fixture
def noticed(staff, household_in, assistance_standards):  # noqa: F811
    return _to_notice(staff, _open(staff, household_in), timezone.localdate())


def test_board_shows_masked_content_only(noticed, household_in):
    _, head, spouse = household_in
    body = Client().get(f"/portal/notices/?region={ANYANG_VILLAGE}").content.decode()
    assert "王*国" in body and "共 2 人" in body and yuan(noticed.data["amount"]) in body  # 1,910.00
    for secret in ("王建国", head.id_number, head.id_number_masked, "安阳路1号", "13800001111", spouse.name):
        assert secret not in body
    assert "王*国" not in Client().get(f"/portal/notices/?region={TANGXIA_VILLAGE}").content.decode()


def test_anyone_may_object_and_the_case_waits(noticed):
    notice = noticed.notices.get()
    c = Client(enforce_csrf_checks=False)
    r = c.post(f"/portal/notices/{notice.pk}/objection/", {"content": "该户有经营性车辆", "phone": "13900001234"})
    assert r.status_code == 302
    obj = Objection.objects.get(notice=notice)
    assert obj.channel == "portal" and obj.name == "" and obj.phone_masked == "139****1234"
    assert AuditEvent.objects.filter(object_type="cases.objection", object_id=str(obj.pk)).exists()
    r = c.post(f"/portal/notices/{notice.pk}/objection/", {"content": "  "})
    assert r.status_code == 422 and "请填写异议内容" in r.content.decode()
    r = c.post(f"/portal/notices/{notice.pk}/objection/", {"content": "x", "phone": "123"})
    assert r.status_code == 422 and "11 位" in r.content.decode()


def test_objections_are_throttled(noticed):
    notice = noticed.notices.get()
    c = Client()
    codes = [c.post(f"/portal/notices/{notice.pk}/objection/", {"content": f"异议{i}"}).status_code for i in range(6)]
    assert codes == [302] * 5 + [429]
    assert Objection.objects.filter(notice=notice).count() == 5


def test_a_signed_in_citizen_sees_their_own_village_first(noticed, household_in, settings):
    from minzheng.sites.portal.models import Citizen
    from minzheng.sites.portal.session import SESSION_KEY

    _, head, _ = household_in
    citizen = Citizen.objects.create(phone="13800001111", phone_index="x" * 64, phone_masked="138****1111",
                                     name=head.name, person=head)  # fmt: skip
    c = Client()
    session = c.session
    session[SESSION_KEY] = citizen.pk
    session.save()
    r = c.get("/portal/notices/")
    assert r.context["region"].code == head.region_code and "王*国" in r.content.decode()
    # anyone else starts at the bureau's region and picks down to a village without JavaScript
    anonymous = Client().get("/portal/notices/")
    assert anonymous.context["region"].code == settings.MINZHENG_PORTAL_REGION
    township = ANYANG_VILLAGE[:9] + "000"
    r = Client().get("/portal/notices/", {"county": "330381000000", "township": township})
    assert r.context["region"].code == township and "王*国" in r.content.decode()
    assert [row["level"] for row in r.context["rows"]][-1] == "village"  # the next level is listed
    r = Client().get("/portal/notices/", {"county": "330381000000", "township": township, "village": TANGXIA_VILLAGE})
    assert r.context["region"].code == township  # a village of another township is dropped
