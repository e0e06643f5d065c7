"""The permission set a user's checks read: one statement, the same set as Django's ModelBackend."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from closeloop.accounts import roles
from closeloop.accounts.models import User
from closeloop.accounts.tests.factories import user_make

pytestmark = pytest.mark.django_db


def _model_backend_set(user: User) -> set[str]:
    """What ModelBackend itself reads (its per-kind caches, not ``_perm_cache``)."""
    backend = ModelBackend()
    return backend.get_user_permissions(user) | backend.get_group_permissions(user)


def test_role_and_direct_permissions_in_one_query(qm, django_assert_num_queries):
    qm.user_permissions.add(Permission.objects.get(codename="delete_apitoken"))
    user = User.objects.get(pk=qm.pk)
    with django_assert_num_queries(1):
        assert user.has_perm("complaints.triage_complaint")  # from the role
        assert user.has_perm("accounts.delete_apitoken")  # granted to the user directly
        assert not user.has_perm("accounts.delete_user")
        assert user.has_perms(["complaints.assign_complaint", "complaints.view_all_complaints"])
    assert user.get_all_permissions() == _model_backend_set(User.objects.get(pk=qm.pk))


@pytest.mark.parametrize("role", [roles.AGENT, roles.SALESPERSON, roles.FINANCE, roles.GENERAL_MANAGER])
def test_each_role_reads_what_model_backend_reads(role):
    user = user_make(f"u-{role}", role)
    assert user.get_all_permissions() == _model_backend_set(User.objects.get(pk=user.pk))
    assert user.get_all_permissions()  # every role grants something


def test_superuser_and_inactive_users_as_django_has_them():
    boss = User.objects.create_superuser("root", "root@example.com", "pass12345!")
    assert len(boss.get_all_permissions()) == Permission.objects.count()
    gone = user_make("gone", roles.QUALITY_MANAGER)
    gone.is_active = False
    assert gone.get_all_permissions() == set()
    assert not gone.has_perm("complaints.triage_complaint")


def test_a_role_change_is_seen_by_the_next_request_s_user(agent):
    user = User.objects.get(pk=agent.pk)
    assert not user.has_perm("complaints.triage_complaint")
    agent.groups.add(*User.objects.get(pk=user_make("tmp-qm", roles.QUALITY_MANAGER).pk).groups.all())
    # The set is kept per user object (one per request), as ModelBackend keeps it.
    assert not user.has_perm("complaints.triage_complaint")
    assert User.objects.get(pk=agent.pk).has_perm("complaints.triage_complaint")


def _all_permissions() -> set[str]:
    rows = Permission.objects.values_list("content_type__app_label", "codename")
    return {f"{app}.{codename}" for app, codename in rows}


def test_an_api_token_brings_its_user_s_permissions_in_the_same_statement(qm, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from closeloop.accounts.services import api_token_authenticate, api_token_create

    qm.user_permissions.add(Permission.objects.get(codename="delete_apitoken"))
    nobody = user_make("nobody")
    boss = User.objects.create_superuser("root", "root@example.com", "pass12345!")
    for person, statements in ((qm, 1), (agent, 1), (nobody, 1), (boss, 2)):
        _token, raw = api_token_create(user=person, name="t")
        api_token_authenticate(raw)  # the first use records the token's use
        with CaptureQueriesContext(connection) as ctx:
            user = api_token_authenticate(raw)
            assert user is not None and user.pk == person.pk
            held = user.get_all_permissions()
        # The token, its user and the user's permissions in one statement; a superuser's set, which
        # no check reads (has_perm is true for them), is read when asked for.
        assert len(ctx.captured_queries) == statements, ctx.captured_queries
        if person is boss:
            assert held == _all_permissions()
        else:
            assert held == _model_backend_set(User.objects.get(pk=person.pk))
        assert ("accounts.delete_apitoken" in held) is (person in (qm, boss))  # granted directly
        assert bool(held) is (person is not nobody)  # a user without a role holds nothing
