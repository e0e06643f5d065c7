"""core.db.PreparedQuery gives what ``.first()`` gives, compiled once."""

from __future__ import annotations

import pytest

from closeloop.accounts.models import ApiToken
from closeloop.accounts.services import api_token_create
from closeloop.core.db import PreparedQuery
from closeloop.customers.models import Customer

pytestmark = pytest.mark.django_db


def test_it_answers_as_first_with_converters_and_select_related(agent, customer):
    by_code = PreparedQuery(lambda code: Customer.objects.filter(code=code), samples=("\0code",))
    found = by_code.first("C001")
    expected = Customer.objects.filter(code="C001").first()
    assert found is not None and expected is not None
    assert {f.attname: getattr(found, f.attname) for f in Customer._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in Customer._meta.concrete_fields
    }
    assert type(found.annual_value) is type(expected.annual_value)  # converted on SQLite too
    assert not found._state.adding and found._state.db == "default"
    assert by_code.first("nobody") is None

    token, raw = api_token_create(user=agent, name="t")
    by_digest = PreparedQuery(
        lambda d: ApiToken.objects.active().select_related("user").filter(digest=d), samples=("0" * 64,)
    )
    got = by_digest.first(ApiToken.hash(raw))
    assert got is not None and got.pk == token.pk and got.created_at == token.created_at
    # The user came with the token: no query to reach it.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert got.user.username == agent.username
    assert ctx.captured_queries == []


def test_a_value_the_orm_would_convert_is_refused(customer):
    # The sample would reach the SQL as "%C%" (a LIKE pattern), not as given.
    contains = PreparedQuery(lambda code: Customer.objects.filter(code__contains=code), samples=("C",))
    with pytest.raises(ValueError, match="Not a prepared query"):
        contains.first("C")
