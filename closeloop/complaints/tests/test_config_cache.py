"""The configuration a create reads (assignment rules, priority weights, notification rules) is cached
per process, and a committed change — by this process or any other — applies to the very next create."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.db import transaction

from closeloop.complaints.config import _RULES, _WEIGHTS
from closeloop.complaints.models import AssignmentRule, Category, PriorityWeights
from closeloop.core.config_cache import config_tokens
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake
from closeloop.notifications.models import Notification, NotificationRule

pytestmark = pytest.mark.django_db


def _new(actor):
    return complaint_intake(
        draft=ComplaintDraft(
            channel="phone", customer="C001", title="t", description="d", category="quality-corrosion"
        ),
        actor=actor,
    )


@pytest.fixture
def rule(quality_dept, qe, customer):
    return AssignmentRule.objects.create(
        order=10,
        name="质量类",
        category=Category.objects.get(code="quality"),
        department=quality_dept,
        owner=qe,
    )


@pytest.fixture
def sales_dept(db):
    from closeloop.accounts.tests.factories import department_make

    return department_make("sales", "销售部", "Sales")


def test_a_saved_rule_applies_to_the_next_create(agent, rule, sales_dept, qm, frozen_now):
    assert _new(agent).department.code == "quality"  # the rules are cached now
    rule.department, rule.owner = sales_dept, qm
    rule.save()
    c = _new(agent)
    assert (c.department.code, c.owner) == ("sales", qm)


def test_bulk_writes_and_deletes_apply_to_the_next_create(agent, rule, sales_dept, frozen_now):
    assert _new(agent).assignment_rule == rule
    # A rule that now comes first: only a fresh list of rules knows it (the cached one still holds
    # ``rule``, unchanged). Neither bulk write sends a model signal.
    AssignmentRule.objects.bulk_create([AssignmentRule(order=1, name="全部", department=sales_dept)])
    assert _new(agent).department.code == "sales"
    AssignmentRule.objects.filter(name="全部").update(is_active=False)
    assert _new(agent).assignment_rule == rule
    AssignmentRule.objects.create(order=2, name="全部2", department=sales_dept)
    assert _new(agent).department.code == "sales"
    AssignmentRule.objects.filter(name="全部2").delete()
    assert _new(agent).assignment_rule == rule


def test_the_rule_that_applies_is_read_fresh_with_its_owner(agent, rule, qe, frozen_now):
    _new(agent)
    qe.display_name = "新名字"  # not configuration: changes no token
    qe.save()
    assert str(_new(agent).owner) == "新名字"


def test_changed_weights_apply_to_the_next_create(agent, customer, frozen_now):
    before = _new(agent).priority_score
    weights = PriorityWeights.current()
    weights.severity_general += 7
    weights.save()
    assert _new(agent).priority_score == before + 7


def test_a_new_notification_rule_applies_to_the_next_create(agent, customer, qm, frozen_now):
    _new(agent)
    rule = NotificationRule.objects.create(name="every complaint", event="complaint_received")
    rule.users.set([qm])
    c = _new(agent)
    assert Notification.objects.filter(complaint=c, recipient=qm, rule=rule).exists()
    NotificationRule.objects.filter(pk=rule.pk).update(severity="serious")  # no longer for this one
    assert not Notification.objects.filter(complaint=_new(agent), recipient=qm).exists()


def test_a_change_rolled_back_is_never_served(agent, rule, sales_dept, frozen_now):
    with transaction.atomic():
        AssignmentRule.objects.filter(pk=rule.pk).update(department=sales_dept)
        assert _new(agent).department.code == "sales"  # cached under a token that is never committed
        transaction.set_rollback(True)
    assert _new(agent).department.code == "quality"


def test_a_create_reads_the_tokens_once(agent, rule, customer, frozen_now):
    PriorityWeights.current()  # the row exists (a create that has to make it caches nothing)
    _new(agent)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        _new(agent)
    token_reads = [q for q in ctx.captured_queries if "core_configversion" in q["sql"]]
    rule_reads = [q for q in ctx.captured_queries if 'FROM "complaints_assignmentrule"' in q["sql"]]
    weight_reads = [q for q in ctx.captured_queries if 'FROM "complaints_priorityweights"' in q["sql"]]
    notification_rule_reads = [
        q for q in ctx.captured_queries if "notifications_notificationrule" in q["sql"]
    ]
    # One token check; the rule that applies read again by id (for its department and owner); the
    # weights and the (non-matching) notification rules not at all.
    assert (len(token_reads), len(rule_reads), len(weight_reads), len(notification_rule_reads)) == (
        1,
        1,
        0,
        0,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_committed_by_another_process_applies_to_the_next_create(
    agent, rule, sales_dept, frozen_now
):
    from closeloop.core.bench_env import REPO_ROOT, child_env

    assert _new(agent).department.code == "quality"
    tokens = config_tokens()
    code = (
        "from closeloop.complaints.models import AssignmentRule as R; "
        f"r = R.objects.get(pk={rule.pk}); r.department_id = {sales_dept.pk}; r.save()"
    )
    subprocess.run(  # noqa: S603 — our own interpreter and manage.py
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=REPO_ROOT,
        env=child_env(DJANGO_SETTINGS_MODULE="config.settings.test"),
        check=True,
    )
    assert config_tokens()["complaints.assignment_rules"] != tokens["complaints.assignment_rules"]
    assert _new(agent).department.code == "sales"


def test_without_a_token_nothing_is_cached(agent, rule, sales_dept, frozen_now):
    from closeloop.core.models import ConfigVersion

    ConfigVersion.objects.all().delete()  # as a test flush leaves it
    _RULES.clear()
    _WEIGHTS.clear()
    _new(agent)
    with transaction.atomic():
        # Behind every receiver's back, as raw SQL would: read again because no token vouches for it.
        AssignmentRule.objects.filter(pk=rule.pk).update(department=sales_dept)
        ConfigVersion.objects.all().delete()
    assert _new(agent).department.code == "sales"
