"""Forms for actions; they parse input, the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import User
from closeloop.accounts.selectors import active_users
from closeloop.actions.workflow import ActionKind
from closeloop.complaints.forms import _Styled


class ActionForm(_Styled):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=ActionKind.choices, initial=ActionKind.TASK, required=False
    )
    title = forms.CharField(label=_("What must be done"), max_length=200, required=False)
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label="—"
    )
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["owner"].queryset = active_users()  # type: ignore[attr-defined]


class ActionStepForm(_Styled):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
