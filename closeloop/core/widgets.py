"""Form widgets and fields that render the same markup as Django's, with less work.

Django renders a ``<select>`` through its template engine, one template include per option: on the
complaint page the triage form's dropdowns (a few dozen options in all) took several milliseconds.
:class:`FastSelect` writes the same markup in Python, byte for byte (a test compares the two).
:class:`ListedModelChoiceField` reads its queryset as a plain list: Django's iterates it through
``QuerySet.iterator()``, which on PostgreSQL is a server-side cursor (three round trips for a dozen
rows) and caches nothing, so a second pass over the choices reads them again.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict[str, Any]) -> str:
    """As django/forms/widgets/attrs.html: ` name="value"`, a bare name for True, nothing for False."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {conditional_escape(name)}")
        else:
            out.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(out)


class FastSelect(forms.Select):
    """``forms.Select`` whose ``render`` writes Django's select.html / select_option.html markup
    directly. Only for this exact class: a subclass with its own templates is rendered by Django."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        if self.template_name != "django/forms/widgets/select.html" or self.option_template_name != (
            "django/forms/widgets/select_option.html"
        ):
            return super().render(name, value, attrs, renderer)
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(str(group_name))}">')
            for option in group_choices:
                parts.append(
                    f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                    f"{_attrs(option['attrs'])}>{conditional_escape(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")  # Django's renderer strips the template's final newline
        return mark_safe("".join(parts))  # noqa: S308 — every value above is escaped


class _ListedChoiceIterator(ModelChoiceIterator):
    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:  # evaluated once and kept by the queryset
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    """``forms.ModelChoiceField`` whose choices are read with one plain query, kept for later passes,
    and drawn by :class:`FastSelect`. For short lists (people, departments): the queryset is held in
    memory whole."""

    iterator = _ListedChoiceIterator
    widget = FastSelect
