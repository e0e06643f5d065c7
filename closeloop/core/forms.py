"""Form helpers shared by staff pages."""

from __future__ import annotations

from typing import Any

from django import forms


class StyledFormMixin:
    """Give widgets Tabler/Bootstrap classes and mark invalid fields for screen readers and CSS."""

    fields: dict[str, forms.Field]

    def style_widgets(self) -> None:
        errors: Any = getattr(self, "errors", {}) if getattr(self, "is_bound", False) else {}
        for name, field in self.fields.items():
            w = field.widget
            if isinstance(w, forms.CheckboxInput):
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
