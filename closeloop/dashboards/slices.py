"""Slices: the site-wide rollups (totals.py) kept once for the whole site and once per value of each
cockpit filter, so a cockpit narrowed by *one* filter reads as few rows as one without filters.

A slice is named by a string: ``""`` for the whole site, ``customer:<id>``, ``category:<id>``,
``family:<name>`` and ``site:<id>``. A complaint belongs to the whole site, to its customer's slice, to
its category's slice *and* to that category's parent's (the cockpit's category filter includes the
subcategories; the tree is two levels deep, see live.category_ids), to its product family's slice and to
its site's. Two filters at once are answered by the keyed rollups (rollups.py) or counted live.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from closeloop.dashboards.kpi import DashFilters

ALL = ""
# The keys of the keyed rollups (rollups.py), in their order.
ROLLUP_KEYS = ("customer_id", "category_id", "product_family", "severity", "site_id")
# What a filter naming nothing reads: no complaint belongs to it, so every figure is zero.
NOWHERE = "none:"
# The complaint fields (on Complaint; prefixed for rows that reach it through a foreign key) that decide
# its slices, in the order of ``member_slices``'s arguments.
FIELDS = ("customer_id", "category_id", "product__family", "site_id")


def category_parents() -> dict[int, int | None]:
    """category id -> parent id (None for a top-level category)."""
    from closeloop.complaints.models import Category

    return dict(Category.objects.values_list("id", "parent_id"))


def member_slices(keys: Sequence[Any], parents: Mapping[int, int | None]) -> list[str]:
    """Every slice a complaint counts in, the whole site first; ``keys`` are its values of ``FIELDS``
    (customer id, category id, product family, site id)."""
    customer_id, category_id, family, site_id = keys
    out = [ALL]
    if customer_id is not None:
        out.append(f"customer:{customer_id}")
    if category_id is not None:
        out.append(f"category:{category_id}")
        parent = parents.get(category_id)
        if parent is not None:
            out.append(f"category:{parent}")
    if family:
        out.append(f"family:{family}")
    if site_id is not None:
        out.append(f"site:{site_id}")
    return out


def fields(prefix: str = "") -> list[str]:
    """``FIELDS`` as seen from a model whose ``prefix`` (e.g. ``complaint__``) reaches the complaint."""
    return [f"{prefix}{name}" for name in FIELDS]


def fold(
    rows: Iterable[Mapping[str, Any]],
    key_fields: list[str],
    slice_fields: list[str],
    parents: Mapping[int, int | None],
) -> dict[str, dict[tuple[Any, ...], Any]]:
    """slice -> {key: row} over ``rows`` grouped by ``key_fields`` and ``slice_fields``: each row is
    counted under every slice its slice fields place it in. Numeric values of rows sharing a slice and a
    key are added up; the key fields are kept as they are."""
    out: dict[str, dict[tuple[Any, ...], Any]] = {}
    for r in rows:
        key = tuple(r[k] for k in key_fields)
        for s in member_slices([r[f] for f in slice_fields], parents):
            slot = out.setdefault(s, {})
            have = slot.get(key)
            if have is None:
                slot[key] = dict(r)
                continue
            for name, value in r.items():
                if name not in key_fields and name not in slice_fields and value is not None:
                    have[name] = (have[name] or 0) + value
    return out


def of_filters(f: DashFilters) -> str | None:
    """The slice that answers ``f``: ``ALL`` without filters, the one filter's slice with exactly one
    (``NOWHERE`` when it names nothing), None with two or more. Looked up once per reading
    (reading.one_reading: one lookup per page, not one per figure)."""
    from closeloop.dashboards import reading

    key = ("slice", f.customer, f.category, f.product_family, f.site)
    return reading.remembered(key, lambda: _of_filters(f))


def _of_filters(f: DashFilters) -> str | None:
    from closeloop.complaints.models import Category
    from closeloop.customers.models import Customer, Site

    given = [name for name in ("customer", "category", "product_family", "site") if getattr(f, name)]
    if not given:
        return ALL
    if len(given) > 1:
        return None
    if f.product_family:
        return f"family:{f.product_family}"
    model: Any = {"customer": Customer, "category": Category, "site": Site}[given[0]]
    pk = model.objects.filter(code=getattr(f, given[0])).values_list("pk", flat=True).first()
    return NOWHERE if pk is None else f"{given[0]}:{pk}"
