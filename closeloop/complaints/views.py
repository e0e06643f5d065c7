"""Staff pages for complaints: thin views over selectors and services."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from closeloop.complaints import selectors
from closeloop.core.errors import NotFound


class ComplaintDetailView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        try:
            c = selectors.complaint_get_for_user(user=request.user, number=number)  # type: ignore[arg-type]
        except NotFound as exc:
            raise Http404 from exc
        return render(
            request,
            "complaints/detail.html",
            {"complaint": c, "events": selectors.complaint_timeline(complaint=c)},
        )
