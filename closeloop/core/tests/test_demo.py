"""The demo that `make run` loads, and standard Django management."""

import io

import pytest
from django.core.management import call_command

from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint, ComplaintEvent
from closeloop.customers.models import Customer, Product, SalesOrder

pytestmark = pytest.mark.django_db


def test_demo_load_builds_every_state_through_the_services():
    call_command("demo_load", "--if-empty")
    assert (
        Customer.objects.count() >= 5 and Product.objects.count() >= 20 and SalesOrder.objects.count() >= 50
    )
    assert Complaint.objects.count() == 150
    assert set(Complaint.objects.values_list("status", flat=True)) == {
        "new",
        "triaged",
        "in_progress",
        "awaiting_customer",
        "closed",
        "rejected",
        "merged",
    }
    assert Complaint.objects.filter(reopen_count__gt=0, status="closed").exists()
    assert Complaint.objects.filter(reopen_count__gt=0, status="in_progress").exists()
    # every complaint has its `created` event, and the triaged ones a `triaged` event
    assert ComplaintEvent.objects.filter(verb="created").count() == 150
    assert (
        ComplaintEvent.objects.filter(verb="triaged").count()
        == Complaint.objects.filter(
            status__in=["triaged", "in_progress", "awaiting_customer", "closed"]
        ).count()
    )
    assert Complaint.objects.filter(order__isnull=False).count() > 50
    span = Complaint.objects.order_by("received_at")
    assert (span.last().received_at - span.first().received_at).days > 300
    for role_user in ["agent", "sales", "salesmgr", "qe", "qm", "purchasing", "finance", "gm", "admin"]:
        assert User.objects.get(username=role_user).check_password("closeloop-demo")
    # serious quality complaints on the full-8D path, cases left at every stage
    from closeloop.investigations.models import Discipline, Investigation

    cases = Investigation.objects.all()
    assert cases.count() >= 6
    assert set(cases.values_list("status", flat=True)) == {"open", "closed"}
    assert cases.filter(reopen_count=1, status="open", current_step=4).exists()
    assert set(Discipline.objects.values_list("status", flat=True)) == {
        "todo",
        "draft",
        "submitted",
        "approved",
        "returned",
    }
    assert set(Complaint.objects.filter(handling_path="8d").values_list("status", flat=True)) == {
        "in_progress",
        "awaiting_customer",
        "closed",
    }
    # every demo product is made at one of the plants, so every demo complaint carries a site
    assert set(Complaint.objects.values_list("site__code", flat=True)) == {"SZ", "SU", "CQ"}
    call_command("demo_load", "--if-empty")  # idempotent
    assert Complaint.objects.count() == 150


def test_createsuperuser_works_non_interactively(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "S3cure-pass-123")
    call_command("createsuperuser", "--noinput", "--username", "root", "--email", "root@example.com")
    root = User.objects.get(username="root")
    assert root.is_superuser and root.check_password("S3cure-pass-123")


def test_createsuperuser_reads_everything_from_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "ops")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "An0ther-secure-pass")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "ops@example.com")
    call_command("createsuperuser", "--noinput", stdout=io.StringIO())
    ops = User.objects.get(username="ops")
    assert ops.is_superuser and ops.is_staff and ops.email == "ops@example.com"
    assert ops.check_password("An0ther-secure-pass")


def test_demo_logins_prints_users_roles_password_and_url(agent):
    out = io.StringIO()
    call_command("demo_logins", "--url", "http://127.0.0.1:8123/", stdout=out)
    lines = out.getvalue().splitlines()
    agent_row = next(line for line in lines if line.startswith("| agent "))
    assert "客服专员" in agent_row and "closeloop-demo" in agent_row  # role label in zh-hans
    gm_row = next(line for line in lines if line.startswith("| gm "))
    assert "closeloop-demo" not in gm_row  # not loaded yet: no password promised
    assert "http://127.0.0.1:8123/accounts/login/" in out.getvalue()
    assert "demo_load" in lines[-1]


def test_demo_master_data_has_plants_and_stays_idempotent():
    from closeloop.core.demo import demo_master_data
    from closeloop.customers.models import Site

    base = demo_master_data()
    assert [(s.code, s.name, s.name_en) for s in Site.objects.all()] == [
        ("CQ", "重庆工厂", "Chongqing plant"),
        ("SU", "苏州工厂", "Suzhou plant"),
        ("SZ", "深圳工厂", "Shenzhen plant"),
    ]
    assert {p.site.code for p in base["products"]} == {"SZ", "SU", "CQ"}
    assert not Product.objects.filter(site__isnull=True).exists()
    # A demo loaded before plants existed: its products get their plant, nothing is doubled.
    Product.objects.filter(code="P007").update(site=None)
    demo_master_data()
    assert Site.objects.count() == 3 and Product.objects.count() == 20
    assert Product.objects.get(code="P007").site.code == "CQ"
