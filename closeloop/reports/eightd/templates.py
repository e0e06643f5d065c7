"""Customer 8D templates: a customer's own DOCX format filled from the record with docxtpl.

The template is a Word document with Jinja fields — ``{{ complaint.number }}``, ``{%tr for r in d3_rows %}``
for a table row per containment location, ``{{ i.image }}`` for a picture — filled from the plain dict
documented in ``eightd/context.py`` (field names listed by ``context_fields()``). Jinja runs sandboxed
with autoescape on, so recorded text (``<w:t>`` or ``<img …>`` typed by a customer) stays text and
cannot break the document's XML.

A template that cannot be filled raises ValidationFailed naming the ``file`` field with the reason and
line, never a server error. Uploads are checked by :func:`report_template_validate`: a real DOCX (a ZIP
holding ``word/document.xml``, judged by content, within the size limits) that fills in with the
invented :func:`~closeloop.reports.eightd.sample.sample_report`.
"""

from __future__ import annotations

import io
import zipfile
from typing import IO, Any

from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from docx.opc.exceptions import PackageNotFoundError
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from lxml.etree import XMLSyntaxError

from closeloop.core.errors import ValidationFailed
from closeloop.reports.eightd.context import template_context
from closeloop.reports.eightd.docx import xml_text
from closeloop.reports.eightd.images import EvidenceImage
from closeloop.reports.eightd.lang import Lang, language_check
from closeloop.reports.eightd.records import EightDReport

TEMPLATE_MAX_BYTES = 5 * 1024 * 1024
# A ZIP may expand far beyond its size; more than this unpacked is refused (a "zip bomb").
TEMPLATE_MAX_UNPACKED = 50 * 1024 * 1024
FIELD = "file"


def _refuse(message: Any) -> ValidationFailed:
    return ValidationFailed(fields={FIELD: [message]})


def template_read(fileobj: IO[bytes] | bytes) -> bytes:
    """The template's bytes (one byte past the limit at most, so an oversize upload is not held)."""
    if isinstance(fileobj, bytes):
        return fileobj
    if hasattr(fileobj, "seek"):
        fileobj.seek(0)
    return fileobj.read(TEMPLATE_MAX_BYTES + 1)


def docx_check(data: bytes) -> None:
    """A DOCX by its content: a ZIP with ``word/document.xml``, within the size limits. Raises
    ValidationFailed naming ``file``."""
    if len(data) > TEMPLATE_MAX_BYTES:
        raise _refuse(
            _("The template is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(len(data)), "limit": filesizeformat(TEMPLATE_MAX_BYTES)}
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(i.file_size for i in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refuse(_("This file is not a Word document (.docx).")) from None
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise _refuse(_("This file is not a Word document (.docx)."))
    if unpacked > TEMPLATE_MAX_UNPACKED:
        raise _refuse(_("The template unpacks to more than %(limit)s.") % {"limit": "50 MB"})


def _error_text(exc: Exception) -> str:
    line = getattr(exc, "lineno", None)
    message = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
    # docxtpl adds the template's text around a Jinja error; its first non-empty line locates it.
    around = [x.strip() for x in getattr(exc, "docx_context", None) or [] if x.strip()]
    where = f" — “{around[len(around) // 2][:80]}”" if around else ""
    return f"{message}{where}" if line is None else f"{message} ({line}){where}"


def _fill(raw: bytes, data: EightDReport, lang: Lang) -> bytes:
    docx_check(raw)
    try:
        tpl = DocxTemplate(io.BytesIO(raw))

        def image(img: EvidenceImage) -> InlineImage:
            return InlineImage(tpl, io.BytesIO(img.data), width=Mm(img.width_mm))

        context = _clean(template_context(data, lang, image=image))
        tpl.render(context, jinja_env=SandboxedEnvironment(autoescape=True), autoescape=True)
        out = io.BytesIO()
        tpl.save(out)
    except (
        TemplateError,
        XMLSyntaxError,
        PackageNotFoundError,
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
    ) as exc:
        raise _TemplateBroken(_error_text(exc)) from exc
    return out.getvalue()


class _TemplateBroken(Exception):
    """Raised inside the report's language; turned into the user's message outside it."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _fill_in(raw: bytes, data: EightDReport, lang: Lang) -> bytes:
    """Fill in the report's language; a refusal is worded in the caller's (the user's) language."""
    try:
        with translation.override(lang.active):
            return _fill(raw, data, lang)
    except _TemplateBroken as exc:
        raise _refuse(_("The template cannot be filled in: %(error)s") % {"error": exc.text}) from exc


def _clean(value: Any) -> Any:
    """Every string made fit for Word's XML (control characters dropped), recursively."""
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def eightd_docx_from_template(
    data: EightDReport, template_file: IO[bytes] | bytes, *, language: str
) -> bytes:
    """The report in ``language`` filled into a customer's template; DOCX bytes. Raises
    ValidationFailed naming ``lang`` for an unknown language, naming ``file`` when the template is not
    a DOCX or cannot be filled (with Jinja's reason and line)."""
    lang = Lang(language_check(language))
    raw = template_read(template_file)
    return _fill_in(raw, data, lang)


def report_template_validate(fileobj: IO[bytes] | bytes) -> bytes:
    """An uploaded template accepted or refused: a real DOCX that fills in with the sample report
    (bilingual, so every label is exercised). Returns its bytes; raises ValidationFailed naming
    ``file``."""
    from closeloop.reports.eightd.sample import sample_report

    raw = template_read(fileobj)
    sample = sample_report()
    _fill_in(raw, sample, Lang("bilingual"))
    return raw
