"""Form helpers shared by staff pages."""

from __future__ import annotations

from typing import Any

from django import forms


class StyledFormMixin:
    """Give widgets Tabler/Bootstrap classes and mark invalid fields for screen readers and CSS."""

    fields: dict[str, forms.Field]

    def style_widgets(self) -> None:
        # _errors, not errors: reading .errors would run validation before the form is fully built.
        errors: Any = getattr(self, "_errors", None) or {}
        for name, field in self.fields.items():
            w = field.widget
            # RadioSelect covers CheckboxSelectMultiple too: each option is its own check input.
            if isinstance(w, forms.CheckboxInput | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(w, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            if name in errors:
                css += " is-invalid"
                w.attrs["aria-invalid"] = "true"
                w.attrs["aria-describedby"] = f"{name}-errors"
            w.attrs["class"] = css
