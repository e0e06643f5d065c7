"""Bulk import pages: upload, progress, per-row report, template download."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View


class ComplaintImportView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "complaints.import_complaints"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "intake/import.html", {})
