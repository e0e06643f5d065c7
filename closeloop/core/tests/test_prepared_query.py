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


def test_annotations_are_set_on_the_instance_converted(customer, agent, complaint):
    from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Value
    from django.db.models.functions import Upper

    def build(code):
        return Customer.objects.filter(code=code).annotate(
            shout=Upper("name"),
            complaints_n=Count("complaints"),
            unowned=ExpressionWrapper(Q(sales_owner__isnull=True), output_field=BooleanField()),
        )

    found = PreparedQuery(build, samples=("\0code",)).first("C001")
    expected = build("C001").first()
    assert found is not None and expected is not None
    assert (found.shout, found.complaints_n, found.unowned) == (expected.shout, 1, expected.unowned)
    assert type(found.unowned) is bool  # the boolean converter ran (SQLite gives 0 or 1)
    # An annotation with a value of its own would shift the parameters: refused.
    with_value = PreparedQuery(lambda code: build(code).annotate(flag=Value(True)), samples=("\0code",))
    with pytest.raises(ValueError, match="Not a prepared query"):
        with_value.first("C001")


def test_a_value_the_orm_would_convert_is_refused(customer):
    # The sample would reach the SQL as "%C%" (a LIKE pattern), not as given.
    contains = PreparedQuery(lambda code: Customer.objects.filter(code__contains=code), samples=("C",))
    with pytest.raises(ValueError, match="Not a prepared query"):
        contains.first("C")


def _prepared_statements() -> dict[str, int]:
    """This connection's prepared statements (PostgreSQL): their text and how many generic plans ran."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans FROM pg_prepared_statements")
        return dict(cursor.fetchall())


def test_a_kept_plan_cursor_prepares_its_statements_on_postgresql(customer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from closeloop.core.db import plan_kept_cursor

    sql = "SELECT code FROM customers_customer WHERE code = %s"
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(7):
            with plan_kept_cursor() as cursor:
                cursor.execute(sql, ["C001"])
                assert cursor.fetchall() == [("C001",)]
    # Logged like any other query (the query-count pins see it).
    assert len(ctx.captured_queries) == 7 and "C001" in ctx.captured_queries[0]["sql"]
    if connection.vendor != "postgresql":
        return
    kept = {text: generic for text, generic in _prepared_statements().items() if "customers_customer" in text}
    # Prepared once; after five runs planned for the values given, the server kept one plan for the rest.
    assert list(kept.values()) == [2], kept
    # Django's own cursors still prepare nothing.
    before = len(_prepared_statements())
    for _ in range(7):
        Customer.objects.filter(code="C001").exists()
    assert len(_prepared_statements()) == before


def test_a_prepared_query_keeps_its_plan_on_postgresql(customer):
    from django.db import connection

    by_code = PreparedQuery(lambda code: Customer.objects.filter(code=code), samples=("\0code",))
    for _ in range(7):
        assert by_code.first("C001") is not None
    assert by_code.first("nobody") is None
    if connection.vendor == "postgresql":
        assert any("customers_customer" in text for text in _prepared_statements())
