"""Masking of contacts' personal data (PIPL: minimum necessary)."""

import pytest

from closeloop.customers.pii import email_for, mask_email, mask_phone, phone_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("021-6234-5678", "021****5678"),
        ("12345", "***45"),
        ("12", "12"),
        ("", ""),
    ],
)
def test_mask_phone(raw, masked):
    assert mask_phone(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("wang@example.com", "w***@example.com"),
        ("li.ming@huadong.cn", "l***@huadong.cn"),
        ("@example.com", "***@example.com"),
    ],
)
def test_mask_email(raw, masked):
    assert mask_email(raw) == masked


def test_roles_without_pii_permission_get_masked_values(agent, qe):
    # The agent's role holds customers.view_contact_pii, the quality engineer's does not.
    assert phone_for(agent, "13812345678") == "13812345678"
    assert email_for(agent, "wang@example.com") == "wang@example.com"
    assert phone_for(qe, "13812345678") == "138****5678"
    assert email_for(qe, "wang@example.com") == "w***@example.com"
    assert phone_for(qe, "") == "" and email_for(qe, "") == ""
