"""Readers for the documents under test, and the seed case's facts every rendering must carry."""

from __future__ import annotations

import io

import docx
from PIL import Image


def picture(fmt: str = "PNG", size: tuple[int, int] = (320, 200), color: str = "#b5651d") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def squeeze(text: str) -> str:
    """Text without any whitespace: a PDF wraps Chinese between any two characters."""
    return "".join(text.split())


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return squeeze("".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages))


def docx_text(data: bytes) -> str:
    """Every paragraph and table cell of a DOCX (tables nested once), squeezed."""
    import docx

    doc = docx.Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return squeeze("\n".join(parts))


# The facts every rendering of the seed case must carry (exact seed texts, factories.SEED_CONTENT).
SEED_FACTS = [
    "运输途中包装受潮",  # the verified D4 cause
    "运输包装无防水措施，外箱受潮导致生锈",  # occurrence root cause: no waterproofing in transport
    "出货检验未包含包装防护检查",  # escape root cause
    "每托盘外箱用尼龙薄膜缠绕",  # the corrective action: nylon film around each pallet's cartons
    "WI-PK-001包装作业指导书",  # prevention document and its new revision
    "雨季运输必须有防水包装",  # lessons learned
    "螺丝刀杆表面生锈",  # 5W2H what
    "开箱目视检查",  # 5W2H how
    "约50支/500支",  # 5W2H how many
    "L0805批",  # IS
    "其他批次",  # IS NOT
    "现场挑选、擦拭、更换",  # containment at the customer
    "包装无防水措施",  # the 5-Why chain's last why
    "质量工程师陈工",  # team leader
    "质量部张经理",  # champion and approver
    "生产主管",  # member from production
    "2026-06-15 10:00",  # approval date
    "财务王",  # finance's verification
    "销售赵经理",  # the sales manager's review
    "KS-2026-000001",
    "8D-2026-0001",
    "华东机电有限公司",
    "2,500.00",  # cost total
]


def template_docx(*paragraphs: str, rows: bool = True) -> bytes:
    """A customer's template made in Word (here with python-docx): paragraphs with fields and a
    containment table with one row per location."""
    doc = docx.Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    if rows:
        table = doc.add_table(rows=4, cols=3)
        for cell, text in zip(table.rows[0].cells, ["地点", "检查数", "不良数"], strict=True):
            cell.text = text
        table.rows[1].cells[0].text = "{%tr for r in d3_rows %}"
        for cell, text in zip(
            table.rows[2].cells,
            ["{{ r.location_label }}", "{{ r.qty_checked }}", "{{ r.qty_bad }}"],
            strict=True,
        ):
            cell.text = text
        table.rows[3].cells[0].text = "{%tr endfor %}"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
