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


@pytest.mark.django_db
def test_check_value_kinds():
    assert check_value("110108199003071238")["kind"] == "resident_id"
    assert check_value("91110000802100433B")["kind"] == "uscc"
    assert check_value("hello")["kind"] == "unknown"
    bad = check_value("110108199003071237")
    assert bad["valid"] is False and "校验位" in bad["error"]


@pytest.mark.django_db
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
        "warnings": ["地址码653126无法核对：本系统未载入新疆维吾尔自治区的行政区划"],
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


# ------------------------------------------------------------------ GB 32100: every registration authority

# python-stdnum's test vectors (tests/test_cn_uscc.doctest), a sample of its 1/9 authorities
STDNUM_VECTORS = [
    "121200004013590816", "91110000600037341L", "91110000710926094P", "91120224064012553U",
    "9115220107837757XE", "91310115MA1K3BTP2B", "91340600MA2PBM9HXD", "9144030071526726XG",
    "91620105L015101280", "91620105MA73NBBLXE", "92340602MA2PBMEM24", "92340621MA2UK3PJXE",
]  # fmt: skip
# the authorities and kinds added by the standard's table and later notices; each check character is
# GB 32100's (3^(i−1) mod 31 weights), the bodies synthetic
OTHER_AUTHORITIES = [
    ("31330000MD0185962P", "司法行政 / 律师执业机构"),
    ("32330381MD0017658L", "司法行政 / 公证处"),
    ("81330381MB1234567U", "工会 / 基层工会"),
    ("811100005000000008", "工会 / 基层工会"),
    ("N2330381MF1234567J", "农业 / 村级集体经济组织"),
    ("N1330381MF7654321J", "农业 / 组级集体经济组织"),
    ("N3330381MF0000018H", "农业 / 乡镇级集体经济组织"),
    ("A1110000MB0000123K", "中央军委改革和编制办公室 / 军队事业单位"),
    ("Y1330381MC0000011K", "其他 / 其他"),
    ("71330381MA0000012A", "宗教 / 宗教活动场所"),
]


@pytest.mark.parametrize("code", STDNUM_VECTORS)
def test_uscc_stdnum_vectors_are_valid(code):
    assert validate_uscc(code)[0] == code


@pytest.mark.parametrize(("code", "label"), OTHER_AUTHORITIES)
def test_uscc_law_firm_union_village_collective_and_other_authorities_are_valid(code, label):
    from stdnum.cn import uscc as stdnum_uscc

    from minzheng.foundation.codes.uscc import kind_label

    assert stdnum_uscc.calc_check_digit(code[:17]) == code[17]
    assert validate_uscc(code)[0] == code
    assert kind_label(code) == label
    assert check_value(code)["kind"] == "uscc" and check_value(code)["valid"] is True


@pytest.mark.parametrize(
    ("first2", "reason"),
    [("36", "与机构类别代码6组合无效"), ("82", "（工会）与机构类别代码2组合无效"), ("N4", "组合无效"), ("Y2", "组合无效"),
     ("B1", "登记管理部门代码B无效"), ("94", "组合无效"), ("A2", "组合无效")],
)  # fmt: skip
def test_uscc_unknown_authority_or_kind_is_refused(first2, reason):
    first17 = f"{first2}330381MD0185962"
    with pytest.raises(UsccError, match=reason):
        validate_uscc(first17 + uscc_check(first17))


def _every_kind():
    from minzheng.foundation.codes.uscc import AUTHORITIES

    return [a + k for a, (_, kinds) in AUTHORITIES.items() for k in kinds]


USCC_BODY = st.text(alphabet=CHARSET, min_size=9, max_size=9)


@given(kind=st.sampled_from(_every_kind()), region=st.sampled_from(["330381", "110000", "653126"]), body=USCC_BODY)
def test_uscc_generated_codes_of_every_authority_validate(kind, region, body):
    first17 = f"{kind}{region}{body}"
    code = first17 + uscc_check(first17)
    assert validate_uscc(code)[0] == code
    assert validate_uscc(code.lower())[0] == code


@given(
    kind=st.sampled_from(_every_kind()),
    body=USCC_BODY,
    pos=st.integers(min_value=0, max_value=17),
    new=st.sampled_from(CHARSET),
)
def test_uscc_any_single_character_change_is_refused(kind, body, pos, new):
    first17 = f"{kind}330381{body}"
    code = first17 + uscc_check(first17)
    changed = code[:pos] + new + code[pos + 1 :]
    if changed == code:
        return
    with pytest.raises(UsccError):
        validate_uscc(changed)


