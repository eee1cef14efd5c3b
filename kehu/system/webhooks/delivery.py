"""Posting one delivery: sign, send (no redirects, a checked address), record, retry or give up.

An attempt succeeds on any 2xx answer. Otherwise the delivery is tried again after
``KEHU_WEBHOOKS_RETRY_BASE_SECONDS × 2^(attempt-1)`` seconds, up to
``KEHU_WEBHOOKS_MAX_ATTEMPTS`` attempts. Every failed attempt adds one to the endpoint's
consecutive failures (a success resets them); at ``KEHU_WEBHOOKS_DISABLE_AFTER`` the endpoint
is disabled and its owner gets a notice in the inbox.

A retry is a delayed task; if a worker dies or a broker loses it, the delivery would wait
forever. ``sweep`` (a beat task every few minutes) puts every delivery whose time is more than
``KEHU_WEBHOOKS_SWEEP_GRACE_SECONDS`` past back on the queue, and moves its retry time on so the
next sweep does not queue it again. A receiver may see one attempt twice when a "lost" task
turns up after all: that is why every attempt carries the same delivery ID.
"""

from __future__ import annotations

import datetime
import http.client
import json
import logging
import socket
import ssl
import time
from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from kehu.core.audit import audited_bulk_update, unaudited_write

from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from .security import UnsafeUrlError, resolve_safe
from .signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

log = logging.getLogger(__name__)

EXCERPT = 1000


def _setting(name: str, default):
    return getattr(settings, name, default)


class _Connection(http.client.HTTPConnection):
    """Connects to the address the SSRF check approved, not to a fresh DNS answer."""

    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _TLSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float):
    """One POST; a redirect is an answer like any other (3xx: not a success, not followed)."""
    scheme, host, port, address = resolve_safe(url)
    cls = _TLSConnection if scheme == "https" else _Connection
    conn = cls(host, port, address, timeout)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(EXCERPT * 4)
    finally:
        conn.close()


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, cls=DjangoJSONEncoder, ensure_ascii=False).encode()


def attempt(delivery: WebhookDelivery) -> bool:
    """Make one attempt and record it on the delivery; True if the receiver took it."""
    endpoint = delivery.endpoint
    body = body_of(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Kehu-Webhooks/1",
        SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
        TIMESTAMP_HEADER: str(timestamp),
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.pk),
    }
    started = time.monotonic()
    code, excerpt, error = None, "", ""
    try:
        code, raw = post(
            endpoint.url, body, headers, timeout=_setting("KEHU_WEBHOOKS_TIMEOUT_SECONDS", 10)
        )
        excerpt = raw.decode("utf-8", "replace")[:EXCERPT]
    except UnsafeUrlError as exc:
        error = str(exc)
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    delivery.duration_ms = int((time.monotonic() - started) * 1000)
    delivery.attempts += 1
    delivery.response_code = code
    delivery.response_excerpt = excerpt
    delivery.error = error
    return code is not None and 200 <= code < 300


def backoff(attempts: int) -> float:
    return float(_setting("KEHU_WEBHOOKS_RETRY_BASE_SECONDS", 30)) * 2 ** (attempts - 1)


