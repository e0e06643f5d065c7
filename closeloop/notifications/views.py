"""The inbox page: the signed-in user's notifications, and marking them read."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from closeloop.core.views import request_user
from closeloop.notifications import selectors, services

PAGE_SIZE = 50
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def cursor_encode(created_at: dt.datetime, pk: int) -> str:
    """``<microseconds since the epoch>.<id>``: exact, and safe in a URL."""
    return f"{(created_at - _EPOCH) // _MICROSECOND}.{pk}"


def cursor_decode(raw: str) -> tuple[dt.datetime, int] | None:
    try:
        micros, pk = raw.split(".", 1)
        return _EPOCH + int(micros) * _MICROSECOND, int(pk)
    except (ValueError, OverflowError):
        return None


class NotificationInboxView(LoginRequiredMixin, View):
    """GET /notifications/?show=unread&before=<cursor>: newest first, PAGE_SIZE rows a page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        unread_only = request.GET.get("show") == "unread"
        before = cursor_decode(request.GET.get("before") or "")
        rows = list(
            selectors.notification_list_for_user(user=user, unread_only=unread_only, before=before)[
                : PAGE_SIZE + 1
            ]
        )
        older = None
        if len(rows) > PAGE_SIZE:
            rows = rows[:PAGE_SIZE]
            older = cursor_encode(rows[-1].created_at, rows[-1].pk)
        return render(
            request,
            "notifications/inbox.html",
            {
                "notifications": rows,
                "show": "unread" if unread_only else "all",
                "older": older,
                "paged": before is not None,
            },
        )


class NotificationReadView(LoginRequiredMixin, View):
    """POST /notifications/read/ with ``id`` (one row) or ``all=1``.

    From htmx (one row) it answers with the row re-rendered and the bell updated out of band; a plain
    form is redirected back to the inbox, keeping its filter.
    """

    def post(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        if request.POST.get("all"):
            services.notification_mark_read(user=user, notification_ids=None)
        else:
            try:
                pk = int(request.POST.get("id") or "")
            except ValueError as exc:
                raise Http404 from exc
            services.notification_mark_read(user=user, notification_ids=[pk])
            if request.headers.get("HX-Request"):
                n = selectors.notification_get_for_user(user=user, notification_id=pk)
                if n is None:
                    raise Http404
                return render(
                    request,
                    "notifications/_row.html",
                    {
                        "n": n,
                        "show": request.POST.get("show", "all"),
                        "oob_bell": True,
                        "unread": selectors.notification_unread_count(user=user),
                    },
                )
        url = reverse("notifications:inbox")
        if request.POST.get("show") == "unread":
            url += "?show=unread"
        return redirect(url)
