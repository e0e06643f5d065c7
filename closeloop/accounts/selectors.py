"""Reads of people."""

from __future__ import annotations

from django.db.models import QuerySet

from closeloop.accounts.models import User


def active_users() -> QuerySet[User]:
    """The people work can be given to (an owner, an action, an 8D team), by username."""
    return User.objects.filter(is_active=True).order_by("username")
