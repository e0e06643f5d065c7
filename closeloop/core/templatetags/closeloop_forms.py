"""``{% form_field field %}``: the markup of ``partials/field.html`` for one form field, built in Python.

A page that shows a dozen fields (the complaint page's triage forms) spent more than a millisecond
including that template once per field; this tag writes the same markup, byte for byte (a test
compares the two for every kind of field, with and without errors).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def form_field(field: Any, wrapper_class: str = "", required: bool = False) -> SafeString:
    """As ``{% include "partials/field.html" with field=… wrapper_class=… required=… %}``."""
    esc = conditional_escape
    wrapper = f" {esc(wrapper_class)}" if wrapper_class else ""
    parts = [f'<div class="mb-3{wrapper}">\n  ']
    if getattr(field.field.widget, "input_type", None) == "checkbox":
        parts.append(
            f'\n  <label class="form-check">{esc(field)}<span class="form-check-label">'
            f"{esc(field.label)}</span></label>\n  "
        )
    else:
        label_class = "form-label required" if required else "form-label"
        parts.append(
            f'\n  <label class="{label_class}" for="{esc(field.id_for_label)}">{esc(field.label)}</label>\n'
            f"  {esc(field)}\n  "
        )
    parts.append("\n  ")
    errors = field.errors
    if errors:
        joined = esc(" ").join(esc(e) for e in errors)
        parts.append(
            f'<div class="invalid-feedback d-block" id="{esc(field.name)}-errors" role="alert">{joined}</div>'
        )
    parts.append("\n  ")
    if field.help_text:
        parts.append(f'<div class="form-hint small">{esc(field.help_text)}</div>')
    parts.append("\n</div>\n")
    return mark_safe("".join(parts))  # noqa: S308 — every value above is escaped
