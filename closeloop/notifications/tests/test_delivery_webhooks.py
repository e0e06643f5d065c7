"""Group robots and generic webhooks against a real local HTTP receiver: signatures, bodies, the
robot's language, failures (non-2xx, robot error codes, redirects never followed)."""

# ruff: noqa: F811 — the receiver fixtures are imported by name and requested as arguments

import base64
import hashlib
import hmac

import pytest
from django.utils import translation

from closeloop.notifications.delivery import deliveries_dispatch
from closeloop.notifications.messages import EVENT_LABELS
from closeloop.notifications.models import Delivery
from closeloop.notifications.tests.outbox_builders import assign, person, robot
from closeloop.notifications.tests.receivers import webhooks  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(db):  # type: ignore[no-untyped-def]
    """The person told; no address, so the only deliveries are the robots'."""
    return person("chen", email="")


def _label(language):
    with translation.override(language):
        return str(EVENT_LABELS["complaint_assigned"])


def _sent_once(receiver, path):
    (received,) = receiver.at(path)
    row = Delivery.objects.get()
    assert row.status == "sent", row.last_error
    assert received.headers["X-Closeloop-Event-Id"] == str(row.event_id)
    return received, row


def test_dingtalk_robot_gets_a_signed_markdown_message_in_its_language(webhooks, complaint, qm, owner):
    secret = "SEC0f3a9e1c2b7d"
    robot("dingtalk", webhooks.url("/robot/send?access_token=tok123"), secret=secret, language="zh-hans")
    assign(complaint, qm, owner)
    assert deliveries_dispatch() == 1
    received, _ = _sent_once(webhooks, "/robot/send")
    # What DingTalk checks: sign = base64(HMAC-SHA256(secret, "{timestamp}\n{secret}")), URL-encoded.
    timestamp = received.query["timestamp"]
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert received.query == {"access_token": "tok123", "timestamp": timestamp, "sign": expected}
    body = received.json
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == _label("zh-hans")
    assert f"客诉{complaint.number}已分派给您：螺丝刀杆生锈" in body["markdown"]["text"]
    assert f"http://127.0.0.1:8000/complaints/{complaint.number}/" in body["markdown"]["text"]


def test_feishu_robot_gets_a_signed_post_in_english(webhooks, complaint, qm, owner):
    secret = "feishu-secret"
    robot("feishu", webhooks.url("/open-apis/bot/v2/hook/abc"), secret=secret, language="en")
    assign(complaint, qm, owner)
    deliveries_dispatch()
    received, _ = _sent_once(webhooks, "/open-apis/bot/v2/hook/abc")
    body = received.json
    # What Feishu checks: sign = base64(HMAC-SHA256(key="{timestamp}\n{secret}", message=b"")).
    key = f"{body['timestamp']}\n{secret}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "post"
    post = body["content"]["post"]["en_us"]
    assert post["title"] == _label("en") == "Complaint assigned"
    assert post["content"][0] == [
        {"tag": "text", "text": f"Complaint {complaint.number} is now yours: 螺丝刀杆生锈"}
    ]
    assert post["content"][1][0]["href"] == f"http://127.0.0.1:8000/complaints/{complaint.number}/"


def test_wecom_robot_gets_markdown(webhooks, complaint, qm, owner):
    robot("wecom", webhooks.url("/cgi-bin/webhook/send?key=k-1"))
    assign(complaint, qm, owner)
    deliveries_dispatch()
    received, _ = _sent_once(webhooks, "/cgi-bin/webhook/send")
    assert received.query == {"key": "k-1"}
    content = received.json["markdown"]["content"]
    assert received.json["msgtype"] == "markdown"
    assert content.startswith(f"**{_label('zh-hans')}**\n客诉{complaint.number}已分派给您")
    assert f"[{complaint.number}](http://127.0.0.1:8000/complaints/{complaint.number}/)" in content


def test_generic_webhook_is_hmac_signed_over_timestamp_and_body(webhooks, complaint, qm, owner):
    secret = "generic-key"
    robot("generic", webhooks.url("/hooks/closeloop"), secret=secret, language="en")
    assign(complaint, qm, owner)
    deliveries_dispatch()
    received, row = _sent_once(webhooks, "/hooks/closeloop")
    timestamp = received.headers["X-Closeloop-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256).hexdigest()
    assert received.headers["X-Closeloop-Signature"] == f"sha256={expected}"
    body = received.json
    assert body["event_id"] == str(row.event_id)
    assert body["verb"] == "complaint_assigned"
    assert body["complaint"] == complaint.number
    assert body["text"] == f"Complaint {complaint.number} is now yours: 螺丝刀杆生锈"
    assert body["data"] == {"number": complaint.number, "title": "螺丝刀杆生锈"}


def test_a_redirect_is_a_failure_and_is_never_followed(webhooks, complaint, qm, owner):
    webhooks.answer("/moved", 302, headers={"Location": webhooks.url("/elsewhere")})
    robot("generic", webhooks.url("/moved"))
    assign(complaint, qm, owner)
    deliveries_dispatch()
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "HTTP 302" in row.last_error
    assert len(webhooks.at("/moved")) == 1
    assert webhooks.at("/elsewhere") == []


@pytest.mark.parametrize(
    ("kind", "status", "answer", "error"),
    [
        ("wecom", 200, {"errcode": 93000, "errmsg": "invalid webhook url"}, "code 93000"),
        ("dingtalk", 200, {"errcode": 310000, "errmsg": "sign not match"}, "code 310000"),
        ("feishu", 200, {"code": 19021, "msg": "sign match fail"}, "code 19021"),
        ("wecom", 200, b"<html>portal</html>", "not the robot's JSON"),
        ("generic", 503, {"busy": True}, "HTTP 503"),
    ],
)
def test_robot_error_codes_and_non_2xx_answers_are_retried(
    webhooks,
    complaint,
    qm,
    owner,
    kind,
    status,
    answer,
    error,
):
    webhooks.answer("/hook", status, answer)
    robot(kind, webhooks.url("/hook"), secret="s")
    assign(complaint, qm, owner)
    deliveries_dispatch()
    row = Delivery.objects.get()
    assert (row.status, row.attempts, row.sent_at) == ("pending", 1, None)
    assert error in row.last_error
    assert row.next_attempt_at > row.created_at
