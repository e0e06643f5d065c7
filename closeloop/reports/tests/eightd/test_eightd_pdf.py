"""The seed case's 8D report as read from the database and as PDF, in each language."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.utils import translation
from reportlab.graphics.shapes import Line, String

from closeloop.core.errors import ValidationFailed
from closeloop.investigations.workflow import Step
from closeloop.reports.eightd.data import eightd_report_data
from closeloop.reports.eightd.drawings import fishbone_drawing
from closeloop.reports.eightd.pdf import eightd_pdf
from closeloop.reports.eightd.records import CauseRow
from closeloop.reports.fonts import FONT, FONT_BOLD
from closeloop.reports.tests.eightd.helpers import SEED_FACTS, pdf_text, squeeze

pytestmark = pytest.mark.django_db


def _label(language: str, message) -> str:  # type: ignore[no-untyped-def]
    with translation.override(language):
        return squeeze(str(message))


def test_the_report_data_is_read_in_six_queries(seed_case, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        data = eightd_report_data(investigation=seed_case)
    h = data.header
    assert (h.number, h.status, h.customers, h.lots) == (
        "8D-2026-0001",
        "closed",
        ("华东机电有限公司",),
        ("L2605",),
    )
    assert [x.number for x in h.complaints] == ["KS-2026-000001"]
    assert [(m.name, m.role, m.department) for m in h.team] == [
        ("质量部张经理", "champion", "质量部"),
        ("质量工程师陈工", "leader", "质量部"),
        ("生产主管", "member", "生产部"),
    ]
    assert [(a.step, a.status, a.approved_by) for a in data.approvals] == [
        (s, "approved", "质量部张经理") for s in range(9)
    ]
    assert [(c.id, c.status) for c in data.d4.causes] == [
        ("C1", "verified"),
        ("C2", "verified"),
        ("C3", "refuted"),
    ]
    assert data.d4.occurrence_cause is not None and data.d4.occurrence_cause.text == "运输途中包装受潮"
    assert [(r.location, r.qty_checked, r.qty_bad) for r in data.d3.rows] == [
        ("customer_stock", 500, 50),
        ("warehouse", 1200, 0),
    ]
    assert [(a.kind, a.status, a.verified_by) for a in data.d6.actions] == [
        ("corrective", "verified", "质量部张经理")
    ]
    assert [a.kind for a in data.d7.horizontal] == ["horizontal"]
    assert (str(data.d8.cost_total), str(data.d8.recovered_total), str(data.d8.net_cost)) == (
        "2500.00",
        "300.00",
        "2200.00",
    )
    assert (data.d8.cost_verified.by, data.d8.cost_verified.current) == ("财务王", True)
    assert (data.d8.summary_reviewed.by, data.d8.summary_reviewed.current) == ("销售赵经理", True)
    # The complaint's photo documents D2; the containment action's evidence D3, reduced to 600 px wide.
    assert [(i.step, i.name, i.mime) for i in data.images] == [
        (Step.D2, "锈蚀照片.png", "image/jpeg"),
        (Step.D3, "挑选记录.jpg", "image/jpeg"),
    ]
    evidence = data.images[1]
    assert (evidence.width_px, evidence.height_px, evidence.width_mm, evidence.height_mm) == (
        600,
        450,
        80.0,
        60.0,
    )
    assert evidence.caption == "现场挑选不良品"


@pytest.mark.parametrize("language", ["zh-hans", "en", "bilingual"])
def test_the_seed_case_pdf_carries_every_fact_in_each_language(seed_case, language):
    pdf = eightd_pdf(eightd_report_data(investigation=seed_case), language=language)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    missing = [fact for fact in SEED_FACTS if squeeze(fact) not in text]
    assert missing == []
    zh, en = _label("zh-hans", Step.D4.label), _label("en", Step.D4.label)
    assert zh != en
    if language == "zh-hans":
        assert zh in text and en not in text
    elif language == "en":
        assert en in text and zh not in text
    else:
        assert f"{zh}/{en}" in text


def test_an_unknown_language_is_refused_naming_lang(seed_case):
    with pytest.raises(ValidationFailed) as exc:
        eightd_pdf(eightd_report_data(investigation=seed_case), language="fr")
    assert list(exc.value.fields) == ["lang"]


def test_the_font_is_embedded_and_every_page_renders(seed_case, poppler, tmp_path: Path):
    pdf_file = tmp_path / "8d.pdf"
    pdf_file.write_bytes(eightd_pdf(eightd_report_data(investigation=seed_case), language="bilingual"))
    fonts = subprocess.run(
        [poppler["pdffonts"], str(pdf_file)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert fonts and all("NotoSansSC" in line for line in fonts), fonts
    # columns: name type encoding emb sub uni object-id
    assert all(line.split()[-5] == "yes" for line in fonts), fonts
    pages = subprocess.run(
        ["pdfinfo", str(pdf_file)], capture_output=True, text=True, check=False
    ).stdout  # pdfinfo ships with pdffonts; the page count cross-checks pdftoppm's output
    subprocess.run(
        [poppler["pdftoppm"], "-png", "-r", "50", str(pdf_file), str(tmp_path / "page")], check=True
    )
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) >= 3 and all(p.stat().st_size > 1000 for p in pngs)
    if "Pages:" in pages:
        assert len(pngs) == int(pages.split("Pages:")[1].split()[0])


def test_the_fishbone_puts_each_cause_on_its_bone_verified_bold_refuted_struck():
    causes = [
        CauseRow("C1", "environment", "运输途中包装受潮", "verified", "e"),
        CauseRow("C3", "material", "防锈油不足", "refuted", "e"),
        CauseRow("C4", "man", "新员工", "candidate", ""),
    ]
    labels = {"environment": "环 Environment", "material": "料 Material", "man": "人 Man"}
    drawing = fishbone_drawing(problem="螺丝刀杆表面生锈", causes=causes, bone_labels=labels, width=500)
    strings = {s.text: s for s in drawing.contents if isinstance(s, String)}
    assert {"螺丝刀杆表面生锈", "环 Environment", "料 Material", "人 Man"} <= set(strings)
    assert strings["运输途中包装受潮"].fontName == FONT_BOLD
    assert strings["新员工"].fontName == FONT
    refuted = strings["防锈油不足"]
    strike = [
        ln
        for ln in drawing.contents
        if isinstance(ln, Line) and ln.x1 == refuted.x and abs(ln.y1 - (refuted.y + 2.5)) < 0.01
    ]
    assert len(strike) == 1 and strike[0].x2 > strike[0].x1
