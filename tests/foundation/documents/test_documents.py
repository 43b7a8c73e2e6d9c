"""Official documents (文书) as PDF: content read back out, fonts embedded, layout rules."""

import datetime as dt
import io
import logging
import re
import shutil
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from minzheng.foundation.documents.fonts import CJK_FONT, font_chain, missing_glyphs
from minzheng.foundation.documents.render import (
    Checklist,
    Document,
    Fields,
    Heading,
    Note,
    Paragraph,
    Signatures,
    Table,
    chinese_date,
    render_pdf,
)
from minzheng.foundation.documents.text import pdf_text

RARE_NAME = "张堃喆䶮"  # 堃 and 喆 are common in names; 䶮 (CJK Extension A) is rare
DAY = dt.date(2026, 11, 23)


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def notice(*blocks, **kwargs) -> Document:
    fields = {
        "title": "最低生活保障受理通知书",
        "number": "瑞民救〔2026〕15号",
        "addressee": RARE_NAME,
        "blocks": blocks,
        "issuer": "瑞安市民政局",
        "issued_on": DAY,
    }
    return Document(**(fields | kwargs))


def survey(rows: int = 3) -> Document:
    """An 入户调查表 with every kind of block; a form has no issuer line."""
    members = [[i, f"成员{i}喆", f"3303811980010{i:05d}", "子女", Decimal("1234.50") + i] for i in range(1, rows + 1)]
    return notice(
        Paragraph("根据《社会救助暂行办法》的规定，现对申请人家庭的经济状况进行入户调查。"),
        Heading("一、申请人基本情况"),
        Fields(
            [
                ("申请人", RARE_NAME),
                ("性别", "男"),
                ("家庭住址", "瑞安市安阳街道万松路123号"),
                ("调查日期", DAY),
                ("家庭人口", 4),
            ],
            columns=2,
            wide={"家庭住址"},
        ),
        Heading("二、家庭成员"),
        Table(
            ["序号", "姓名", "身份证号", "关系", "月收入（元）"],
            members,
            align=["center", "left", "left", "center", "right"],
        ),
        Checklist([("居民身份证复印件", True), ("近六个月收入证明", False)]),
        Note("注：本表一式两份。"),
        Signatures(["调查人（签字）", "调查人（签字）", "被调查人（签字）"]),
        title="最低生活保障家庭入户调查表",
        issuer="",
        issued_on=None,
    )


