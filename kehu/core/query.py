"""Query and form parameters read by hand in views: parsed once here, and anything that cannot
be understood raises :class:`~kehu.core.errors.BadInput` — a 400 with the reason in the user's
language — instead of reaching the database or ``datetime`` and ending in a 500."""

from __future__ import annotations

import datetime

from django.shortcuts import resolve_url
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .dates import in_range, out_of_range_message
from .errors import BadInput

MAX_ID = 2**63 - 1


def int_param(text: str | None, *, name: str) -> int | None:
    """A record id or count: ``None`` when empty, else a whole number that fits the database."""
    text = (text or "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or int(text) > MAX_ID:
        raise BadInput(_("“%(value)s” is not a valid number.") % {"value": text[:40]}, field=name)
    return int(text)


def date_param(text: str | None, *, name: str) -> datetime.date | None:
    """A ``YYYY-MM-DD`` query/form parameter: ``None`` when empty, else a date in range;
    malformed, impossible (2026-02-30) or out of range raises :class:`BadInput` (400)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = parse_date(text)
    except ValueError:
        value = None
    if value is None:
        raise BadInput(_("“%(value)s” is not a valid date.") % {"value": text[:40]}, field=name)
    if not in_range(value):
        raise BadInput(out_of_range_message(), field=name)
    return value


def datetime_param(text: str | None, *, name: str) -> datetime.datetime | None:
    """Like :func:`date_param` for ``YYYY-MM-DDTHH:MM``; the result is aware (current zone)."""
    from django.utils import timezone

    text = (text or "").strip()
    if not text:
        return None
    try:
        value = parse_datetime(text)
    except ValueError:
        value = None
    if value is None:
        raise BadInput(
            _("“%(value)s” is not a valid date and time.") % {"value": text[:40]}, field=name
        )
    if not in_range(value):
        raise BadInput(out_of_range_message(), field=name)
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def safe_next(request, target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site, else ``fallback`` (a URL name or path): a
    ``next`` parameter must never send the user to another host (open redirect)."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(fallback)
