"""The SSRF guard: at save (admin form) and at send (the dispatcher), and the pinned connection."""

# ruff: noqa: F811 — the receiver fixtures are imported by name and requested as arguments

import pytest
from django.utils import translation

from closeloop.notifications import netguard
from closeloop.notifications.admin import WebhookEndpointForm
from closeloop.notifications.delivery import deliveries_dispatch
from closeloop.notifications.models import Delivery, WebhookEndpoint
from closeloop.notifications.tests.outbox_builders import assign, person, robot
from closeloop.notifications.tests.receivers import webhooks  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    """The refusals are translated; these tests read them in English."""
    with translation.override("en"):
        yield


INTERNAL = [
    "http://127.0.0.1/hook",
    "http://10.1.2.3/hook",
    "https://169.254.169.254/latest/meta-data/",
    "http://[::1]:8080/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://localhost:8000/hook",
    "http://0.0.0.0/hook",
    "http://100.64.0.1/hook",
    "http://192.168.1.20/hook",
    "http://224.0.0.1/hook",
    "http://2130706433/hook",  # 127.0.0.1 written as one number
]


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_addresses_are_refused_unless_private_addresses_are_allowed(url):
    with pytest.raises(netguard.AddressRefused, match="private") as refused:
        netguard.url_check(url, allow_private=False)
    assert not refused.value.transient
    assert netguard.url_check(url, allow_private=True).addresses


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("ftp://8.8.8.8/hook", "http and https"),
        ("file:///etc/passwd", "http and https"),
        ("http://user:secret@8.8.8.8/hook", "user name or password"),
        ("https:///no-host", "valid http"),
        ("http://8.8.8.8:99999/hook", "valid http"),
    ],
)
def test_malformed_or_credentialed_urls_are_refused_even_when_private_is_allowed(url, match):
    with pytest.raises(netguard.AddressRefused, match=match):
        netguard.url_check(url, allow_private=True)


def test_a_public_address_is_accepted_with_its_path_and_query():
    target = netguard.url_check("https://8.8.8.8/robot/send?access_token=abc", allow_private=False)
    assert (target.scheme, target.host, target.port) == ("https", "8.8.8.8", 443)
    assert target.path == "/robot/send?access_token=abc"
    assert target.addresses == ("8.8.8.8",)


def test_a_name_that_does_not_resolve_is_refused_as_transient():
    with pytest.raises(netguard.AddressRefused, match="cannot be resolved") as refused:
        netguard.url_check("https://robot.closeloop.invalid/hook", allow_private=False)
    assert refused.value.transient


def _form(url, allow_private=False):
    return WebhookEndpointForm(
        data={
            "name": "质量群机器人",
            "kind": "wecom",
            "url": url,
            "secret": "",
            "language": "zh-hans",
            "allow_private": "on" if allow_private else "",
            "is_active": "on",
        }
    )


@pytest.mark.django_db
@pytest.mark.parametrize("url", INTERNAL[:6])
def test_the_admin_form_refuses_internal_addresses_on_the_url_field(url):
    form = _form(url)
    assert not form.is_valid()
    assert list(form.errors) == ["url"]
    assert "private" in form.errors["url"][0]
    assert _form(url, allow_private=True).is_valid()


@pytest.mark.django_db
def test_the_admin_refuses_to_save_an_internal_robot_and_says_why_beside_the_url(admin_client):
    resp = admin_client.post(
        "/admin/notifications/webhookendpoint/add/",
        {
            "name": "元数据",
            "kind": "generic",
            "url": "http://169.254.169.254/latest/meta-data/",
            "secret": "",
            "language": "zh-hans",
            "is_active": "on",
        },
    )
    assert resp.status_code == 200
    assert not WebhookEndpoint.objects.exists()
    errors = resp.context["adminform"].form.errors
    assert list(errors) == ["url"]
    assert "169.254.169.254" in errors["url"][0]


@pytest.mark.django_db
def test_the_guard_runs_again_at_send_time(webhooks, complaint, qm):
    # Saved while private addresses were allowed, then the box was unticked (or the name now resolves
    # inward): the dispatcher refuses to post, and the receiver listening there gets nothing.
    endpoint = robot("generic", webhooks.url("/hook"), allow_private=True)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(allow_private=False)
    assign(complaint, qm, person("chen", email=""))
    assert deliveries_dispatch() == 1
    row = Delivery.objects.get()
    assert row.status == "dead"
    assert "127.0.0.1" in row.last_error
    assert webhooks.requests == []


def test_the_connection_goes_to_the_checked_address_and_keeps_the_host_name(webhooks):
    # The name does not resolve at all: the request can only arrive because the socket is opened to
    # the address that was checked, not to a fresh lookup of the name (what DNS rebinding exploits).
    port = int(webhooks.base_url.rsplit(":", 1)[1])
    target = netguard.Target(
        scheme="http", host="robot.closeloop.invalid", port=port, path="/pinned?x=1", addresses=("127.0.0.1",)
    )
    response = netguard.http_post(
        target, body=b"{}", headers={"Content-Type": "application/json"}, timeout=10
    )
    assert response.status == 200
    (received,) = webhooks.at("/pinned")
    assert received.headers["Host"] == f"robot.closeloop.invalid:{port}"
    assert received.query == {"x": "1"}
