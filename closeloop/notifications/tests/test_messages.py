"""Rendering: text comes from verb + data in the reader's language, and never fails on bad data."""

from types import SimpleNamespace

import pytest
from django.utils import translation

from closeloop.notifications.messages import REASON_LABELS, VERB_MESSAGES, notification_text, reason_label


def _n(verb, **data):
    return SimpleNamespace(verb=verb, data=data)


def test_complaint_accepted_in_english():
    n = _n("complaint_accepted", number="KS-2026-000001", title="螺丝刀杆生锈", customer="华东机电有限公司")
    with translation.override("en"):
        assert notification_text(n) == "Complaint KS-2026-000001 accepted: 螺丝刀杆生锈 (华东机电有限公司)"


def test_complaint_accepted_in_chinese(zh_catalogue):
    n = _n("complaint_accepted", number="KS-2026-000001", title="螺丝刀杆生锈", customer="华东机电有限公司")
    with translation.override("zh-hans"):
        assert notification_text(n) == "客诉 KS-2026-000001 已受理：螺丝刀杆生锈（华东机电有限公司）"
        assert reason_label("role_sales_manager") == "您是销售经理。"
    with translation.override("en"):
        assert reason_label("role_sales_manager") == "You are a sales manager."


def test_missing_keys_read_as_empty_and_bad_data_never_raises():
    with translation.override("en"):
        assert (
            notification_text(_n("action_done", number="KS-1", title="换货")) == "completed “换货” on KS-1:"
        )
        assert notification_text(SimpleNamespace(verb="step_approved", data=None)) == "8D :  was approved"
        assert notification_text(_n("no_such_verb", number="KS-1")) == "no_such_verb"
        assert reason_label("no_such_reason") == "no_such_reason"


def test_verdict_renders_the_answer_as_words():
    with translation.override("en"):
        text = notification_text(_n("verdict_recorded", number="KS-1", satisfied=False, score=2))
    assert text == "Customer verdict on KS-1: not satisfied, score 2"


@pytest.mark.parametrize("verb", sorted(VERB_MESSAGES))
def test_every_verb_renders_in_both_languages_without_data(verb):
    for lang in ("en", "zh-hans"):
        with translation.override(lang):
            assert "%(" not in notification_text(_n(verb))


def test_every_reason_the_rules_use_is_registered():
    assert {
        "role_sales_manager",
        "role_quality_manager",
        "role_purchasing_manager",
        "role_general_manager",
        "role_finance",
        "requester",
        "recorder",
        "sales_owner",
        "sales_manager_of_owner",
        "owner",
        "team_member",
        "approver",
        "tracker",
        "department_manager",
        "rule_role",
        "rule_department",
        "rule_named",
    } <= set(REASON_LABELS)


def test_every_verb_is_an_event_rules_can_choose_or_a_digest_of_one_and_every_event_has_a_message():
    from closeloop.notifications.messages import DIGEST_OF, EVENT_LABELS, event_label

    # A digest is routed by its event's rules, so it is no event of its own to choose.
    assert set(EVENT_LABELS) == set(VERB_MESSAGES) - set(DIGEST_OF)
    assert set(DIGEST_OF.values()) <= set(EVENT_LABELS)
    with translation.override("en"):
        assert event_label("complaints_imported") == "Complaint received"
        assert event_label("no_such_verb") == "no_such_verb"
