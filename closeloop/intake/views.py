"""Intake pages (the staff form, create-from-order, bulk import)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View


class ComplaintCreateView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "complaints.add_complaint"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "intake/new.html", {})
