"""The complaint's site (plant) at intake: named, or derived from the product; and in the imports."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from closeloop.accounts import roles
from closeloop.accounts.tests.factories import user_make
from closeloop.complaints.creation import complaint_site_for
from closeloop.complaints.models import Complaint, ComplaintEvent
from closeloop.core.errors import ValidationFailed
from closeloop.customers.models import Product
from closeloop.customers.tests.factories import product_make, site_make
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.importing.service import import_job_create, import_job_run
from closeloop.intake.services import complaint_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def sz(db):
    return site_make("SZ", "深圳工厂", name_en="Shenzhen plant")


@pytest.fixture
def su(db):
    return site_make("SU", "苏州工厂", name_en="Suzhou plant")


def _draft(**kw) -> ComplaintDraft:
    return ComplaintDraft(
        **{"channel": "phone", "customer": "C001", "title": "杆部生锈", "description": "约50支", **kw}
    )


def test_site_is_derived_from_the_product(agent, customer, sz, frozen_now):
    product_make("P201", "扳手", site=sz)
    c = complaint_intake(draft=_draft(product="P201"), actor=agent)
    assert c.site == sz
    created = ComplaintEvent.objects.get(complaint=c, verb="created")
    assert {"field": "site", "old": None, "new": "SZ 深圳工厂"} in created.changes


def test_site_is_derived_from_the_product_of_the_order_line(agent, order, product, sz, frozen_now):
    Product.objects.filter(pk=product.pk).update(site=sz)
    c = complaint_intake(draft=_draft(customer="", order_number="SO-2026-0001"), actor=agent)
    assert c.product == product and c.site == sz


def test_an_explicit_site_is_kept(agent, customer, sz, su, frozen_now):
    product_make("P201", "扳手", site=sz)
    c = complaint_intake(draft=_draft(product="P201", site="SU"), actor=agent)
    assert c.site == su


def test_no_product_and_no_site_leaves_it_empty(agent, customer, frozen_now):
    assert complaint_intake(draft=_draft(), actor=agent).site is None


@pytest.mark.parametrize(
    ("code", "message"), [("XX", "没有编码为“XX”的工厂。"), ("OLD", "工厂 OLD 已停用。")]
)
def test_an_unknown_or_inactive_site_is_refused_by_name_and_nothing_is_written(
    agent, customer, frozen_now, code, message
):
    site_make("OLD", "旧工厂", is_active=False)
    with pytest.raises(ValidationFailed) as exc:
        complaint_intake(draft=_draft(site=code), actor=agent)
    assert [str(m) for m in exc.value.fields["site"]] == [message]
    assert Complaint.objects.count() == 0


def test_the_rule_when_the_product_changes(sz, su):
    """The site follows a (new) product only while it is empty; a site already set is kept."""
    at_su = product_make("P301", "齿轮泵", site=su)
    assert complaint_site_for(site=None, product=at_su) == su
    assert complaint_site_for(site=sz, product=at_su) == sz
    assert complaint_site_for(site=None, product=None) is None
    assert complaint_site_for(site=None, product=product_make("P302", "无工厂")) is None


def _form(**overrides):
    return {
        "channel": "phone",
        "received_at": "2026-06-15T09:30",
        "customer": "C001",
        "title": "螺丝刀杆生锈",
        "description": "表面生锈约50支",
        "severity": "serious",
        "urgency": "normal",
        "impact_scope": "single",
        "category": "quality-corrosion",
        **overrides,
    }


def test_staff_form_offers_the_sites_and_keeps_the_choice(client, agent, customer, sz, su, frozen_now):
    client.force_login(agent)
    page = client.get("/intake/new/").content.decode()
    assert 'name="site"' in page and '<option value="SU">SU 苏州工厂</option>' in page
    product_make("P201", "扳手", site=sz)
    resp = client.post("/intake/new/", _form(product="P201", site="SU"))
    assert resp.status_code == 302
    assert Complaint.objects.get().site == su
    resp = client.post("/intake/new/", _form(product="P201", site=""))
    assert resp.status_code == 302
    assert Complaint.objects.order_by("-pk").first().site == sz  # empty: the product's site


def test_staff_form_refuses_an_unknown_site_beside_the_field(client, agent, customer, sz, frozen_now):
    client.force_login(agent)
    resp = client.post("/intake/new/", _form(site="XX"))
    assert resp.status_code == 422
    assert "site" in resp.context["form"].errors
    assert Complaint.objects.count() == 0


# --- imports ---------------------------------------------------------------------------------------


def _xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _run(user, kind: str, data: bytes):
    job = import_job_create(user=user, kind=kind, name=f"{kind}.xlsx", data=data, queue=False)
    return import_job_run(job_id=job.pk)


@pytest.mark.parametrize(
    ("headers", "site_header"),
    [
        (["客户编码", "标题", "问题描述", "产品编码", "工厂编码"], "工厂编码"),
        (["customer", "title", "description", "product", "site"], "site"),
    ],
)
def test_complaint_import_takes_a_site_column(agent, customer, sz, su, frozen_now, headers, site_header):
    product_make("P201", "扳手", site=sz)
    job = _run(
        agent,
        "complaints",
        _xlsx(
            [
                headers,
                ["C001", "指定工厂", "描述", "P201", "SU"],
                ["C001", "产品的工厂", "描述", "P201", ""],
                ["C001", "未知工厂", "描述", "P201", "XX"],
            ]
        ),
    )
    assert (job.created_count, job.error_count) == (2, 1)
    assert Complaint.objects.get(title="指定工厂").site == su
    assert Complaint.objects.get(title="产品的工厂").site == sz
    assert job.report == [{"row": 4, "column": site_header, "reason": "没有编码为“XX”的工厂。"}]
    assert not Complaint.objects.filter(title="未知工厂").exists()


def test_product_import_takes_a_site_column(db, sz):
    admin = user_make("boss", roles.ADMINISTRATOR)
    job = _run(
        admin,
        "products",
        _xlsx(
            [
                ["产品编码", "产品名称", "工厂编码"],
                ["P401", "六角螺栓", "SZ"],
                ["P402", "平垫圈", "XX"],
                ["P403", "弹簧垫圈", ""],
            ]
        ),
    )
    assert (job.created_count, job.error_count) == (2, 1)
    assert Product.objects.get(code="P401").site == sz
    assert Product.objects.get(code="P403").site is None
    assert job.report == [{"row": 3, "column": "工厂编码", "reason": "没有编码为“XX”的工厂。"}]
    assert not Product.objects.filter(code="P402").exists()


def test_templates_name_the_site_column_and_list_the_sites(client, agent, sz):
    from openpyxl import load_workbook

    client.force_login(agent)
    wb = load_workbook(io.BytesIO(client.get("/intake/import/template/complaints.xlsx").content))
    data, notes = wb.worksheets
    assert "工厂编码" in [c.value for c in data[1]]
    rows = [[c.value for c in row] for row in notes.iter_rows()]
    assert ["SZ", "深圳工厂", None, None, None] in rows