# ------------------------------------------------------------------ codes check: an ID number's shape wins

# each is 110108199003071238 with one digit mistyped, and each passes GB 32100's check
MISTYPED_IDS_THAT_PASS_AS_USCC = ["110108193003071238", "110108199003021238", "110101199003071238"]


@pytest.mark.django_db
@pytest.mark.parametrize("value", MISTYPED_IDS_THAT_PASS_AS_USCC)
def test_codes_check_judges_a_mistyped_id_number_as_an_id_number(value):
    assert validate_uscc(value)[0] == value  # the trap
    result = check_value(value)
    assert (result["kind"], result["valid"]) == ("resident_id", False)
    assert "身份证号校验位错误" in result["error"]
    assert "也符合统一社会信用代码" in result["warnings"][0]


@pytest.mark.django_db
def test_codes_check_mistyped_ids_on_the_command_line(capsys):
    call_command("codes", "check", *MISTYPED_IDS_THAT_PASS_AS_USCC, "121200004013590816")
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(x["kind"], x["valid"]) for x in lines] == [("resident_id", False)] * 3 + [("uscc", True)]


@pytest.mark.django_db
@given(
    region=st.sampled_from(["330381", "110108", "510108", "653126"]),
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
    seq=st.integers(min_value=0, max_value=999),
    pos=st.integers(min_value=0, max_value=17),
    delta=st.integers(min_value=1, max_value=9),
)
def test_codes_check_never_calls_a_mistyped_id_number_a_valid_credit_code(region, birth, seq, pos, delta):
    number = make_id_number(region, birth, seq)
    digits = list(number)
    digits[pos] = str((int(digits[pos].replace("X", "10")) + delta) % 10)
    result = check_value("".join(digits))
    assert result["kind"] != "uscc" or not result["valid"], result


def test_id_shape():
    from minzheng.foundation.codes.check import has_id_shape

    today = dt.date(2026, 6, 1)
    assert has_id_shape("110108199003071238", today=today)
    assert has_id_shape("11010819900307123X", today=today)
    assert has_id_shape("110108199013071238", today=today)  # month 13: a typo in the birth date
    assert not has_id_shape("121200004013590816", today=today)  # 0040-13-59 is no date, nor one digit from one
    assert not has_id_shape("110108213303071238", today=today)  # born 2133, not one digit from a past date
    assert not has_id_shape("91110000802100433B", today=today)


# ------------------------------------------------------------------ resident ID: province and county


@pytest.mark.parametrize("number", ["001081199003071230", "191081199003071234", "661081199003071239",
                                    "991081199003071231"])  # fmt: skip
def test_unknown_province_code_is_an_error(number):
    number = number[:17] + check_character(number[:17])
    with pytest.raises(IdNumberError, match=r"省级行政区划代码.*不存在"):
        parse_id_number(number, today=dt.date(2026, 1, 1))
    assert check_value(number)["valid"] is False


@pytest.mark.parametrize("first17", ["81000019900307123", "83000019900307123", "93315619900307123"])
def test_hong_kong_macao_taiwan_residence_permits_and_foreigner_ids_are_accepted(first17):
    number = first17 + check_character(first17)
    assert parse_id_number(number, today=dt.date(2026, 1, 1)).birth_date == dt.date(1990, 3, 7)


@pytest.mark.django_db
def test_county_code_missing_from_the_region_tree_is_a_warning_not_an_error(regions):
    ruian = make_id_number("330381", dt.date(1970, 5, 17), 1)
    shaoxing_county = make_id_number("330621", dt.date(1970, 5, 17), 1)  # 绍兴县, retired in 2013
    beijing = make_id_number("110108", dt.date(1970, 5, 17), 1)
    permit = make_id_number("810000", dt.date(1970, 5, 17), 1)
    assert "warnings" not in check_value(ruian) and check_value(ruian)["valid"]
    result = check_value(shaoxing_county)
    assert result["valid"] is True and result["error"] is None
    assert result["warnings"] == ["地址码330621不在本系统的行政区划中（可能是已撤销的旧代码），请核对"]
    assert parse_id_number(shaoxing_county).region_code == "330621"
    assert check_value(beijing)["valid"] and "未载入北京市" in check_value(beijing)["warnings"][0]
    assert "warnings" not in check_value(permit) and check_value(permit)["valid"]
