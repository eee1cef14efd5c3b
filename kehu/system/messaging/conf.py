"""The messaging settings with their defaults (all can come from the environment)."""

from __future__ import annotations

from django.conf import settings


def site_url() -> str:
    """Where recipients reach Kehu (the links in a message are absolute)."""
    return (getattr(settings, "KEHU_SITE_URL", "") or "http://localhost:8000").rstrip("/")


def batch_size() -> int:
    return int(getattr(settings, "KEHU_MESSAGING_BATCH_SIZE", 200))


def max_retries() -> int:
    return int(getattr(settings, "KEHU_MESSAGING_MAX_RETRIES", 8))


def retry_delay(retries: int) -> int:
    """Seconds before the next try: doubling from the base, capped (a broken SMTP connection
    pauses the batch, it does not hammer the server)."""
    base = int(getattr(settings, "KEHU_MESSAGING_RETRY_BASE", 10))
    return min(base * 2**retries, int(getattr(settings, "KEHU_MESSAGING_RETRY_MAX", 1800)))


def rate_limit() -> str | None:
    """Celery's rate limit of one worker's batches, e.g. ``"30/m"`` (None: unlimited)."""
    return getattr(settings, "KEHU_MESSAGING_RATE_LIMIT", "") or None