def deliver_now(delivery_id: int) -> str:
    """One attempt of one delivery; returns its status afterwards. Retries are new tasks."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED):
        return "gone"
    endpoint = delivery.endpoint
    if not endpoint.is_active or endpoint.disabled_at is not None:
        delivery.status = DeliveryStatus.FAILED
        delivery.error = _("The webhook is switched off.")
        delivery.next_retry_at = None
        delivery.save(update_fields=["status", "error", "next_retry_at"])
        return delivery.status
    ok = attempt(delivery)
    now = timezone.now()
    retry_in = None
    if ok:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_retry_at = None
        if endpoint.failure_count:
            with unaudited_write("webhook delivery bookkeeping"):
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failure_count=0)
    else:
        if delivery.attempts < int(_setting("KEHU_WEBHOOKS_MAX_ATTEMPTS", 6)):
            retry_in = backoff(delivery.attempts)
            delivery.status = DeliveryStatus.RETRYING
            delivery.next_retry_at = now + datetime.timedelta(seconds=retry_in)
        else:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_retry_at = None
        if record_failure(endpoint):  # the endpoint was just disabled: no more retries
            retry_in = None
            delivery.status = DeliveryStatus.FAILED
            delivery.next_retry_at = None
    delivery.save()
    if retry_in is not None:
        deliver.apply_async((delivery.pk,), countdown=retry_in)
    return delivery.status


@transaction.atomic
def record_failure(endpoint: WebhookEndpoint) -> bool:
    """One more consecutive failure; at the limit the endpoint is disabled (audited, once) and
    its owner told. True if this failure disabled it."""
    with unaudited_write("webhook failure count"):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failure_count=F("failure_count") + 1)
    limit = int(_setting("KEHU_WEBHOOKS_DISABLE_AFTER", 10))
    row = (
        WebhookEndpoint.objects.select_for_update()
        .filter(pk=endpoint.pk, disabled_at__isnull=True, failure_count__gte=limit)
        .first()
    )
    if row is None:
        return False
    audited_bulk_update(WebhookEndpoint.objects.filter(pk=row.pk), disabled_at=timezone.now())
    notify_disabled(row, limit)
    return True


def notify_disabled(endpoint: WebhookEndpoint, failures: int) -> None:
    from django.urls import reverse

    from kehu.core.actions import notify

    owner = endpoint.owner
    with override(getattr(owner, "language", None) or settings.LANGUAGE_CODE):
        notify(
            recipients=[owner],
            title=_("Webhook “%(name)s” was disabled") % {"name": endpoint.name},
            body=_(
                "%(count)s deliveries in a row failed, so Kehu stopped sending to %(url)s. "
                "Fix the receiver, then switch the webhook on again."
            )
            % {"count": failures, "url": endpoint.url},
            link=reverse("system:webhookendpoint_detail", args=[endpoint.pk]),
            level="warning",
            kind="webhook_disabled",
            dedupe_key=f"webhook-disabled-{endpoint.pk}-{endpoint.version}",
        )


@shared_task(name="kehu.system.deliver_webhook", ignore_result=True)
def deliver(delivery_id: int) -> str:
    return deliver_now(delivery_id)


SWEEP_BATCH = 500


def lost_deliveries(*, now: datetime.datetime | None = None) -> list[int]:
    """IDs of deliveries that should have been attempted more than the grace period ago."""
    now = now or timezone.now()
    grace = datetime.timedelta(seconds=float(_setting("KEHU_WEBHOOKS_SWEEP_GRACE_SECONDS", 600)))
    cutoff = now - grace
    waiting = Q(status=DeliveryStatus.PENDING, created_at__lt=cutoff, next_retry_at__isnull=True)
    overdue = Q(
        status__in=(DeliveryStatus.PENDING, DeliveryStatus.RETRYING), next_retry_at__lt=cutoff
    )
    return list(
        WebhookDelivery.objects.filter(waiting | overdue)
        .order_by("id")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def requeue_lost(*, now: datetime.datetime | None = None) -> int:
    """Queue every lost delivery again; returns how many. Its retry time moves to now, so a
    later sweep only picks it up if this attempt is lost too."""
    now = now or timezone.now()
    ids = lost_deliveries(now=now)
    if not ids:
        return 0
    WebhookDelivery.objects.filter(pk__in=ids).update(next_retry_at=now)
    for pk in ids:
        transaction.on_commit(lambda pk=pk: deliver.delay(pk))
    log.warning("webhooks: %d lost deliveries queued again", len(ids))
    return len(ids)


@shared_task(name="kehu.system.sweep_webhooks", ignore_result=True)
def sweep() -> int:
    return requeue_lost()
