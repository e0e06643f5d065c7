"""core.widgets: FastSelect writes Django's own select markup byte for byte, and ListedModelChoiceField
reads its choices once, with one plain query, and validates as Django's field does."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_lazy, override

from closeloop.accounts.models import Department
from closeloop.complaints.forms import TriageForm
from closeloop.core.widgets import FastSelect, ListedModelChoiceField

CHOICES: list[Any] = [
    ("", "—"),
    ("a", 'A & "quoted" <b>'),
    ("b", gettext_lazy("Severity")),
    (3, "three"),
    ("Group <1>", [("g1", "G one"), ("g2", "G 'two'")]),
]


def _both(
    widget: forms.Select, name: str, value: Any, attrs: dict[str, Any] | None = None
) -> tuple[str, str]:
    fast = FastSelect(attrs=dict(widget.attrs), choices=widget.choices)
    plain = forms.Select(attrs=dict(widget.attrs), choices=widget.choices)
    return fast.render(name, value, attrs), plain.render(name, value, attrs)


@pytest.mark.parametrize("value", [None, "", "a", "g2", 3, "3", "missing"])
@pytest.mark.parametrize(
    "attrs",
    [
        None,
        {"id": "id_x", "class": "form-select", "required": True},
        {"disabled": False, "data-x": 'a"b', "aria-invalid": "true"},
    ],
)
def test_fast_select_is_django_select_byte_for_byte(value: Any, attrs: dict[str, Any] | None) -> None:
    for language in ("en", "zh-hans"):
        with override(language):
            fast, plain = _both(forms.Select(choices=CHOICES), "x<y", value, attrs)
            assert fast == plain
    assert "&lt;b&gt;" in fast and "&quot;quoted&quot;" in fast  # escaped as Django escapes


def test_fast_select_with_other_templates_renders_through_django() -> None:
    class Custom(FastSelect):
        option_template_name = "django/forms/widgets/select_option.html"
        template_name = "django/forms/widgets/radio.html"

    # Not the markup FastSelect writes: Django's own renderer draws it.
    assert "<select" not in Custom(choices=[("a", "A")]).render("x", "a")


@pytest.mark.django_db
def test_triage_form_renders_as_with_django_widgets(agent) -> None:  # type: ignore[no-untyped-def]
    Department.objects.create(code="qa", name="质量部 <QA>", name_en="Quality")
    form = TriageForm(initial={"severity": "serious", "owner": agent.pk})
    for name, field in form.fields.items():
        if not isinstance(field.widget, forms.Select):
            continue
        assert type(field.widget) is FastSelect, name
        fast = str(form[name])
        field.widget.__class__ = forms.Select
        assert str(form[name]) == fast, name


@pytest.mark.django_db
def test_listed_choices_read_once_and_validate(agent) -> None:  # type: ignore[no-untyped-def]
    qa = Department.objects.create(code="qa", name="质量部", name_en="Quality")

    class F(forms.Form):
        department = ListedModelChoiceField(queryset=Department.objects.order_by("code"), required=False)

    form = F()
    with CaptureQueriesContext(connection) as queries:
        first, second = str(form["department"]), str(form["department"])
    assert first == second and f'<option value="{qa.pk}">' in first
    assert len(queries) == 1 and "DECLARE" not in queries[0]["sql"]  # one plain read, kept
    assert F({"department": str(qa.pk)}).is_valid()
    bad = F({"department": "999999"})
    assert not bad.is_valid() and "department" in bad.errors


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_form_field_tag_is_the_field_partial_byte_for_byte(agent, language) -> None:  # type: ignore[no-untyped-def]
    from django.template.loader import get_template

    from closeloop.complaints.forms import DuplicateForm, InvalidForm, ResolveForm, VerdictForm
    from closeloop.core.templatetags.closeloop_forms import form_field

    partial = get_template("partials/field.html")
    with override(language):
        forms_ = [
            TriageForm(initial={"severity": "serious"}),
            TriageForm({"version": "x", "category": "nope", "owner": "0"}),  # errors on several fields
            VerdictForm({"satisfied": "", "score": "9"}),
            InvalidForm(),
            DuplicateForm({"version": "1", "duplicate_of": "<b>"}),
            ResolveForm({"version": "1"}),
        ]
        shown, with_errors = 0, 0
        for form in forms_:
            if form.is_bound:
                form.is_valid()
            for name in form.fields:
                field = form[name]
                for extra in ({}, {"wrapper_class": "col-6 <x>", "required": True}):
                    html = form_field(field, **extra)
                    assert html == partial.render({"field": field, **extra}), name
                    shown += 1
                    with_errors += "invalid-feedback" in html
        assert shown > 40 and with_errors > 4
    assert 'class="form-check"' in form_field(TriageForm()["safety_risk"])  # the checkbox branch
