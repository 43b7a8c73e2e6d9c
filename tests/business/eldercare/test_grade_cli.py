"""The seeded 1,000-point care-home sheet (eldercare.md §2) through ``minzheng eldercare grade``: the
three worked cases, and an unknown section or a score above its maximum refused in Chinese, exit 2."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def _grade(tmp_path, capsys, sections, **extra):
    path = tmp_path / "scores.json"
    path.write_text(json.dumps({"sections": sections, **extra}, ensure_ascii=False), encoding="utf-8")
    call_command("eldercare", "grade", "--json", str(path))
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("scores", "total", "share", "grade"),
    [
        ((110, 120, 140, 560), 930, 0.9167, "五级"),  # 110/120 (eldercare.md prints 120/130 = 92.3 %)
        ((100, 110, 130, 560), 900, 0.8333, "四级"),  # the total reaches 五级, the shares do not
        ((40, 100, 120, 500), 760, 0.3333, None),  # 环境 below 40 %
    ],
)
def test_the_worked_cases(tmp_path, capsys, scores, total, share, grade):
    out = _grade(tmp_path, capsys, dict(zip(("环境", "设施设备", "运营管理", "服务"), scores, strict=True)))
    assert (out["total"], out["lowest_share"], out["grade"]) == (total, share, grade)
    assert any("最低得分率" in line for line in out["explanation"])


def test_unknown_section_and_score_above_maximum_exit_2(tmp_path, capsys):
    for sections, message in (({"环境": 110, "设施设备": 120, "运营管理": 140, "服务": 560, "绿化": 5}, "没有评分项「绿化」"),
                              ({"环境": 121, "设施设备": 120, "运营管理": 140, "服务": 560}, "超过该项满分")):  # fmt: skip
        with pytest.raises(CommandError, match=message) as exc:
            _grade(tmp_path, capsys, sections)
        assert exc.value.returncode == 2
    with pytest.raises(CommandError, match="没有已发布的养老机构评分表") as exc:
        _grade(tmp_path, capsys, {"环境": 1}, sheet="nope")
    assert exc.value.returncode == 2
