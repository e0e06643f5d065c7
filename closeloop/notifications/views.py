"""The inbox page (the signed-in user's notifications, marking them read), the polled bell and the
user's notification preferences."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from closeloop.core.errors import ApplicationError
from closeloop.core.views import request_user
from closeloop.notifications import selectors, services
from closeloop.notifications.forms import NotificationPreferenceForm

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


class NotificationBellView(LoginRequiredMixin, View):
    """GET /notifications/bell/: the bell with its unread count, polled by htmx from every page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        response = render(
            request,
            "notifications/_bell.html",
            {"unread": selectors.notification_unread_count(user=user)},
        )
        response["Cache-Control"] = "no-store"
        return response


class NotificationPreferencesView(LoginRequiredMixin, View):
    """GET/POST /notifications/preferences/: email as it happens, a daily digest or none, and events
    without email. The inbox always keeps everything."""

    template_name = "notifications/preferences.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        pref = selectors.notification_preference_get(user=request_user(request))
        form = NotificationPreferenceForm(
            initial={"email_mode": pref.email_mode, "muted_events": pref.muted_events}
        )
        return self._render(request, form)

    def post(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        form = NotificationPreferenceForm(request.POST)
        if form.is_valid():
            try:
                services.notification_preference_set(
                    user=user,
                    email_mode=form.cleaned_data["email_mode"],
                    muted_events=list(form.cleaned_data["muted_events"]),
                )
            except ApplicationError as exc:
                for field, errors in exc.fields.items():
                    for e in errors:
                        form.add_error(field if field in form.fields else None, str(e))
            else:
                messages.success(request, _("Your notification preferences were saved."))
                return redirect("notifications:preferences")
        return self._render(request, form, status=422)

    def _render(
        self, request: HttpRequest, form: NotificationPreferenceForm, status: int = 200
    ) -> HttpResponse:
        form.style_widgets()
        return render(
            request,
            self.template_name,
            {"form": form, "has_email": bool(request_user(request).email)},
            status=status,
        )
