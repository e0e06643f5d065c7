"""Staff pages for complaints: thin views over selectors and services."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from closeloop.complaints import selectors
from closeloop.core.errors import NotFound


class ComplaintListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        qs = selectors.complaint_visible_qs(user=request.user).select_related(  # type: ignore[arg-type]
            "customer", "owner", "category")[:50]
        return render(request, "complaints/list.html", {"complaints": qs})


class ComplaintDetailView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        try:
            c = selectors.complaint_get_for_user(user=request.user, number=number)  # type: ignore[arg-type]
        except NotFound as exc:
            raise Http404 from exc
        return render(request, "complaints/detail.html", {
            "complaint": c, "events": selectors.complaint_timeline(complaint=c)})
