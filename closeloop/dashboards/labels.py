"""Pareto labels in the active language (the request's, for the page and the API alike).

The Pareto's rows carry the labels as stored: a category's Chinese name, a product's or customer's
name, a fishbone bone's code. Categories have an English name (``Category.name_en``) and the bones
a translated label (``investigations.content.CAUSE_CATEGORIES``); products and customers have one
name only, shown as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from closeloop.complaints.models import Category
from closeloop.investigations.content import CAUSE_CATEGORIES


def pareto_labels(dimension: str, rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """key -> label in the active language for the rows (``key``, ``label``) of one Pareto; the key
    "" (no category, no product) is "(none)". One query for categories, none otherwise."""
    rows = list(rows)
    out = {(r["key"] or ""): str(r["label"] or r["key"] or "") for r in rows}
    if dimension == "category":
        keys = [k for k in out if k]
        if keys:
            out.update(
                {
                    c.code: c.label
                    for c in Category.objects.filter(code__in=keys).only("code", "name", "name_en")
                }
            )
    elif dimension == "root_cause":
        out.update({k: str(CAUSE_CATEGORIES[k]) for k in out if k in CAUSE_CATEGORIES})
    if "" in out:
        out[""] = str(_("(none)"))
    return out
