"""The preferences form: how a person wants to be told beyond the inbox."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from closeloop.core.forms import StyledFormMixin
from closeloop.notifications.messages import EVENT_LABELS
from closeloop.notifications.models import EmailMode


class NotificationPreferenceForm(StyledFormMixin, forms.Form):
    email_mode = forms.ChoiceField(label=_("Email"), choices=EmailMode.choices, widget=forms.RadioSelect)
    muted_events = forms.MultipleChoiceField(
        label=_("No email for these events"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("They still appear in your inbox."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        muted = self.fields["muted_events"]
        assert isinstance(muted, forms.MultipleChoiceField)
        muted.choices = [(k, str(v)) for k, v in EVENT_LABELS.items()]
