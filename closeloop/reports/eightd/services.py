"""Which 8D document a download gets, and its file name.

PDF: always the built-in layout. DOCX: the customer's active template (``ReportTemplate``) when the
case's first complaint's customer has one, else the built-in Word layout. Rendering happens in the
request (the seed case takes well under a second); nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from closeloop.investigations.models import Investigation
from closeloop.reports.eightd.data import eightd_report_data
from closeloop.reports.eightd.lang import language_check
from closeloop.reports.eightd.records import EightDReport
from closeloop.reports.models import ReportTemplate

Format = Literal["pdf", "docx"]
CONTENT_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str
    filename: str  # may hold Chinese: send it with content_disposition()
    fallback: str  # ASCII only


def report_template_for(*, data: EightDReport) -> ReportTemplate | None:
    """The active template of the customer of the case's first complaint, if any (one query)."""
    if not data.header.complaints:
        return None
    code = data.header.complaints[0].customer_code
    return ReportTemplate.objects.filter(customer__code=code, is_active=True).first()


def eightd_filenames(data: EightDReport, fmt: str, language: str) -> tuple[str, str]:
    """("8D-2026-0001 螺丝刀杆生锈 zh-hans.pdf", "8D-2026-0001-zh-hans.pdf"): the name with the
    subject, and an ASCII fallback for clients that do not read RFC 5987."""
    number = _UNSAFE.sub("-", data.header.number)
    title = " ".join(_UNSAFE.sub(" ", data.header.title).split())[:40]
    full = " ".join(x for x in (number, title, language) if x)
    return f"{full}.{fmt}", f"{number}-{language}.{fmt}"


def content_disposition(download: Download) -> str:
    """``attachment`` with an ASCII ``filename`` and the UTF-8 name as RFC 5987 ``filename*``."""
    return (
        f"attachment; filename=\"{download.fallback}\"; filename*=UTF-8''{quote(download.filename, safe='')}"
    )


def eightd_download(*, investigation: Investigation, fmt: Format, language: str | None) -> Download:
    """The 8D report of ``investigation`` as a file. The caller has checked that the user may see the
    case. Raises ValidationFailed naming ``lang`` (unknown language) or ``file`` (the customer's
    template cannot be filled in)."""
    # Imported here: the views and the API import this module, so at module level ReportLab, python-docx
    # and docxtpl would be resident in every web and worker process, for the few requests that render.
    from closeloop.reports.eightd.docx import eightd_docx
    from closeloop.reports.eightd.pdf import eightd_pdf
    from closeloop.reports.eightd.templates import eightd_docx_from_template

    lang = language_check(language)
    data = eightd_report_data(investigation=investigation)
    if fmt == "pdf":
        content = eightd_pdf(data, language=lang)
    else:
        template = report_template_for(data=data)
        if template is not None:
            with template.file.open("rb") as fh:
                content = eightd_docx_from_template(data, fh, language=lang)
        else:
            content = eightd_docx(data, language=lang)
    name, fallback = eightd_filenames(data, fmt, lang)
    return Download(content=content, content_type=CONTENT_TYPES[fmt], filename=name, fallback=fallback)
