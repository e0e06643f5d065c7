"""Export jobs: queued and run through the Celery task (eager in tests), progress, the file under
MEDIA/exports/, downloads for the creator only, the Export menu on the complaint list, and failures."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from closeloop.core.errors import ValidationFailed
from closeloop.reports import exports
from closeloop.reports.models import ExportJob
from closeloop.reports.tests.ledger_data import ledger_complaints

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(agent, qe, customer, product):  # type: ignore[no-untyped-def]
    return ledger_complaints(agent, qe)


def _xlsx(response):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def test_a_large_export_is_queued_and_run_by_the_task(seeded, qm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = exports.export_job_create(
            user=qm, kind="ledger", params={"status": ["closed", "new"]}, inline_max_rows=0
        )
    assert len(callbacks) == 1  # queued after commit, not run in the request
    job.refresh_from_db()
    assert job.status == "done" and job.percent == 100 and job.finished
    assert job.total_rows == job.processed_rows == 3
    assert job.file.name.startswith("exports/") and job.file.name.endswith(".xlsx")
    assert job.params == {"status": ["closed", "new"]}
    with job.file.open("rb") as fh:
        ws = load_workbook(fh).active
    assert ws.max_row == 2 + 3
    assert ws["A2"].value == "客诉编号"  # qm's language (zh-hans), whatever the worker's
    assert "状态: 已结案, 新建" in ws["A1"].value


def test_a_small_export_runs_at_once_in_the_creator_s_language(seeded, qm):
    qm.language = "en"
    qm.save(update_fields=["language"])
    job = exports.export_job_create(user=qm, kind="customer_status", params={"customer": "C001"})
    assert job.status == "done" and job.total_rows == 2
    with job.file.open("rb") as fh:
        ws = load_workbook(fh).active
    assert ws["A2"].value == "Complaint number" and ws["A1"].value.startswith("Complaint status per customer")


def test_a_job_that_is_not_queued_is_left_alone(seeded, qm):
    job = exports.export_job_create(user=qm, kind="ledger", params={})
    finished = job.finished_at
    again = exports.export_job_run(job_id=job.pk)
    assert again.status == "done" and again.finished_at == finished


def test_a_job_whose_filters_no_longer_hold_fails_visibly(seeded, qm):
    from closeloop.core import clock

    job = ExportJob.objects.create(
        kind="ledger", params={"status": ["bogus"]}, created_by=qm, created_at=clock.now()
    )
    job = exports.export_job_run(job_id=job.pk)
    assert job.status == "failed" and job.failure.startswith("status: ") and not job.file


def test_bad_kind_or_filter_records_nothing(seeded, qm, agent):
    for kind, params, field in (
        ("everything", {}, "kind"),
        ("ledger", {"received_to": "tomorrow"}, "received_to"),
        ("customer_status", {}, "customer"),
    ):
        with pytest.raises(ValidationFailed) as exc:
            exports.export_job_create(user=qm, kind=kind, params=params)
        assert list(exc.value.fields) == [field]
    assert not ExportJob.objects.exists()


def test_download_only_by_its_creator(seeded, qm, gm, client):
    job = exports.export_job_create(user=qm, kind="ledger", params={})
    url = reverse("reports:export_download", args=[job.pk])
    client.force_login(qm)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_TYPE
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    assert _xlsx(response).max_row == 5
    client.force_login(gm)  # sees every complaint, but this is not their export
    assert client.get(url).status_code == 404
    assert client.get(reverse("reports:export_job", args=[job.pk])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_the_list_s_export_menu_starts_a_job_with_the_current_filters(seeded, qm, client):
    client.force_login(qm)
    page = client.get("/complaints/?status=closed&customer=C001")
    body = page.content.decode()
    assert 'id="export-menu"' in body and 'name="filters" value="status=closed&amp;customer=C001"' in body
    table = client.get(
        "/complaints/?severity=minor", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="complaint-table"
    )
    assert 'name="filters" value="severity=minor"' in table.content.decode()  # kept current by htmx
    response = client.post(
        reverse("reports:export_create"), {"kind": "ledger", "filters": "status=closed&customer=C001"}
    )
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "reports:export_job", args=[job.pk]
    )
    assert job.created_by == qm and job.params == {"status": ["closed"], "customer": ["C001"]}
    card = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'id="export-progress"' in card and "hx-trigger" not in card  # finished: polling stops
    assert reverse("reports:export_download", args=[job.pk]) in card
    page = client.get(response["Location"]).content.decode()
    assert "<html" in page and 'id="export-download"' in page


def test_the_menu_refuses_a_customer_report_without_a_customer(seeded, qm, client):
    client.force_login(qm)
    assert 'id="export-customer-status">' in client.get("/complaints/").content.decode()
    response = client.post(
        reverse("reports:export_create"), {"kind": "customer_status", "filters": "status=new"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/complaints/?status=new"
    assert not ExportJob.objects.exists()
    messages = [str(m) for m in response.context["messages"]]
    assert messages and messages[0].startswith("customer: ")
