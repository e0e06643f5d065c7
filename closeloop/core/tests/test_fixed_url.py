"""``{% fixed_url %}``: reversed once, but per URLconf and script prefix."""

from __future__ import annotations

from django.template import engines
from django.urls import reverse, set_script_prefix


def _render(source: str) -> str:
    return engines["django"].from_string("{% load closeloop_urls %}" + source).render({})


def test_same_address_as_url_and_follows_the_script_prefix():
    assert _render("{% fixed_url 'complaints:list' %}") == reverse("complaints:list") == "/complaints/"
    try:
        set_script_prefix("/closeloop/")
        assert _render("{% fixed_url 'complaints:list' %}") == "/closeloop/complaints/"
    finally:
        set_script_prefix("/")
    assert _render("{% fixed_url 'complaints:list' %}") == "/complaints/"
