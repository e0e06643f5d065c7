"""Friendly error pages that say where to go instead."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from closeloop.accounts.models import User


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def request_user(request: HttpRequest) -> User:
    """The signed-in user, typed. Only for views behind login_required / LoginRequiredMixin."""
    return cast(User, request.user)