def fonts_of(pdf: bytes) -> list:
    """Every font dictionary used on any page."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for ref in page["/Resources"]["/Font"].values():
            found.append(ref.get_object())
    return found


def test_notice_reads_back_in_chinese():
    pdf = render_pdf(notice(Paragraph("你于2026年11月1日提出的最低生活保障申请，我局已受理。")))
    text = compact(pdf_text(pdf))

    assert text.startswith("最低生活保障受理通知书瑞民救〔2026〕15号张堃喆䶮：")
    assert "你于2026年11月1日提出的最低生活保障申请，我局已受理。" in text
    assert text.endswith("瑞安市民政局2026年11月23日")
    meta = PdfReader(io.BytesIO(pdf)).metadata
    assert meta.title == "最低生活保障受理通知书"
    assert meta.author == "瑞安市民政局"


def test_seal_mark_issuer_and_date_close_the_document():
    pdf = render_pdf(notice(Paragraph("特此通知。"), seal_text="（盖章）"))

    assert pdf_text(pdf, compact=True).endswith("特此通知。（盖章）瑞安市民政局2026年11月23日")


def test_issuer_and_date_never_stand_alone_on_a_page():
    filler = [Paragraph("根据《社会救助暂行办法》的规定，现对申请人家庭的经济状况进行入户调查。" * 2)] * 12
    for extra in range(6):  # push the end of the text across the foot of page 1
        pdf = render_pdf(notice(*filler, *[Paragraph("补充说明。")] * extra, Paragraph("特此通知。")))
        last_page = compact(PdfReader(io.BytesIO(pdf)).pages[-1].extract_text())
        assert not last_page.startswith("瑞安市民政局"), extra
        assert "特此通知。瑞安市民政局2026年11月23日" in last_page


def test_addressee_line_ends_with_a_colon_once():
    assert "张三：" in pdf_text(render_pdf(notice(addressee="张三")), compact=True)
    assert "张三：：" not in pdf_text(render_pdf(notice(addressee="张三：")), compact=True)


def test_every_block_kind_renders_its_text():
    text = pdf_text(render_pdf(survey()), compact=True)

    for expected in [
        "最低生活保障家庭入户调查表",
        "一、申请人基本情况",
        f"申请人{RARE_NAME}性别男",
        "家庭住址瑞安市安阳街道万松路123号",
        "调查日期2026年11月23日家庭人口4",
        "序号姓名身份证号关系月收入（元）",
        "2成员2喆330381198001000002子女1,236.50",  # money as money: 3,540.00
        "居民身份证复印件近六个月收入证明",
        "注：本表一式两份。",
        "调查人（签字）：调查人（签字）：",
        "被调查人（签字）：",
        "年月日",
    ]:
        assert expected in text


def test_rare_name_characters_are_in_the_embedded_font():
    assert missing_glyphs(RARE_NAME + "〔〕（）：；“”…—·0123456789ABCxyz") == set()
    # CJK Extension B is beyond the vendored font: reported, so an engine can warn before issuing
    assert missing_glyphs("𠀀") == {"𠀀"}


def test_missing_glyphs_are_logged_not_fatal(caplog):
    with caplog.at_level(logging.WARNING, logger="minzheng.foundation.documents.render"):
        pdf = render_pdf(notice(addressee="王𠀀"))

    assert pdf.startswith(b"%PDF")
    assert "𠀀" in caplog.text


def test_long_table_breaks_across_pages_and_repeats_its_header():
    pdf = render_pdf(survey(rows=80))
    pages = [compact(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]

    assert len(pages) >= 3
    header = "序号姓名身份证号关系月收入（元）"
    last_row = "80成员80喆330381198001000080子女1,314.50"
    assert "1成员1喆" in pages[0]
    assert last_row not in pages[0]
    end = next(i for i, page in enumerate(pages) if last_row in page)
    assert all(header in page for page in pages[1 : end + 1])  # repeated on every page it runs onto
    for number, page in enumerate(pages, start=1):
        assert page.endswith(f"第{number}页共{len(pages)}页")
    assert "第 1 页 共 " in pdf_text(pdf)


def test_a_one_page_document_has_no_page_number_and_stays_small():
    pdf = render_pdf(survey())

    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert "页共" not in pdf_text(pdf, compact=True)
    assert len(pdf) < 200_000  # the 4 MB font is embedded as a subset


def test_fonts_are_embedded_truetype_subsets_with_unicode_maps():
    fonts = fonts_of(render_pdf(survey()))

    assert {f["/Subtype"] for f in fonts} == {"/TrueType"}
    for font in fonts:
        assert "/FontFile2" in font["/FontDescriptor"]  # the glyph outlines are in the file
        assert "/ToUnicode" in font  # so text can be searched and extracted
        assert re.fullmatch(r"/[A-Z]{6}\+\w+", font["/BaseFont"])  # a subset
    assert {f["/BaseFont"].split("+")[1] for f in fonts} == {"DroidSansFallback", "Arimo"}


def test_user_text_is_escaped_not_interpreted_as_markup():
    odd = 'A&B <b>粗</b> <font size="40">x</font> &amp; 1<2'
    pdf = render_pdf(
        notice(Paragraph(odd), Fields([("姓名", odd)]), Table(["备注"], [[odd]]), addressee=odd, title=odd)
    )

    assert pdf_text(pdf, compact=True).count(compact(odd)) == 5  # title, addressee, paragraph, field, cell
    assert "<b>" in pdf_text(pdf)


def test_chinese_date():
    assert chinese_date(dt.date(2026, 1, 5)) == "2026年1月5日"
    assert chinese_date(DAY) == "2026年11月23日"


def test_table_rows_must_match_the_header():
    with pytest.raises(ValueError, match="row 1"):
        Table(["姓名", "关系"], [["张三", "本人"], ["李四"]])
    with pytest.raises(ValueError, match="widths"):
        Table(["姓名", "关系"], [], widths=[1])


def test_font_override_setting(settings, tmp_path):
    custom = tmp_path / "BureauFont.ttf"
    shutil.copyfile(CJK_FONT, custom)
    settings.MINZHENG_PDF_FONT = str(custom)

    assert font_chain().primary.startswith("MZ-BureauFont-")
    assert "张堃喆䶮" in pdf_text(render_pdf(notice()), compact=True)

    settings.MINZHENG_PDF_FONT = str(tmp_path / "absent.ttf")
    with pytest.raises(ImproperlyConfigured, match="MINZHENG_PDF_FONT"):
        render_pdf(notice())


# Printable ASCII, the CJK Unified Ideographs the font covers and common Chinese punctuation.
chinese_or_ascii = st.text(
    st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
        st.sampled_from("，。、；：？！“”‘’《》（）【】〔〕…—·　"),
    ),
    max_size=300,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=chinese_or_ascii)
def test_any_chinese_or_ascii_text_round_trips(text):
    pdf = render_pdf(Document(title="测试", blocks=[Paragraph(text)]))

    assert pdf_text(pdf, compact=True) == "测试" + compact(text)
