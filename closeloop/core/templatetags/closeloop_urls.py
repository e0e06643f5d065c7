"""``{% fixed_url "name" %}``: the address of a URL name that takes no arguments, reversed once.

The layout links to a dozen such names on every page; reversing each on every request cost about a
millisecond of CPU a page. The address depends only on the URLconf and the script prefix (where the
site is mounted), so it is remembered under those two and the name.
"""

from __future__ import annotations

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()

_REVERSED: dict[tuple[str | None, str, str], str] = {}


@register.simple_tag
def fixed_url(name: str) -> str:
    key = (get_urlconf(), get_script_prefix(), name)
    url = _REVERSED.get(key)
    if url is None:
        url = _REVERSED[key] = reverse(name)
    return url
