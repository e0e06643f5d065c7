"""``{% sidebar_nav %}``: the layout's main navigation, built in Python.

Every page renders the sidebar. Through the template engine its dozen links (each an ``if`` for the
active one, a reversed address and a translated label, some behind a permission) cost about a
millisecond a page; here it is a loop over a fixed table. The markup is the same as the template's was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_noop

from closeloop.core.templatetags.closeloop_urls import fixed_url

register = template.Library()


@dataclass(frozen=True)
class NavItem:
    """One sidebar link.

    ``target`` is a URL name (reversed once per URLconf) or, starting with "/", a fixed path;
    ``active(view_name, view)`` says whether the current page is this link's (``view`` is the list's
    ``?view=`` parameter); ``visible(user)`` hides the link from users who may not use it.
    """

    target: str
    icon: str
    label: str  # an English msgid, translated when rendered ("8D" has no entry: it reads the same)
    active: Callable[[str, str], bool] = lambda vn, view: False
    query: str = ""
    sub: bool = False
    element_id: str = ""
    visible: Callable[[Any], bool] = lambda user: True


def _perm(*names: str) -> Callable[[Any], bool]:
    return lambda user: any(user.has_perm(n) for n in names)


def _list_view(name: str) -> Callable[[str, str], bool]:
    return lambda vn, view: vn == "complaints:list" and view == name


NAV: tuple[NavItem, ...] = (
    NavItem(
        "complaints:list",
        "ti-list-details",
        gettext_noop("Complaints"),
        active=lambda vn, view: (vn == "complaints:list" and not view) or vn == "complaints:detail",
    ),
    NavItem("complaints:list", "ti-user-check", gettext_noop("Mine"), _list_view("mine"), "?view=mine", True),
    NavItem(
        "complaints:list",
        "ti-user-question",
        gettext_noop("Unassigned"),
        _list_view("unassigned"),
        "?view=unassigned",
        True,
    ),
    NavItem(
        "complaints:list", "ti-alarm", gettext_noop("Overdue"), _list_view("overdue"), "?view=overdue", True
    ),
    NavItem(
        "dashboards:cockpit",
        "ti-dashboard",
        gettext_noop("Cockpit"),
        active=lambda vn, view: vn == "dashboards:cockpit",
        element_id="nav-cockpit",
        visible=_perm("dashboards.view_kpitarget"),
    ),
    NavItem(
        "investigations:list",
        "ti-topology-star-3",
        "8D",
        active=lambda vn, view: vn.startswith("investigations:"),
        element_id="nav-8d",
    ),
    NavItem(
        "actions:mine",
        "ti-checklist",
        gettext_noop("My actions"),
        active=lambda vn, view: vn == "actions:mine",
    ),
    NavItem(
        "intake:new",
        "ti-plus",
        gettext_noop("New complaint"),
        active=lambda vn, view: vn == "intake:new",
        visible=_perm("complaints.add_complaint"),
    ),
    NavItem(
        "intake:import",
        "ti-file-import",
        gettext_noop("Import"),
        active=lambda vn, view: vn.startswith("intake:import"),
        visible=_perm("complaints.import_complaints", "customers.import_masterdata"),
    ),
    NavItem(
        "customers:list",
        "ti-building",
        gettext_noop("Customers"),
        active=lambda vn, view: vn.startswith("customers:"),
        visible=_perm("customers.view_customer"),
    ),
    NavItem("/api/v1/docs", "ti-api", gettext_noop("API")),
    NavItem("admin:index", "ti-settings", gettext_noop("Administration"), visible=lambda user: user.is_staff),
)


def nav_rows(user: Any, view_name: str, view: str) -> list[tuple[str, str, str, str, str]]:
    """The links ``user`` sees, as (class, href, id attribute, icon, label) — the data the markup is
    made of, separate so tests can read it."""
    rows = []
    for item in NAV:
        if not item.visible(user):
            continue
        css = "cl-nav-link" + (" cl-nav-sub" if item.sub else "")
        if item.active(view_name, view):
            css += " active"
        href = item.target if item.target.startswith("/") else fixed_url(item.target) + item.query
        ident = f' id="{item.element_id}"' if item.element_id else ""
        rows.append((css, href, ident, item.icon, gettext(item.label)))
    return rows


@register.simple_tag(takes_context=True)
def sidebar_nav(context: template.Context) -> SafeString:
    """The ``<li>`` links of the sidebar for the request's user, the current page's marked active."""
    request = context["request"]
    match = getattr(request, "resolver_match", None)
    view_name = (match.view_name if match is not None else "") or ""
    view = request.GET.get("view") or ""
    rows = [
        (css, href, SafeString(ident), icon, label)  # ident is built above from constants
        for css, href, ident, icon, label in nav_rows(request.user, view_name, view)
    ]
    return format_html_join(
        "\n        ",
        '<li><a class="{}" href="{}"{}><i class="ti {}" aria-hidden="true"></i>{}</a></li>',
        rows,
    )
