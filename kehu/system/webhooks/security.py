"""The SSRF guard: a webhook may only reach public addresses over http or https.

Checked when an endpoint is saved and again before every attempt (DNS may have changed): the
host is resolved and *every* address it resolves to must be public; the connection then goes
to one of the checked addresses (not a second lookup), and redirects are never followed.
``KEHU_WEBHOOKS_ALLOW_PRIVATE`` (True only in the test settings) lifts the address check so
tests can post to a receiver on loopback; the scheme check always applies.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class UnsafeUrlError(ValueError):
    """The URL may not be called; the message says why, in the user's language."""


def _forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def parse(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of a webhook URL; :class:`UnsafeUrlError` if it is not http(s)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrlError(_("This is not a valid URL.")) from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrlError(_("Only http and https URLs are allowed."))
    if not parts.hostname:
        raise UnsafeUrlError(_("The URL has no host."))
    if parts.username or parts.password:
        raise UnsafeUrlError(_("The URL may not contain a user name or password."))
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve_safe(url: str) -> tuple[str, str, int, str]:
    """Check ``url`` and return ``(scheme, host, port, address)``: the address to connect to,
    one the host resolves to, every one of which was checked."""
    scheme, host, port = parse(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrlError(_("The host name could not be resolved.")) from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise UnsafeUrlError(_("The host name could not be resolved."))
    if not getattr(settings, "KEHU_WEBHOOKS_ALLOW_PRIVATE", False):
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if _forbidden(ip):
                raise UnsafeUrlError(
                    _(
                        "The URL leads to a private, loopback, link-local or multicast address "
                        "(%(address)s); webhooks may only call public addresses."
                    )
                    % {"address": address}
                )
    return scheme, host, port, addresses[0]
