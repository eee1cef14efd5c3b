"""Signing: ``Kehu-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>``
and ``Kehu-Timestamp: <Unix seconds>``. The receiver recomputes the HMAC and refuses a
timestamp older than a few minutes (replay protection); see docs/guide/webhooks.md."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Kehu-Signature"
TIMESTAMP_HEADER = "Kehu-Timestamp"
EVENT_HEADER = "Kehu-Event"
DELIVERY_HEADER = "Kehu-Delivery"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, now: float, tolerance: int = 300
) -> bool:
    """What a receiver does (used by the tests and shown in the guide)."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - ts) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)
