"""Signed tokens for the links in a message: unsubscribe, open pixel, click.

Each kind has its own salt, so a token of one kind is worthless as another; each names one
delivery (and for a click, one link of its message), so a recipient's link can never act for
another recipient, and nobody can make one without the secret key."""

from __future__ import annotations

from django.core import signing

_SALTS = {
    "unsubscribe": "kehu.messaging.unsubscribe",
    "open": "kehu.messaging.open",
    "click": "kehu.messaging.click",
}


def make_token(kind: str, delivery_id: int, link: int | None = None) -> str:
    value = str(delivery_id) if link is None else f"{delivery_id}.{link}"
    return signing.Signer(salt=_SALTS[kind]).sign(value)


def read_token(kind: str, token: str) -> tuple[int, int | None] | None:
    """(delivery id, link index or None), or None for anything not signed by us for ``kind``."""
    try:
        value = signing.Signer(salt=_SALTS[kind]).unsign(token)
    except signing.BadSignature:
        return None
    delivery, _dot, link = value.partition(".")
    try:
        return int(delivery), (int(link) if link else None)
    except ValueError:
        return None
