"""Guarding outgoing webhook requests against server-side request forgery (SSRF).

A webhook address is typed by an administrator, so a careless or hostile one could make the server
post to itself, to the cloud metadata service (169.254.169.254) or to a machine on the company
network. :func:`url_check` refuses such an address when it is saved and again before every send;
:func:`http_post` then connects to exactly the addresses that were checked (the socket creation is
overridden), so a host name that resolves to a public address at check time and to a private one a
moment later (DNS rebinding) still cannot reach the private one. The Host header, TLS SNI and
certificate check keep using the host name.

Pure networking: no ORM. Redirects are never followed (``http.client`` does not follow them; the
caller treats a 3xx as a failure).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Enough for any robot's answer; a receiver sending more is not read further.
MAX_RESPONSE_BYTES = 64 * 1024


class AddressRefused(Exception):
    """The URL may not be posted to. ``message`` is translatable (shown beside the admin's URL field)."""

    def __init__(self, message: Any, *, transient: bool = False) -> None:
        super().__init__(str(message))
        self.message = message
        # True when trying again later may succeed (the name did not resolve), False for a refusal
        # that only an administrator can lift.
        self.transient = transient


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``addresses``) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, never empty
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class HttpResponse:
    status: int
    reason: str
    body: bytes


def address_refusal(ip: IPAddress) -> bool:
    """True for an address a webhook may not reach unless private addresses are allowed: loopback,
    link-local, private, shared (CGNAT), reserved, multicast, unspecified — also when hidden in an
    IPv4-mapped or 6to4 IPv6 address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None and address_refusal(embedded):
            return True
    return (
        ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


def _resolve(host: str, port: int) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(
            _("The host name %(host)s cannot be resolved.") % {"host": host}, transient=True
        ) from exc
    addresses: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise AddressRefused(_("The host name %(host)s cannot be resolved.") % {"host": host}, transient=True)
    return tuple(addresses)


def url_check(url: str, *, allow_private: bool) -> Target:
    """Parse and resolve ``url``; raise :class:`AddressRefused` when it may not be posted to.

    Refused: a scheme other than http/https, a user name or password in the URL, no host, a host that
    does not resolve (``transient``), and — unless ``allow_private`` — any resolved address for which
    :func:`address_refusal` holds (one bad address is enough: the connection could pick it).
    Makes one DNS query; takes no lock.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise AddressRefused(_("Enter a valid http or https address.")) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise AddressRefused(_("Only http and https addresses are allowed."))
    if parts.username is not None or parts.password is not None:
        raise AddressRefused(_("The address must not contain a user name or password."))
    host = parts.hostname or ""
    if not host:
        raise AddressRefused(_("Enter a valid http or https address."))
    port = port or (443 if scheme == "https" else 80)
    addresses = _resolve(host, port)
    if not allow_private:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if address_refusal(ip):
                raise AddressRefused(
                    _(
                        "%(host)s points to %(address)s, a loopback, private or reserved address. "
                        "Allow private addresses only for a robot inside the company network."
                    )
                    % {"host": host, "address": address}
                )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=addresses)


def _pinned_connector(addresses: tuple[str, ...]) -> Callable[..., socket.socket]:
    """A replacement for ``socket.create_connection`` that ignores the host it is given and connects
    to the checked ``addresses`` in order (first that answers wins)."""

    def create_connection(
        address: tuple[str, int], timeout: Any = None, source_address: Any = None
    ) -> socket.socket:
        port = address[1]
        last_error: OSError | None = None
        for ip in addresses:
            try:
                return socket.create_connection((ip, port), timeout, source_address)
            except OSError as exc:
                last_error = exc
        raise last_error or OSError("no address to connect to")

    return create_connection


def http_post(target: Target, *, body: bytes, headers: Mapping[str, str], timeout: float) -> HttpResponse:
    """POST ``body`` to a checked ``target``, connecting only to ``target.addresses``.

    The Host header, SNI and certificate verification use ``target.host``. Redirects are not followed;
    at most :data:`MAX_RESPONSE_BYTES` of the answer are read. Raises ``OSError`` (including timeouts
    and TLS errors) or ``http.client.HTTPException`` when no answer arrives.
    """
    conn: http.client.HTTPConnection
    if target.scheme == "https":
        conn = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    # http.client opens its socket through this attribute; pinning it is what defeats DNS rebinding.
    conn._create_connection = _pinned_connector(target.addresses)  # type: ignore[attr-defined]
    try:
        conn.request("POST", target.path, body=body, headers=dict(headers))
        resp = conn.getresponse()
        data = resp.read(MAX_RESPONSE_BYTES)
        return HttpResponse(status=resp.status, reason=resp.reason, body=data)
    finally:
        conn.close()
