"""The group-robot channel: WeCom, DingTalk and Feishu robots and generic signed JSON webhooks.

Each kind is a pure builder (message -> URL, body, headers) plus one shared sender that checks the
address (:mod:`closeloop.notifications.netguard`), posts without following redirects and reads the
robot's answer. Text is rendered in the endpoint's language from the delivery's payload, never from
one recipient's row. Every attempt of a delivery carries the same event id (``X-Closeloop-Event-Id`` and
``event_id`` in a generic body) so a receiver can drop a copy sent again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation
from django.utils.translation import gettext as _

from closeloop.accounts.models import User
from closeloop.core import clock
from closeloop.notifications import netguard
from closeloop.notifications.channels import DeliveryError, PermanentDeliveryError, event_link, site_url
from closeloop.notifications.messages import event_label, notification_text
from closeloop.notifications.models import Delivery, WebhookEndpoint, WebhookKind


@dataclass(frozen=True)
class WebhookMessage:
    """One message for one endpoint, already rendered in the endpoint's language."""

    event_id: str
    verb: str
    event: str  # the event's label
    text: str
    link: str
    link_text: str
    language: str
    complaint: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # investigation_id, actor, created_at


@dataclass(frozen=True)
class WebhookRequest:
    url: str
    body: bytes
    headers: dict[str, str]


def _timeout() -> float:
    return float(getattr(settings, "CLOSELOOP_WEBHOOK_TIMEOUT_SECONDS", 10))


def _json(value: Any) -> bytes:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()


def _hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: base64 of HMAC-SHA256 keyed by the secret over ``"{timestamp}\\n{secret}"``
    (URL-encoded when added to the query)."""
    return base64.b64encode(_hmac_sha256(secret.encode(), f"{timestamp_ms}\n{secret}".encode())).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu 签名校验: base64 of HMAC-SHA256 keyed by ``"{timestamp}\\n{secret}"`` over an empty message."""
    return base64.b64encode(_hmac_sha256(f"{timestamp_s}\n{secret}".encode(), b"")).decode()


