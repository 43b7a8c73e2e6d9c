"""Declared entity kinds and the validation of typed attribute values (no database)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from minzheng.engines.supervision import kinds
from minzheng.foundation.plugins import DuplicateRegistration

from .helpers import KIND, TEST_KIND, kind_declared


def clean(code, raw):
    return kinds.attribute_clean(TEST_KIND.attribute(code), raw)


def refused(code, raw) -> str:
    with pytest.raises(ValidationError) as exc:
        clean(code, raw)
    return exc.value.message_dict[code][0]


def test_values_are_typed_from_form_strings():
    assert clean("beds", "120") == 120
    assert clean("area", "350.25") == Decimal("350.25")
    assert clean("opened", "2019-05-01") == dt.date(2019, 5, 1)
    assert clean("medical", "是") is True and clean("medical", "0") is False
    assert clean("nature", "private") == "private"
    assert clean("operator", "  某某养老服务有限公司 ") == "某某养老服务有限公司"
    assert clean("beds", "") is None and clean("beds", None) is None


def test_values_out_of_their_declaration_are_refused_in_chinese():
    assert refused("beds", "12.5") == "床位数应为整数"
    assert refused("beds", True) == "床位数应为整数"
    assert refused("beds", "-1") == "床位数不能小于 0张"
    assert refused("beds", "5001") == "床位数不能大于 5000张"
    assert "应为数值" in refused("area", "abc")
    assert "浮点数" in refused("area", 1.5)
    assert refused("area", "1.00001") == "建筑面积最多保留4位小数"
    assert "应为日期" in refused("opened", "2019-13-01")
    assert "不能小于" in refused("opened", "1900-01-01")
    assert "应为“是”或“否”" in refused("medical", "maybe")
    assert "不在可选范围内" in refused("nature", "mixed")
    assert refused("operator", "字" * 51) == "运营方不能超过50个字"


def test_attributes_clean_reports_every_error_and_unknown_codes():
    with pytest.raises(ValidationError) as exc:
        kinds.attributes_clean(TEST_KIND, {"beds": "x", "colour": "red"})
    errors = exc.value.message_dict
    assert set(errors) == {"beds", "colour"}
    assert "没有属性" in errors["colour"][0]
    with pytest.raises(ValidationError) as exc:
        kinds.attributes_clean(TEST_KIND, {"beds": "10"}, partial=False)
    assert exc.value.message_dict == {"nature": ["请填写性质"]}


def test_declarations_are_checked_and_the_registry_refuses_a_different_second_one():
    with pytest.raises(ValueError, match="类型"):
        kinds.Attribute("x", "甲", "float")
    with pytest.raises(ValueError, match="须声明选项"):
        kinds.Attribute("x", "甲", kinds.CHOICE)
    with pytest.raises(ValueError, match="下限大于上限"):
        kinds.Attribute("x", "甲", kinds.INT, min=5, max=1)
    with pytest.raises(ValueError, match="重复声明属性"):
        kinds.Kind("k", "乙", attributes=(kinds.Attribute("x", "甲", kinds.INT), kinds.Attribute("x", "丙", kinds.INT)))
    with kind_declared():
        kinds.kind_declare(KIND, TEST_KIND.label, attributes=TEST_KIND.attributes, permits=TEST_KIND.permits)
        with pytest.raises(DuplicateRegistration):
            kinds.kind_declare(KIND, "另一个名称")
    assert KIND not in kinds.KINDS
    with pytest.raises(ValidationError):
        kinds.kind_get(KIND)
