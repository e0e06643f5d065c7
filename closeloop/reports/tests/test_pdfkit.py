"""The shared PDF building blocks: the Chinese font is embedded, recorded text is printed, not parsed."""

import io

from pypdf import PdfReader

from closeloop.reports import pdfkit


def _pdf(*texts: str) -> PdfReader:
    st = pdfkit.styles()
    story = [pdfkit.para(t, st.body) for t in texts]
    story.append(pdfkit.table([["项目 Item", "数量 Qty"], ["螺丝刀", "50"]]))
    data = pdfkit.render(story, title="测试", header_left="Closeloop 测试")
    return PdfReader(io.BytesIO(data))


def test_chinese_and_english_text_with_the_font_embedded():
    reader = _pdf("螺丝刀杆生锈 Rust on screwdriver shafts")
    text = reader.pages[0].extract_text()
    assert "螺丝刀杆生锈" in text and "Rust on screwdriver shafts" in text and "数量 Qty" in text
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = {str(f.get_object()["/BaseFont"]) for f in fonts.values()}
    assert any(n.endswith("+NotoSansSC") or "NotoSansSC" in n for n in names), names
    descriptor = next(
        f.get_object()["/FontDescriptor"]
        for f in fonts.values()
        if "NotoSansSC" in str(f.get_object()["/BaseFont"])
    )
    assert "/FontFile2" in descriptor  # the TrueType program is inside the file


def test_markup_typed_by_a_customer_is_printed_not_obeyed():
    hostile = '<img src="http://127.0.0.1:9/x.png" width="10" height="10"/> <font color="red">红</font> & <b>'
    text = _pdf(hostile, "").pages[0].extract_text()
    assert '<img src="http://127.0.0.1:9/x.png"' in text
    assert "<font" in text and "&" in text
    assert pdfkit.safe("") == "—" and pdfkit.safe("a\nb") == "a<br/>b"