def generic_signature(secret: str, timestamp_s: int, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256(secret, "{timestamp}." + body)>``: the timestamp is signed with the body
    so a captured request cannot be replayed later under a fresh timestamp."""
    digest = hmac.new(secret.encode(), f"{timestamp_s}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _wecom(endpoint: WebhookEndpoint, message: WebhookMessage, now_ms: int) -> WebhookRequest:
    content = f"**{message.event}**\n{message.text}\n[{message.link_text}]({message.link})"
    body = {"msgtype": "markdown", "markdown": {"content": content}}
    return WebhookRequest(endpoint.url, _json(body), {"Content-Type": "application/json"})


def _dingtalk(endpoint: WebhookEndpoint, message: WebhookMessage, now_ms: int) -> WebhookRequest:
    url = endpoint.url
    if endpoint.secret:
        query = urlencode({"timestamp": now_ms, "sign": dingtalk_sign(endpoint.secret, now_ms)})
        url = f"{url}{'&' if '?' in url else '?'}{query}"
    text = f"#### {message.event}\n\n{message.text}\n\n[{message.link_text}]({message.link})"
    body = {"msgtype": "markdown", "markdown": {"title": message.event, "text": text}}
    return WebhookRequest(url, _json(body), {"Content-Type": "application/json"})


def _feishu(endpoint: WebhookEndpoint, message: WebhookMessage, now_ms: int) -> WebhookRequest:
    locale = "en_us" if message.language.startswith("en") else "zh_cn"
    post = {
        "title": message.event,
        "content": [
            [{"tag": "text", "text": message.text}],
            [{"tag": "a", "text": message.link_text, "href": message.link}],
        ],
    }
    body: dict[str, Any] = {"msg_type": "post", "content": {"post": {locale: post}}}
    if endpoint.secret:
        seconds = now_ms // 1000
        body = {"timestamp": str(seconds), "sign": feishu_sign(endpoint.secret, seconds), **body}
    return WebhookRequest(endpoint.url, _json(body), {"Content-Type": "application/json"})


def _generic(endpoint: WebhookEndpoint, message: WebhookMessage, now_ms: int) -> WebhookRequest:
    seconds = now_ms // 1000
    body = _json(
        {
            "event_id": message.event_id,
            "verb": message.verb,
            "event": message.event,
            "text": message.text,
            "language": message.language,
            "complaint": message.complaint,
            "link": message.link,
            "data": message.data,
            **message.extra,
        }
    )
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Closeloop-Event-Id": message.event_id,
        "X-Closeloop-Timestamp": str(seconds),
    }
    if endpoint.secret:
        headers["X-Closeloop-Signature"] = generic_signature(endpoint.secret, seconds, body)
    return WebhookRequest(endpoint.url, body, headers)


_BUILDERS = {
    WebhookKind.WECOM: _wecom,
    WebhookKind.DINGTALK: _dingtalk,
    WebhookKind.FEISHU: _feishu,
    WebhookKind.GENERIC: _generic,
}


def webhook_request_build(endpoint: WebhookEndpoint, message: WebhookMessage) -> WebhookRequest:
    """The request for ``message`` to ``endpoint`` (pure but for the clock, which stamps signatures)."""
    builder = _BUILDERS.get(WebhookKind(endpoint.kind)) if endpoint.kind in WebhookKind.values else None
    if builder is None:
        raise PermanentDeliveryError(f"unknown webhook kind {endpoint.kind!r}")
    request = builder(endpoint, message, int(clock.now().timestamp() * 1000))
    # Every kind carries the event id in a header too, so any receiver can drop a repeated copy.
    return WebhookRequest(
        request.url, request.body, {"X-Closeloop-Event-Id": message.event_id, **request.headers}
    )


def _snippet(body: bytes) -> str:
    return body[:200].decode("utf-8", "replace").strip()


def _check_answer(kind: str, response: netguard.HttpResponse) -> None:
    status = response.status
    if 300 <= status < 400:
        raise DeliveryError(f"HTTP {status} {response.reason}: redirects are not followed")
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status} {response.reason}: {_snippet(response.body)}")
    if kind == WebhookKind.GENERIC:
        return
    try:
        answer = json.loads(response.body or b"null")
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise DeliveryError(
            f"HTTP {status}, but the answer is not the robot's JSON: {_snippet(response.body)}"
        )
    if kind == WebhookKind.FEISHU:
        code = answer.get("code", answer.get("StatusCode"))
        detail = answer.get("msg", answer.get("StatusMessage", ""))
    else:
        code, detail = answer.get("errcode"), answer.get("errmsg", "")
    if code != 0:
        raise DeliveryError(f"the robot refused the message: code {code}: {detail}")


def webhook_send(endpoint: WebhookEndpoint, message: WebhookMessage) -> None:
    """Post ``message`` to ``endpoint``: check the address (SSRF guard, at every send), connect to the
    checked addresses only, never follow a redirect; a non-2xx answer or a robot's non-zero error code
    is a failure. Raises DeliveryError (retry later) or PermanentDeliveryError (the address is
    refused). Takes no database lock; do not call it while holding one."""
    request = webhook_request_build(endpoint, message)
    try:
        target = netguard.url_check(request.url, allow_private=endpoint.allow_private)
    except netguard.AddressRefused as exc:
        error = DeliveryError if exc.transient else PermanentDeliveryError
        raise error(f"address refused: {exc}") from exc
    try:
        response = netguard.http_post(target, body=request.body, headers=request.headers, timeout=_timeout())
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    _check_answer(endpoint.kind, response)


def webhook_message_from_delivery(delivery: Delivery) -> WebhookMessage:
    """The message of a ``webhook`` delivery, rendered from its payload in the endpoint's language."""
    endpoint = delivery.endpoint
    if endpoint is None:
        raise PermanentDeliveryError("the webhook robot of this delivery no longer exists")
    payload = delivery.payload if isinstance(delivery.payload, dict) else {}
    verb = str(payload.get("verb") or delivery.verb)
    raw = payload.get("data")
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    complaint = payload.get("complaint")
    with translation.override(endpoint.language):
        return WebhookMessage(
            event_id=str(delivery.event_id),
            verb=verb,
            event=event_label(verb),
            text=notification_text(SimpleNamespace(verb=verb, data=data)),
            link=event_link(complaint_number=complaint, data=data),
            link_text=str(complaint) if complaint else _("Open in Closeloop"),
            language=endpoint.language,
            complaint=complaint,
            data=data,
            extra={k: payload.get(k) for k in ("investigation_id", "actor", "created_at")},
        )


def webhook_deliver(delivery: Delivery) -> None:
    """Send a ``webhook`` delivery; a disabled or deleted robot is a permanent failure."""
    endpoint = delivery.endpoint
    if endpoint is None or not endpoint.is_active:
        raise PermanentDeliveryError("the webhook robot is disabled or deleted")
    webhook_send(endpoint, webhook_message_from_delivery(delivery))


def webhook_test_message(endpoint: WebhookEndpoint, *, actor: User) -> WebhookMessage:
    """A test message for ``endpoint`` (the admin's "send a test message"), in its language."""
    with translation.override(endpoint.language):
        return WebhookMessage(
            event_id=str(uuid.uuid4()),
            verb="test",
            event=_("Test message"),
            text=_("Closeloop can post to this robot (test sent by %(user)s).") % {"user": actor},
            link=site_url("/"),
            link_text=_("Open in Closeloop"),
            language=endpoint.language,
        )
