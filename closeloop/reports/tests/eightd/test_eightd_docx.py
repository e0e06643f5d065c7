"""The built-in Word layout: the same facts as the PDF, editable tables, pictures embedded, and a
Chinese East-Asian font named so Word shows the Chinese properly."""

from __future__ import annotations

import io

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn

from closeloop.reports.eightd.data import eightd_report_data
from closeloop.reports.eightd.docx import EAST_ASIA_FONT, eightd_docx
from closeloop.reports.tests.eightd.helpers import SEED_FACTS, docx_text, squeeze

pytestmark = pytest.mark.django_db


def _table(doc, *header: str):  # type: ignore[no-untyped-def]
    """The table whose header row is ``header``."""
    for table in doc.tables:
        if [c.text for c in table.rows[0].cells] == list(header):
            return table
    raise AssertionError(f"no table headed {header!r}")


def _rows(table) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [[c.text for c in row.cells] for row in table.rows]


@pytest.mark.parametrize("language", ["zh-hans", "en", "bilingual"])
def test_the_seed_case_docx_carries_every_fact(seed_case, language):
    data = eightd_docx(eightd_report_data(investigation=seed_case), language=language)
    text = docx_text(data)
    assert [fact for fact in SEED_FACTS if squeeze(fact) not in text] == []


def test_tables_pictures_and_fonts(seed_case):
    raw = eightd_docx(eightd_report_data(investigation=seed_case), language="en")
    doc = docx.Document(io.BytesIO(raw))
    w5h2 = _rows(_table(doc, "Item", "Description"))
    assert ["What (何事)", "螺丝刀杆表面生锈"] in w5h2 and ["How many (多少)", "约50支 / 500支"] in w5h2
    assert _rows(_table(doc, "Dimension", "IS (是)", "IS NOT (不是)"))[1] == ["批次", "L0805 批", "其他批次"]
    containment = _rows(_table(doc, "Location", "Action", "Checked", "Found bad", "Effective"))
    assert containment[1] == ["Customer stock", "现场挑选、擦拭、更换", "500", "50", "Yes"]
    assert containment[-1] == ["Total", "", "1700", "50", ""]
    causes = _table(doc, "Category", "Cause", "Verdict", "Evidence")
    assert _rows(causes)[3] == ["Material 料", "C3 防锈油不足", "Refuted", "同批留样盐雾试验合格"]
    assert all(run.font.strike for run in causes.rows[3].cells[1].paragraphs[0].runs)
    assert all(run.bold for run in causes.rows[1].cells[1].paragraphs[0].runs)  # verified
    costs = _rows(_table(doc, "Item", "Amount (CNY)", "Note"))
    assert costs[1:] == [
        ["Travel", "800.00", "—"],  # an empty recorded note reads as a dash
        ["Sorting", "1,200.00", "—"],
        ["Scrap", "500.00", "—"],
        ["Total", "2,500.00", ""],
    ]
    corrective = _rows(_table(doc, "Action", "Owner", "Start – due", "Tracker", "Done", "Verified"))
    assert corrective[1][0] == "corrective action" and corrective[1][5].startswith("质量部张经理")
    # Both pictures are inside the document as image parts (JPEG after reduction).
    images = [r.target_part for r in doc.part.rels.values() if r.reltype == RT.IMAGE]
    assert [p.content_type for p in images] == ["image/jpeg", "image/jpeg"]
    assert len(doc.inline_shapes) == 2
    # Word is told which East-Asian font to use for Chinese, on the base style and on headings.
    for style in ("Normal", "Heading 1"):
        fonts = doc.styles[style].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == EAST_ASIA_FONT
        assert fonts.get(qn("w:eastAsiaTheme")) is None
    assert "8D-2026-0001" in doc.sections[0].header.paragraphs[0].text
    assert doc.core_properties.title == "8D-2026-0001 8D report"
