"""Filters of the CRM lists. Values that are not allowed are dropped and reported next to the field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from closeloop.customers.models import CustomerTier


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False, strip=True)
    tier = forms.ChoiceField(
        label=_("Customer tier"), required=False, choices=[("", _("Any tier")), *CustomerTier.choices]
    )


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False, strip=True)
    customer = forms.CharField(label=_("Customer code"), max_length=40, required=False, strip=True)


def filter_values(form: forms.Form) -> dict[str, str]:
    """The valid filter values of a bound form; an invalid field counts as not given."""
    form.is_valid()
    return {
        name: "" if name in form.errors else str(form.cleaned_data.get(name) or "") for name in form.fields
    }
