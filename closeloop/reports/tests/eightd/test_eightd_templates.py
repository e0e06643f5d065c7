"""Customer 8D templates: filled from the documented context, refused clearly when broken, checked on
upload, and chosen for a customer's DOCX download when active."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from closeloop.accounts.models import User
from closeloop.core.errors import ValidationFailed
from closeloop.reports.eightd.context import context_fields, template_context
from closeloop.reports.eightd.data import eightd_report_data
from closeloop.reports.eightd.lang import Lang
from closeloop.reports.eightd.sample import sample_report
from closeloop.reports.eightd.services import eightd_download
from closeloop.reports.eightd.templates import eightd_docx_from_template, report_template_validate
from closeloop.reports.forms import ReportTemplateForm
from closeloop.reports.models import ReportTemplate
from closeloop.reports.tests.eightd.helpers import picture, template_docx

pytestmark = pytest.mark.django_db


def _read(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


@pytest.fixture(autouse=True)
def _english():
    """The messages checked here are compared in English; pages follow the user's own language."""
    from django.utils import translation

    with translation.override("en"):
        yield


def test_a_customer_template_is_filled_with_the_case(seed_case):
    tpl = template_docx(
        "投诉编号：{{ complaint.number }}　8D：{{ case.number }}",
        "根本原因：{{ root_causes.occurrence }}",
        "{% for c in causes %}{{ c.id }} {{ c.text }}（{{ c.status_label }}）；{% endfor %}",
        "{% for m in team %}{{ m.name }}/{{ m.role_label }} {% endfor %}",
        "费用合计：{{ cost.total }}　财务认证：{{ d8.cost_verified_by }}",
    )
    out = eightd_docx_from_template(eightd_report_data(investigation=seed_case), tpl, language="zh-hans")
    doc = _read(out)
    text = [p.text for p in doc.paragraphs]
    assert text[0] == "投诉编号：KS-2026-000001　8D：8D-2026-0001"
    assert text[1] == "根本原因：运输包装无防水措施，外箱受潮导致生锈"
    assert text[2].startswith("C1 运输途中包装受潮（") and "C3 防锈油不足" in text[2]
    assert "质量工程师陈工/" in text[3] and "生产主管/" in text[3]
    assert text[4] == "费用合计：2,500.00　财务认证：财务王"
    rows = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert len(rows) == 3  # the header and one row per containment location; the loop rows are gone
    assert [r[1:] for r in rows[1:]] == [["500", "50"], ["1200", "0"]]
    assert rows[1][0] != "customer_stock" and rows[1][0]  # the location's label, not its code


def test_labels_follow_the_language_and_images_can_be_placed(seed_case):
    data = eightd_report_data(investigation=seed_case)
    tpl = template_docx("{% for i in images %}", "{{ i.image }}", "{{ i.caption }}{% endfor %}", rows=True)
    doc = _read(eightd_docx_from_template(data, tpl, language="en"))
    assert [[c.text for c in row.cells] for row in doc.tables[0].rows][1][0] == "Customer stock"
    assert len(doc.inline_shapes) == 2
    assert "现场挑选不良品" in [p.text for p in doc.paragraphs]


def test_the_documented_context_is_plain_data():
    context = template_context(sample_report(), Lang("en"))
    assert list(context) == context_fields()

    def plain(value: object) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, str | int | bool)

    assert plain(context)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{{ complaint.number ", "“{{ complaint.number”"),  # the message quotes where it broke
        ("{% for r in d3_rows %}{{ r.action }}", "endfor"),
        ("{{ complaint.number.__class__.__mro__ }}", "unsafe"),
    ],
)
def test_a_broken_template_is_refused_naming_the_file(seed_case, body, reason):
    data = eightd_report_data(investigation=seed_case)
    with pytest.raises(ValidationFailed) as exc:
        eightd_docx_from_template(data, template_docx(body, rows=False), language="zh-hans")
    assert list(exc.value.fields) == ["file"]
    message = str(exc.value.fields["file"][0])
    assert message.startswith("The template cannot be filled in:") and reason in message.lower()


def test_a_file_that_is_not_a_docx_is_refused_by_its_content():
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("readme.txt", "not word")
    for data in (picture(), b"PK\x03\x04 truncated", zipped.getvalue()):
        with pytest.raises(ValidationFailed) as exc:
            report_template_validate(data)
        assert exc.value.fields["file"] == ["This file is not a Word document (.docx)."]


def test_the_upload_form_checks_the_file_and_the_docx_download_uses_the_active_template(
    seed_case, customer, qm
):
    bad = ReportTemplateForm(
        data={"name": "华东8D", "customer": customer.pk, "is_active": True},
        files={"file": SimpleUploadedFile("8d.docx", template_docx("{% if %}", rows=False))},
    )
    assert not bad.is_valid() and "The template cannot be filled in" in bad.errors["file"][0]
    renamed_png = ReportTemplateForm(
        data={"name": "华东8D", "customer": customer.pk, "is_active": True},
        files={"file": SimpleUploadedFile("8d.docx", picture())},
    )
    assert not renamed_png.is_valid() and renamed_png.errors["file"] == [
        "This file is not a Word document (.docx)."
    ]
    good = ReportTemplateForm(
        data={"name": "华东8D", "customer": customer.pk, "is_active": True},
        files={"file": SimpleUploadedFile("8d.docx", template_docx("客户格式 {{ case.number }}"))},
    )
    assert good.is_valid(), good.errors
    template = good.save()

    download = eightd_download(investigation=seed_case, fmt="docx", language="zh-hans")
    assert _read(download.content).paragraphs[0].text == "客户格式 8D-2026-0001"

    ReportTemplate.objects.filter(pk=template.pk).update(is_active=False)
    builtin = eightd_download(investigation=seed_case, fmt="docx", language="zh-hans")
    assert _read(builtin.content).paragraphs[0].text != "客户格式 8D-2026-0001"
    assert "8D-2026-0001" in _read(builtin.content).sections[0].header.paragraphs[0].text


def test_the_admin_refuses_a_broken_upload_and_records_who_uploaded_a_good_one(client, customer):
    admin = User.objects.create_superuser(
        username="root", password="pass12345!", email="root@example.com", language="en"
    )
    client.force_login(admin)
    add = "/admin/reports/reporttemplate/add/"
    form = {"name": "华东8D", "customer": customer.pk, "is_active": "on"}
    r = client.post(add, {**form, "file": SimpleUploadedFile("8d.docx", template_docx("{{ case.number }"))})
    assert r.status_code == 200 and "The template cannot be filled in" in r.content.decode()
    assert not ReportTemplate.objects.exists()
    r = client.post(add, {**form, "file": SimpleUploadedFile("8d.docx", template_docx("{{ case.number }}"))})
    assert r.status_code == 302
    saved = ReportTemplate.objects.get()
    assert (saved.customer, saved.uploaded_by, saved.is_active) == (customer, admin, True)
    assert saved.file.read().startswith(b"PK")
