"""Intake pages: the staff form and its create-from-order lookup."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from closeloop.accounts.models import User
from closeloop.complaints.attachments import attachment_read
from closeloop.core.errors import PermissionDenied, ValidationFailed
from closeloop.core.views import request_user
from closeloop.customers.pii import phone_for
from closeloop.intake import selectors
from closeloop.intake.drafts import AttachmentInput
from closeloop.intake.forms import ComplaintIntakeForm
from closeloop.intake.services import OrderFacts, complaint_intake

# Draft field -> form field where its error is shown.
ERROR_FIELD = {"shipment_number": "order_number", "attachments": "attachments"}


def _contact_options(user: User, customer_code: str) -> list[dict[str, Any]]:
    if not customer_code:
        return []
    return [
        {"id": c.pk, "label": f"{c.name}" + (f" · {phone_for(user, c.phone)}" if c.phone else "")}
        for c in selectors.contacts_of(customer_code=customer_code)
    ]


def _order_context(user: User, facts: OrderFacts | None, looked_up: str, values: dict[str, Any]) -> dict:
    return {
        "facts": facts,
        "looked_up": looked_up,
        "values": values,
        "contacts": _contact_options(user, values.get("customer", "")),
    }


class ComplaintCreateView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "complaints.add_complaint"

    def _render(
        self,
        request: HttpRequest,
        form: ComplaintIntakeForm,
        *,
        status: int = 200,
        facts: OrderFacts | None = None,
        files_dropped: bool = False,
    ) -> HttpResponse:
        user = request_user(request)
        values = {k: form[k].value() or "" for k in ("customer", "contact", "product", "lot", "order_line")}
        ctx = {
            "form": form,
            "customers": selectors.customer_visible_qs(user=user).only("code", "name")[:500],
            "files_dropped": files_dropped,
            **_order_context(user, facts, form["order_number"].value() or "", values),
        }
        return render(request, "intake/new.html", ctx, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, ComplaintIntakeForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        form = ComplaintIntakeForm(request.POST)
        uploads = request.FILES.getlist("attachments")
        if not form.is_valid():
            return self._render(request, form, status=422, files_dropped=bool(uploads))
        attachments = [AttachmentInput(name=f.name or "file", data=attachment_read(f)) for f in uploads]
        try:
            complaint = complaint_intake(draft=form.to_draft(attachments), actor=user)
        except ValidationFailed as exc:
            for field, msgs in exc.fields.items():
                target = ERROR_FIELD.get(field, field)
                for m in msgs:
                    form.add_error(target if target in form.fields else None, str(m))
            facts = None
            if form.cleaned_data.get("order_number"):
                facts = selectors.order_facts_for_user(
                    user=user,
                    number=form.cleaned_data["order_number"],
                    received_at=form.cleaned_data.get("received_at"),
                )
            return self._render(request, form, status=422, facts=facts, files_dropped=bool(uploads))
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc.message)) from exc
        messages.success(request, _("Complaint %(number)s was recorded.") % {"number": complaint.number})
        return redirect("complaints:detail", number=complaint.number)


class OrderLookupView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """htmx: the order-dependent part of the form, filled from a sales order or shipment number."""

    permission_required = "complaints.add_complaint"

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        form = ComplaintIntakeForm(request.GET)
        form.is_valid()  # only for type parsing of received_at / order_line; errors are irrelevant here
        number = (request.GET.get("order_number") or "").strip()
        received = form.cleaned_data.get("received_at")
        line = form.cleaned_data.get("order_line")
        facts = (
            selectors.order_facts_for_user(user=user, number=number, received_at=received, line_no=line)
            if number
            else None
        )
        if facts is not None:
            values = {
                "customer": facts.customer.code,
                "contact": facts.contact.pk if facts.contact else "",
                "product": facts.line.product.code if facts.line else "",
                "lot": facts.line.lot if facts.line else "",
                "order_line": facts.line.line_no if facts.line else "",
            }
        else:
            values = {k: request.GET.get(k, "") for k in ("customer", "contact", "product", "lot")}
            values["order_line"] = ""
        return render(request, "intake/_order_fields.html", _order_context(user, facts, number, values))


class ContactOptionsView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """htmx: the contact choices for the customer code typed in the form."""

    permission_required = "complaints.add_complaint"

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        code = (request.GET.get("customer") or "").strip()
        if code and not selectors.customer_visible_qs(user=user).filter(code=code).exists():
            code = ""
        return render(
            request,
            "intake/_contact_options.html",
            {"contacts": _contact_options(user, code), "values": {"contact": ""}},
        )
