"""Where webhooks may go: the guard against server-side request forgery (docs/webhooks.md).

A URL must be ``https://`` (``http://`` too when ``settings.WEBHOOK_ALLOW_HTTP``), carry no
credentials, and its host must resolve only to public addresses: private, loopback,
link-local (cloud metadata services live there: 169.254.169.254, fd00:ec2::254), shared
(100.64.0.0/10), unspecified, multicast, reserved and documentation ranges are refused unless
inside one of ``settings.WEBHOOK_ALLOWED_NETWORKS`` (CIDRs). The host is resolved once, and
the sender connects to the address that was checked (``WebhookTarget.address``), so a DNS answer
that changes between the check and the connection (rebinding) cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Named explicitly so the message says why (each also falls under a broader rule below).
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class WebhookUrlError(ValueError):
    """The URL may not receive webhooks; the message says why (shown to the requester)."""


@dataclass(frozen=True)
class WebhookTarget:
    """A checked URL: where to connect (``address``, resolved once) and what to ask for."""

    scheme: str
    host: str  # the name: the Host header and, for https, TLS's SNI and certificate check
    port: int
    path: str  # with the query
    address: str


@lru_cache(maxsize=8)
def _allowed_networks(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def _embedded_ipv4(address: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped or NAT64 IPv6 address (judged as itself)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def refusal_reason(address: IPAddress) -> str | None:
    """Why webhooks may not go to ``address`` (``None`` when they may)."""
    networks = _allowed_networks(tuple(settings.WEBHOOK_ALLOWED_NETWORKS))
    if any(address in network for network in networks if network.version == address.version):
        return None
    judged = _embedded_ipv4(address)
    if judged is not address and any(judged in n for n in networks if n.version == judged.version):
        return None
    if judged in _METADATA or address in _METADATA:
        return "a cloud metadata address"
    for kind, is_it in (
        ("an unspecified address", judged.is_unspecified),
        ("a loopback address", judged.is_loopback),
        ("a link-local address", judged.is_link_local),
        ("a multicast address", judged.is_multicast),
        ("a private address", judged.is_private),
        ("a reserved address", judged.is_reserved),
    ):
        if is_it:
            return kind
    if not judged.is_global:
        return "not a public address"
    return None


def _split(url: str) -> tuple[str, str, int, str]:
    if not isinstance(url, str) or not url:
        raise WebhookUrlError("must be an absolute https:// URL")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise WebhookUrlError(f"is not a valid URL ({error})") from None
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if scheme not in allowed:
        raise WebhookUrlError(
            "must use https://" if not settings.WEBHOOK_ALLOW_HTTP else "must use https:// or http://"
        )
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlError("must not carry credentials (user:password@)")
    host = parts.hostname
    if not host:
        raise WebhookUrlError("has no host")
    if parts.fragment:
        raise WebhookUrlError("must not have a #fragment")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or (443 if scheme == "https" else 80), path


def webhook_target(url: str) -> WebhookTarget:
    """Check ``url`` and resolve its host once: the target to connect to, or
    ``WebhookUrlError`` saying why not (a refused scheme or address, a name that does not
    resolve). Every address the name resolves to must be allowed."""
    scheme, host, port, path = _split(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise WebhookUrlError(f"host {host!r} does not resolve ({error})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise WebhookUrlError(f"host {host!r} does not resolve")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        reason = refusal_reason(address)
        if reason is not None:
            raise WebhookUrlError(
                f"resolves to {address}, {reason}: webhooks go only to public addresses "
                "(an operator may allow networks with WEBHOOK_ALLOWED_NETWORKS)"
            )
    return WebhookTarget(scheme=scheme, host=host, port=port, path=path, address=addresses[0])


def check_webhook_url(url: str) -> None:
    """``WebhookUrlError`` (its message says why) unless webhooks may go to ``url`` now."""
    webhook_target(url)
