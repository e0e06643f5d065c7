"""Markup typed into a complaint or a cause is printed, never obeyed: rendering the PDF, the Word
document and a customer template sends no request to the address it names (a real local server
listens and counts), and the text appears literally."""

from __future__ import annotations

import io
import threading
import urllib.request
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake
from closeloop.investigations.tests.factories import SEED_CONTENT, case_open, case_through, save
from closeloop.reports.eightd.data import eightd_report_data
from closeloop.reports.eightd.docx import eightd_docx
from closeloop.reports.eightd.pdf import eightd_pdf
from closeloop.reports.eightd.templates import eightd_docx_from_template
from closeloop.reports.tests.eightd.helpers import docx_text, pdf_text, squeeze, template_docx

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener() -> Iterator[tuple[int, list[str]]]:
    """A local HTTP server on a free port; yields (port, paths requested)."""
    hits: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


def test_markup_in_the_record_fetches_nothing_and_is_printed(listener, agent, order, frozen_now, qm, team):
    port, hits = listener
    img = f'<img src="http://127.0.0.1:{port}/x.png" width="40" height="40"/>'
    link = f'<link href="http://127.0.0.1:{port}/style.css" rel="stylesheet"/>'
    complaint = complaint_intake(
        draft=ComplaintDraft(
            channel="phone",
            order_number="SO-2026-0001",
            title="螺丝刀杆生锈",
            description=f"客户发来的邮件：{img} {link} <b>急</b> & 结束",
            category="quality-corrosion",
            severity="serious",
            quantity_affected=50,
        ),
        actor=agent,
    )
    inv = case_through(case_open(complaint, qm), upto=3, qm=qm, team=team, owner=qm)
    d4 = {**SEED_CONTENT[4], "causes": [dict(c) for c in SEED_CONTENT[4]["causes"]]}
    d4["causes"][0]["text"] = f"包装受潮 {img}"
    d4["causes"][0]["evidence"] = f"见 {link}"
    save(inv, 4, qm, d4)
    data = eightd_report_data(investigation=inv)

    pdf = eightd_pdf(data, language="bilingual")
    word = eightd_docx(data, language="en")
    filled = eightd_docx_from_template(
        data,
        template_docx(
            "{{ complaint.description }}", "{% for c in causes %}{{ c.text }}|{{ c.evidence }}{% endfor %}"
        ),
        language="zh-hans",
    )
    assert hits == []

    assert squeeze(img) in pdf_text(pdf) and squeeze(link) in pdf_text(pdf)
    assert squeeze(img) in docx_text(word) and squeeze(f"见 {link}") in docx_text(word)
    assert squeeze(f"客户发来的邮件：{img} {link} <b>急</b> & 结束") in docx_text(filled)
    assert squeeze(f"包装受潮 {img}|见 {link}") in docx_text(filled)
    for document in (word, filled):
        with zipfile.ZipFile(io.BytesIO(document)) as archive:
            rels = [archive.read(n) for n in archive.namelist() if n.endswith(".rels")]
        assert not any(b"127.0.0.1" in r for r in rels)  # no external relationship to fetch

    # The listener does record requests: the silence above is the renderers', not the test's.
    urllib.request.urlopen(f"http://127.0.0.1:{port}/probe", timeout=5).close()
    assert hits == ["/probe"]
