"""The audit evidence pack: one ZIP with the record, the 8D report, evidence, approvals, the handling
reports' ledger and the audit trail, with checksums that match."""

import csv
import hashlib
import io
import json
import zipfile

import pytest

from closeloop.reports import handling as svc
from closeloop.reports.models import ExportJob

pytestmark = pytest.mark.django_db

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def test_the_pack_holds_the_whole_record(
    client, closed_case, qe, qm, salesmgr, django_capture_on_commit_callbacks
):
    from closeloop.complaints.attachments import attachment_add

    attachment_add(complaint=closed_case, actor=qe, name="锈蚀照片.png", data=PNG)
    r = svc.handling_report_create(complaint=closed_case, actor=qe)
    r = svc.handling_report_approve(report=svc.handling_report_submit(report=r, actor=qe), actor=salesmgr)
    svc.handling_report_send(report=r, actor=qe, to_email="wang@customer.example")
    closed_case.title = '=HYPERLINK("http://evil","x")'  # a hostile title must not run in the CSV
    closed_case.save(update_fields=["title"])

    client.force_login(qm)
    with django_capture_on_commit_callbacks(execute=True):  # the worker's task, run eagerly here
        started = client.post(f"/reports/audit-pack/{closed_case.number}/", {"language": "zh-hans"})
    assert started.status_code == 302
    job = ExportJob.objects.get(kind="audit_pack")
    assert started["Location"] == f"/reports/exports/{job.pk}/"
    assert (job.status, job.processed_rows, job.total_rows) == ("done", job.total_rows, job.total_rows)
    assert 'id="export-download"' in client.get(started["Location"]).content.decode()
    response = client.get(f"/reports/exports/{job.pk}/download/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert f"{closed_case.number}-audit-pack" in response["Content-Disposition"]
    z = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(z.namelist())
    case = closed_case.investigation.number
    assert {
        "record.json",
        "audit_trail.csv",
        "approvals.csv",
        f"8d/{case}.pdf",
        f"handling_reports/{closed_case.number}-v1.pdf",
        "handling_reports/ledger.csv",
        "MANIFEST.txt",
    } <= names
    assert any(n.startswith("attachments/") and n.endswith("锈蚀照片.png") for n in names)
    record = json.loads(z.read("record.json"))
    assert record["number"] == closed_case.number and record["investigation"] == case
    assert record["deadlines"] and record["title"].startswith("=HYPERLINK")  # JSON keeps data as data
    trail = list(csv.reader(io.StringIO(z.read("audit_trail.csv").decode("utf-8-sig"))))
    assert len(trail) > 10 and trail[0][0] in ("时间", "Time")
    approvals = z.read("approvals.csv").decode("utf-8-sig")
    assert f"{case} D8" in approvals and "销售赵经理" in approvals
    ledger = list(csv.reader(io.StringIO(z.read("handling_reports/ledger.csv").decode("utf-8-sig"))))
    assert ledger[1][0] == "v1" and ledger[1][8] == "wang@customer.example"
    for line in z.read("MANIFEST.txt").decode().splitlines()[2:]:
        sha, _size, name = line.split(maxsplit=2)
        assert hashlib.sha256(z.read(name)).hexdigest() == sha


def test_only_the_quality_team_gets_a_pack(client, closed_case, sales, agent, qm):
    client.force_login(sales)  # cannot even see this customer's complaint
    assert client.post(f"/reports/audit-pack/{closed_case.number}/").status_code == 404
    client.force_login(agent)
    assert client.post(f"/reports/audit-pack/{closed_case.number}/").status_code == 403
    assert not ExportJob.objects.exists()
    client.force_login(qm)
    client.post(f"/reports/audit-pack/{closed_case.number}/")
    job = ExportJob.objects.get()
    client.force_login(agent)  # somebody else's pack does not exist for you
    assert client.get(f"/reports/exports/{job.pk}/download/").status_code == 404
