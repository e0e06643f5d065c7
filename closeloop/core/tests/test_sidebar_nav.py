"""The sidebar (``{% sidebar_nav %}``): who sees which link, which one is marked active, in both
languages."""

from __future__ import annotations

import re

import pytest

from closeloop.accounts.tests.factories import user_make

pytestmark = pytest.mark.django_db

_LINK = re.compile(
    r'<li><a class="(cl-nav-link[^"]*)" href="([^"]*)"(?: id="([^"]*)")?><i class="ti ([^"]+)"'
)


def _nav(client, path: str) -> list[tuple[str, str, str, str]]:
    page = client.get(path).content.decode()
    sidebar = page.split('<aside class="cl-sidebar"', 1)[1].split("</aside>", 1)[0]
    return _LINK.findall(sidebar)


def test_a_user_without_permissions_sees_only_the_links_everyone_may_use(client):
    client.force_login(user_make("plain", language="en"))
    hrefs = [href for _css, href, _id, _icon in _nav(client, "/actions/mine/")]
    assert hrefs == [
        "/complaints/",
        "/complaints/?view=mine",
        "/complaints/?view=unassigned",
        "/complaints/?view=overdue",
        "/8d/",
        "/actions/mine/",
        "/api/v1/docs",
    ]


def test_staff_with_every_permission_see_every_link_labelled_in_their_language(client):
    admin = user_make("boss", language="zh-hans", is_staff=True, is_superuser=True)
    client.force_login(admin)
    links = _nav(client, "/actions/mine/")
    assert [href for _css, href, _id, _icon in links] == [
        "/complaints/",
        "/complaints/?view=mine",
        "/complaints/?view=unassigned",
        "/complaints/?view=overdue",
        "/dashboard/",
        "/8d/",
        "/actions/mine/",
        "/intake/new/",
        "/intake/import/",
        "/crm/customers/",
        "/api/v1/docs",
        "/admin/",
    ]
    assert [ident for _css, _href, ident, _icon in links if ident] == ["nav-cockpit", "nav-8d"]
    page = client.get("/actions/mine/").content.decode()
    for label in ("客诉", "驾驶舱", "我的措施", "系统管理", ">8D</a>"):
        assert label in page


@pytest.mark.parametrize(
    ("path", "active"),
    [
        ("/complaints/", "/complaints/"),
        ("/complaints/?view=mine", "/complaints/?view=mine"),
        ("/complaints/?view=overdue", "/complaints/?view=overdue"),
        ("/actions/mine/", "/actions/mine/"),
        ("/dashboard/", "/dashboard/"),
        ("/8d/", "/8d/"),
        ("/crm/customers/", "/crm/customers/"),
    ],
)
def test_the_current_page_link_alone_is_active(client, path, active):
    client.force_login(user_make("boss", language="en", is_staff=True, is_superuser=True))
    marked = [href for css, href, _id, _icon in _nav(client, path) if css.endswith(" active")]
    assert marked == [active]
    subs = [href for css, href, _id, _icon in _nav(client, path) if "cl-nav-sub" in css]
    assert subs == ["/complaints/?view=mine", "/complaints/?view=unassigned", "/complaints/?view=overdue"]


def test_a_complaint_page_marks_the_complaints_link(client, complaint):
    client.force_login(user_make("boss", language="en", is_staff=True, is_superuser=True))
    links = _nav(client, f"/complaints/{complaint.number}/")
    assert [href for css, href, _id, _icon in links if css.endswith(" active")] == ["/complaints/"]
