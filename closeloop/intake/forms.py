"""The staff intake form: parses raw input types only. Business rules live in intake.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from closeloop.complaints.models import Category, Channel, ImpactScope, Severity, Urgency
from closeloop.core.forms import StyledFormMixin
from closeloop.core.models import bilingual
from closeloop.customers.models import Site
from closeloop.intake.drafts import AttachmentInput, ComplaintDraft, ContactInput

STAFF_CHANNELS = [c for c in Channel.choices if c[0] not in (Channel.API, Channel.IMPORT)]


def site_choices(*, empty_label: str = "—", current: Site | None = None) -> list[tuple[str, str]]:
    """Active sites by code (plus ``current``, so a complaint at a site since retired still shows it)."""
    sites = list(Site.objects.filter(is_active=True))
    if current is not None and current not in sites:
        sites.append(current)
    return [
        ("", empty_label),
        *((s.code, f"{s.code} {s.label}") for s in sorted(sites, key=lambda s: s.code)),
    ]


def category_choices() -> list[tuple[str, str]]:
    """Codes with indented labels, parents first (the tree is small and cached per request)."""
    # Plain tuples (pk, code, label, parent_id, sort_order), in the order the choices list them: the
    # list page builds these on every request, and model instances cost more than the query.
    rows = sorted(
        (
            (pk, code, bilingual(name, name_en), parent_id, sort_order)
            for pk, code, name, name_en, parent_id, sort_order in Category.objects.filter(
                is_active=True
            ).values_list("pk", "code", "name", "name_en", "parent_id", "sort_order")
        ),
        key=lambda r: (r[4], r[1]),
    )
    out: list[tuple[str, str]] = [("", "—")]
    for pk, code, label, parent_id, _order in rows:
        if parent_id is not None:
            continue
        out.append((code, label))
        out.extend((c[1], f"　{label} / {c[2]}") for c in rows if c[3] == pk)
    return out


class ComplaintIntakeForm(StyledFormMixin, forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=STAFF_CHANNELS, initial=Channel.PHONE)
    received_at = forms.DateTimeField(
        label=_("Received at"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("When the customer told us; deadlines count from here."),
    )
    order_number = forms.CharField(label=_("Sales order or shipment number"), max_length=40, required=False)
    order_line = forms.IntegerField(label=_("Order line"), required=False, min_value=1)
    customer = forms.CharField(label=_("Customer code"), max_length=40, required=False)
    contact = forms.IntegerField(label=_("Contact"), required=False)
    contact_name = forms.CharField(label=_("New contact: name"), max_length=100, required=False)
    contact_phone = forms.CharField(label=_("New contact: phone"), max_length=30, required=False)
    contact_email = forms.CharField(label=_("New contact: email"), max_length=254, required=False)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    customer_requirement = forms.CharField(
        label=_("Customer requirement"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("What the customer asks for: replacement, on-site visit, 8D report, compensation…"),
    )
    product = forms.CharField(label=_("Product code"), max_length=40, required=False)
    lot = forms.CharField(label=_("Lot"), max_length=60, required=False)
    quantity_affected = forms.IntegerField(label=_("Quantity affected"), required=False, min_value=0)
    category = forms.ChoiceField(label=_("Category"), required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.GENERAL)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    impact_scope = forms.ChoiceField(
        label=_("Impact scope"), choices=ImpactScope.choices, initial=ImpactScope.SINGLE
    )
    safety_risk = forms.BooleanField(label=_("Safety / regulatory risk"), required=False)
    site = forms.ChoiceField(
        label=_("Site"),
        required=False,
        help_text=_("The plant responsible; left empty, the product's site."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["category"].choices = category_choices()  # type: ignore[attr-defined]
        self.fields["site"].choices = site_choices(empty_label=str(_("The product's site")))  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("received_at", timezone.localtime().replace(second=0, microsecond=0))

    def full_clean(self) -> None:
        super().full_clean()
        self.style_widgets()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        self.style_widgets()

    def to_draft(self, attachments: list[AttachmentInput]) -> ComplaintDraft:
        d = self.cleaned_data
        contact = None
        if d.get("contact"):
            contact = ContactInput(id=d["contact"])
        elif d.get("contact_name") or d.get("contact_phone") or d.get("contact_email"):
            contact = ContactInput(
                name=d.get("contact_name", ""),
                phone=d.get("contact_phone", ""),
                email=d.get("contact_email", ""),
            )
        return ComplaintDraft(
            channel=d["channel"],
            title=d.get("title", ""),
            description=d.get("description", ""),
            customer=d.get("customer", ""),
            contact=contact,
            customer_requirement=d.get("customer_requirement", ""),
            product=d.get("product", ""),
            site=d.get("site", ""),
            order_number=d.get("order_number", ""),
            order_line=d.get("order_line"),
            lot=d.get("lot", ""),
            quantity_affected=d.get("quantity_affected"),
            category=d.get("category", ""),
            severity=d["severity"],
            urgency=d["urgency"],
            impact_scope=d["impact_scope"],
            safety_risk=d.get("safety_risk", False),
            received_at=d.get("received_at"),
            attachments=attachments,
        )
