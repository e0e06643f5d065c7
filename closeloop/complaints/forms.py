"""Forms of the complaint page. They parse input; the services decide what is allowed."""

from __future__ import annotations

import functools
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import Department, User
from closeloop.accounts.selectors import active_users
from closeloop.complaints.models import ImpactScope, Severity, Urgency
from closeloop.complaints.workflow import HandlingPath
from closeloop.core.forms import StyledFormMixin
from closeloop.core.widgets import FastSelect, ListedModelChoiceField
from closeloop.customers.models import Site
from closeloop.intake.forms import category_choices, site_choices


class _Styled(StyledFormMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_widgets()

    def full_clean(self) -> None:
        super().full_clean()
        self.style_widgets()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        self.style_widgets()


class TriageForm(_Styled):
    version = forms.IntegerField(widget=forms.HiddenInput)
    # FastSelect and ListedModelChoiceField: the page shows this form on every complaint being triaged,
    # and Django's own dropdowns cost it several milliseconds (core.widgets).
    category = forms.ChoiceField(label=_("Category"), widget=FastSelect)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, widget=FastSelect)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, widget=FastSelect)
    impact_scope = forms.ChoiceField(label=_("Impact scope"), choices=ImpactScope.choices, widget=FastSelect)
    safety_risk = forms.BooleanField(label=_("Safety / regulatory risk"), required=False)
    handling_path = forms.ChoiceField(
        label=_("Handling path"),
        required=False,
        choices=[("", _("Decide when handling starts")), *HandlingPath.choices],
        widget=FastSelect,
        help_text=_(
            "Quick resolution for minor complaints; a full 8D when the cause must be found and kept "
            "from coming back."
        ),
    )
    owner = ListedModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label=_("— unassigned —")
    )
    department = ListedModelChoiceField(
        label=_("Responsible department"), queryset=Department.objects.all(), required=False, empty_label="—"
    )
    site = forms.ChoiceField(
        label=_("Site"), required=False, help_text=_("The plant responsible."), widget=FastSelect
    )

    def __init__(self, *args: Any, current_site: Site | None = None, **kwargs: Any) -> None:
        """``current_site``: the complaint's site, offered even when it is no longer active."""
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()  # type: ignore[attr-defined]
        # Callable: read only when the field is rendered or validated (not for readers who cannot
        # triage), and then once (rendering reads the choices more than once).
        self.fields["site"].choices = functools.cache(lambda: site_choices(current=current_site))  # type: ignore[attr-defined]
        self.fields["owner"].queryset = active_users()  # type: ignore[attr-defined]


class InvalidForm(_Styled):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why is it invalid?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("The customer will be told this reason."),
    )


class DuplicateForm(_Styled):
    version = forms.IntegerField(widget=forms.HiddenInput)
    duplicate_of = forms.CharField(label=_("Original complaint number"), max_length=40, required=False)


class ResolveForm(_Styled):
    version = forms.IntegerField(widget=forms.HiddenInput)
    resolution = forms.CharField(
        label=_("What was done for the customer"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("The customer is asked to confirm this."),
    )


class VerdictForm(_Styled):
    version = forms.IntegerField(widget=forms.HiddenInput)
    satisfied = forms.TypedChoiceField(
        label=_("Is the customer satisfied?"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("Satisfied: close the complaint")), ("no", _("Not satisfied: reopen it"))],
        widget=forms.RadioSelect,
    )
    score = forms.TypedChoiceField(
        label=_("Satisfaction (1–5)"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", "—"), *[(str(i), str(i)) for i in range(5, 0, -1)]],
    )
    comment = forms.CharField(
        label=_("Customer comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reopen_reason = forms.CharField(
        label=_("Why not satisfied"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reopen_step = forms.TypedChoiceField(
        label=_("Reopen the 8D at"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", "—"), *[(str(i), f"D{i}") for i in range(9)]],
        help_text=_("The quality manager chooses where the 8D starts again."),
    )
