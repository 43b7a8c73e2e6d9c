import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from minzheng.foundation.accounts.models import User
from minzheng.foundation.accounts.roles import standard_roles
from minzheng.foundation.audit.services import audit_verify
from minzheng.foundation.codes import parse_id_number
from minzheng.foundation.codes.idnumbers import check_character
from minzheng.foundation.registry.models import Household, Membership, Person

ROOT = Path(__file__).resolve().parents[2]


def test_console_script_runs_codes_check(tmp_path):
    """On a machine never set up (no database yet) the checker still answers; the region tree it
    cannot read is a warning, not a failure."""
    exe = Path(sys.executable).with_name("minzheng")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "minzheng.settings", "MINZHENG_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([str(exe), "codes", "check", "110108199003071238"], capture_output=True, text=True, check=True,
                         cwd=ROOT, env=env)  # fmt: skip
    result = json.loads(out.stdout)
    assert result["birth_date"] == "1990-03-07" and result["valid"]
    assert result["warnings"] == ["地址码110108无法核对：本系统的行政区划尚未载入"]


ID_PATTERN = re.compile(rb"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")


def _plaintext_ids(root: Path) -> dict[str, int]:
    """Files under ``root`` holding valid resident ID numbers in the clear, with how many."""
    found = {}
    for path in root.rglob("*"):
        if path.is_file():
            hits = {m.group().decode() for m in ID_PATTERN.finditer(path.read_bytes())}
            valid = [h for h in hits if check_character(h[:17]) == h[17:].upper()]
            if valid:
                found[str(path.relative_to(root))] = len(valid)
    return found


@pytest.mark.django_db
def test_demo_builds_city_staff_and_plausible_households(capsys, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the demo's own files (the test database lives elsewhere)
    settings.MEDIA_ROOT = tmp_path / "media"
    legacy = tmp_path / "demo" / "sources" / "death.csv"  # the plaintext partner CSVs of earlier versions
    legacy.parent.mkdir(parents=True)
    legacy.write_text("id_number,name\n110108199003071238,张三\n")
    call_command("demo", "--persons", "400")
    out = capsys.readouterr().out
    assert "anyang_acceptor" in out and "Minzheng@2026" in out
    assert User.objects.filter(username="tangxia_investigator", grants__prefix="330381101").exists()
    assert User.objects.filter(username="wz_admin", grants__prefix="3303").exists()
    assert User.objects.filter(username="ra_finance", grants__prefix="330381").exists()
    # every declared role (the platform's and each line's) at city, county and two townships,
    # named with the role's own label
    roles = standard_roles()
    assert len(roles) >= 7 and User.objects.count() == 4 * len(roles)
    assert User.objects.get(username="ra_approver").display_name == "瑞安市审批员"
    persons = Person.objects.count()
    assert 400 <= persons < 410
    # every person is in exactly one household, each household has exactly one head
    assert Membership.objects.filter(valid_to__isnull=True).count() == persons
    assert Household.objects.count() == Membership.objects.filter(relation="head").count()
    # ID numbers agree with the person
    for p in Person.objects.all()[:100]:
        rid = parse_id_number(p.id_number)
        assert (rid.birth_date, rid.sex) == (p.birth_date, p.sex)
    assert Person.objects.exclude(disability_kind="").exists()
    assert audit_verify().ok
    # the eldercare line's institution account (机构端) of one demo home, printed with the staff logins and
    # signing in with the demo password; every demo home publishes its monthly fees (养老机构查询)
    from django.contrib.auth.hashers import check_password

    from minzheng.engines.supervision.models import AttributeValue, InstitutionAccount, Supervised

    account = InstitutionAccount.objects.select_related("supervised__entity").get(username="ra_carehome")
    assert re.search(r"ra_carehome\s+" + re.escape(account.supervised.entity.name), out)
    assert check_password("Minzheng@2026", account.password) and account.supervised.kind == "care_home"
    homes = Supervised.objects.filter(kind="care_home")
    priced = AttributeValue.objects.filter(supervised__in=homes, code="monthly_fee_min", superseded_at__isnull=True)
    assert homes.count() >= 30 and priced.count() == homes.count()
    # a published 双随机 draw of the county's homes, reproducible from what it recorded (双随机一公开)
    from minzheng.engines.supervision.draws import draw_verify, published_draws
    from minzheng.engines.supervision.models import DrawPlan

    plan = DrawPlan.objects.get(kind="care_home")
    assert plan.published_at is not None and plan.pairs.count() >= 3 and plan in published_draws("330381000000")
    assert draw_verify(plan=plan)
    # the demo partner data is loaded (encrypted batch files), and no ID number is left in the clear
    assert list((tmp_path / "sources").rglob("*.parquet"))
    assert _plaintext_ids(tmp_path) == {} and not legacy.exists()
    call_command("demo", "--persons", "400")  # idempotent
    assert Person.objects.count() == persons
    assert InstitutionAccount.objects.count() == 1 and priced.count() == homes.count()
    assert DrawPlan.objects.count() == 1
