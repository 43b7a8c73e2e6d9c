import datetime as dt
import json

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from minzheng.foundation.codes import IdNumberError, mask_id_number, parse_id_number, validate_uscc
from minzheng.foundation.codes.check import check_value
from minzheng.foundation.codes.idnumbers import check_character, make_id_number
from minzheng.foundation.codes.uscc import CHARSET, UsccError
from minzheng.foundation.codes.uscc import check_character as uscc_check

# worked examples of shared/docs/domain/codes-and-statistics.md §1
VALID = [
    ("110108199003071238", dt.date(1990, 3, 7), "male", "110108"),
    ("653126200506150444", dt.date(2005, 6, 15), "female", "653126"),
    ("44190019781231005X", dt.date(1978, 12, 31), "male", "441900"),
]


@pytest.mark.parametrize(("number", "birth", "sex", "region"), VALID)
def test_worked_examples_parse(number, birth, sex, region):
    rid = parse_id_number(number)
    assert (rid.birth_date, rid.sex, rid.region_code) == (birth, sex, region)


def test_lower_case_x_is_accepted():
    assert parse_id_number("44190019781231005x").number == "44190019781231005X"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110108199003071237", "校验位错误：应为8"),
        ("110108199002301230", "不是有效日期"),
        ("11010819900307123", "应为18位"),
        ("1101081990030712A8", "前17位必须是数字"),
        ("110108209903071238", "晚于今天"),
    ],
)
def test_invalid_examples_give_chinese_reason(number, reason):
    with pytest.raises(IdNumberError, match=reason):
        parse_id_number(number)


def test_mask():
    assert mask_id_number("330381197106147493") == "330381********7493"


@given(
    region=st.sampled_from(["330381", "350502", "610902", "420102", "110108"]),
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
    seq=st.integers(min_value=0, max_value=999),
)
def test_generated_numbers_round_trip(region, birth, seq):
    number = make_id_number(region, birth, seq)
    rid = parse_id_number(number, today=dt.date(2026, 1, 1))
    assert rid.birth_date == birth
    assert rid.sex == ("male" if seq % 2 else "female")
    assert rid.masked == number[:6] + "********" + number[-4:]
    # the whole-number test: weighted sum of all 18 characters ≡ 1 (mod 11)
    weights = [pow(2, 17 - i, 11) for i in range(18)]
    values = [10 if c == "X" else int(c) for c in number]
    assert sum(v * w for v, w in zip(values, weights, strict=True)) % 11 == 1


@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
    pos=st.integers(min_value=0, max_value=16),
    delta=st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_error_is_caught(birth, pos, delta):
    number = make_id_number("330381", birth, 123)
    digits = list(number)
    digits[pos] = str((int(digits[pos]) + delta) % 10)
    changed = "".join(digits)
    try:
        rid = parse_id_number(changed, today=dt.date(2026, 1, 1))
    except IdNumberError:
        return
    pytest.fail(f"{changed} accepted as {rid}")


def test_check_character_matches_doc_products():
    assert check_character("11010819900307123") == "8"


# GB 32100 test vectors from the domain sheet
@pytest.mark.parametrize("code", ["91110000802100433B", "91350100M000100Y43", "51330381501234569Q"])
def test_uscc_valid(code):
    assert validate_uscc(code)[0] == code


def test_uscc_worked_example_org_check_has_no_warning():
    assert validate_uscc("51330381501234569Q")[1] == []


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("51330381501234569R", "校验位错误：应为Q"),
        ("5133038150123456", "应为18位"),
        ("51330381501234569I", "不允许的字符"),
        ("58330381501234569Q", "组合无效"),
    ],
)
def test_uscc_invalid(code, reason):
    with pytest.raises(UsccError, match=reason):
        validate_uscc(code)


@given(body=st.text(alphabet=CHARSET, min_size=9, max_size=9), kind=st.sampled_from("1239"))
def test_uscc_generated_codes_validate(body, kind):
    first17 = f"5{kind}330381{body}"
    code = first17 + uscc_check(first17)
    assert validate_uscc(code)[0] == code


def test_check_value_kinds():
    assert check_value("110108199003071238")["kind"] == "resident_id"
    assert check_value("91110000802100433B")["kind"] == "uscc"
    assert check_value("hello")["kind"] == "unknown"
    bad = check_value("110108199003071237")
    assert bad["valid"] is False and "校验位" in bad["error"]


def test_codes_check_command(capsys, tmp_path):
    f = tmp_path / "ids.txt"
    f.write_text("110108199003071238\n\n91110000802100433B\n110108199002301230\n", encoding="utf-8")
    call_command("codes", "check", "653126200506150444", "--file", str(f))
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["valid"] for x in lines] == [True, True, True, False]
    assert lines[0] == {
        "value": "653126200506150444",
        "kind": "resident_id",
        "valid": True,
        "error": None,
        "birth_date": "2005-06-15",
        "sex": "female",
        "region_code": "653126",
    }
    assert lines[2]["kind"] == "uscc" and lines[2]["birth_date"] is None
    assert "不是有效日期" in lines[3]["error"]


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_character_fast_path_matches_the_definition(first17):
    total = sum(int(c) * w for c, w in zip(first17, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    assert check_character(first17) == "10X98765432"[total % 11]


@pytest.mark.parametrize(("number", "birth", "sex", "region"), VALID)
def test_parse_id_fields_is_parse_id_number_as_a_tuple(number, birth, sex, region):
    from minzheng.foundation.codes.idnumbers import parse_id_fields

    assert parse_id_fields(number.lower(), today=dt.date(2026, 1, 1)) == (number.upper(), birth, sex)
    with pytest.raises(IdNumberError, match="晚于今天"):
        parse_id_fields(number, today=birth - dt.timedelta(days=1))
