"""What other areas call to send: create a message, queue its recipients, send it; preview and
test send; the suppression list, consent and the recipients' own actions (unsubscribe, open,
click).

Sending is at most once per (material, channel, address): the unique constraint refuses a second
delivery row, and a worker *claims* rows (queued → sending, in one UPDATE) before it hands them
to the provider. A provider that says nothing was accepted (no connection, a 4xx) releases the
rows it had not sent (sending → queued) and the batch is retried later; a break while a message
was under way marks that one failed and never sends it again."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import logging
import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import conf
from .addresses import normalize_address
from .models import (
    Channel,
    Consent,
    Delivery,
    DeliveryStatus,
    Message,
    Suppression,
    SuppressionReason,
)
from .providers import Envelope, ProviderError, get_provider
from .rendering import check_template, fill_links, render, sanitize_html
from .tokens import make_token, read_token

log = logging.getLogger(__name__)
S = DeliveryStatus


class MessagingError(enum.StrEnum):
    INVALID_ADDRESS = "invalid_address"
    INVALID_TEMPLATE = "invalid_template"
    EMPTY_MESSAGE = "empty_message"


# --- Creating and queueing --------------------------------------------------------------------


def create_message(
    *,
    material: str,
    channel: str = Channel.EMAIL,
    subject: str = "",
    text: str = "",
    html: str = "",
    sender: str = "",
    source: str = "",
    from_address: str = "",
    provider_template: str = "",
    needs_consent: bool = False,
    created_by=None,
) -> Message:
    """A message ready to queue recipients on. Its templates are checked (placeholders only) and
    its HTML sanitised here, once; a ValidationError says what is wrong."""
    if channel not in Channel.values:
        raise ValidationError(_("Unknown channel %(channel)s.") % {"channel": channel})
    material = (material or "").strip()
    if not material:
        raise ValidationError(_("A message needs a material key."), code="material")
    if not (text or html or provider_template):
        raise ValidationError(_("The message is empty."), code=MessagingError.EMPTY_MESSAGE)
    errors = {}
    for field, value in (("subject", subject), ("text", text), ("html", html)):
        try:
            check_template(value)
        except ValidationError as exc:
            errors[field] = exc.messages
    if any(c in subject for c in "\r\n"):
        errors["subject"] = [_("The subject cannot contain a line break.")]
    if from_address:
        try:
            from_address = normalize_address(Channel.EMAIL, from_address)
        except ValidationError as exc:
            errors["from_address"] = exc.messages
    links: list[str] = []
    if html:
        try:
            html, links = sanitize_html(html)
        except ValidationError as exc:
            errors["html"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return Message.objects.create(
        material=material[:200],
        channel=channel,
        subject=subject,
        body_text=text,
        body_html=html,
        sender=sender,
        source=source,
        from_address=from_address,
        provider_template=provider_template,
        needs_consent=needs_consent,
        links=links,
        created_by=created_by,
    )


@dataclasses.dataclass
class QueueResult:
    queued: int = 0
    #: Addresses this material was already queued or sent to (by this or another message).
    duplicates: int = 0
    #: (address as given, why it was refused)
    invalid: list[tuple[str, str]] = dataclasses.field(default_factory=list)


def queue_deliveries(*, message: Message, recipients: Iterable[dict]) -> QueueResult:
    """Queue ``message`` for each recipient (``{"address": …, "context": {"name": …}}``).

    Malformed addresses are refused with their reason and queue nothing; an address that already
    has this material (from any message) is a duplicate and is not queued again. Suppression and
    consent are checked at send time, not here, so a later unsubscribe still counts."""
    result = QueueResult()
    rows: dict[str, Delivery] = {}
    for recipient in recipients:
        raw = recipient.get("address", "")
        try:
            address = normalize_address(message.channel, raw)
        except ValidationError as exc:
            result.invalid.append((str(raw), exc.messages[0]))
            continue
        if address in rows:
            result.duplicates += 1
            continue
        context = {
            k: "" if v is None else str(v) for k, v in (recipient.get("context") or {}).items()
        }
        rows[address] = Delivery(
            message=message,
            material=message.material,
            channel=message.channel,
            address=address,
            context=context,
        )
    before = Delivery.objects.filter(message=message).count()
    batch = list(rows.values())
    for start in range(0, len(batch), 2000):
        Delivery.objects.bulk_create(batch[start : start + 2000], ignore_conflicts=True)
    result.queued = Delivery.objects.filter(message=message).count() - before
    result.duplicates += len(batch) - result.queued
    return result


def send_message(*, message: Message) -> None:
    """Send the message's queued deliveries in the background (after the current transaction
    commits, so the worker sees them)."""
    from .tasks import dispatch_message

    transaction.on_commit(lambda: dispatch_message.delay(message.pk))


def queued_batches(message_id: int) -> list[list[int]]:
    ids = list(
        Delivery.objects.filter(message_id=message_id, status=S.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    size = conf.batch_size()
    return [ids[i : i + size] for i in range(0, len(ids), size)]


# --- Rendering ----------------------------------------------------------------------------------


def _absolute(name: str, token: str) -> str:
    return conf.site_url() + reverse(name, args=[token])


def unsubscribe_url(delivery_id: int) -> str:
    return _absolute("system:messaging_unsubscribe", make_token("unsubscribe", delivery_id))


def build_envelope(message: Message, *, address: str, context: dict, delivery_id=None) -> Envelope:
    """The message rendered for one recipient. With a delivery: its unsubscribe link (in the
    body and the RFC 8058 headers), the click-tracking links and the open pixel; without one (a
    preview or test send): the links as they are and no tracking."""
    values = dict(context)
    values.pop("unsubscribe_url", None)  # the caller's data never supplies a system value
    headers = {}
    if delivery_id is not None:
        unsub = unsubscribe_url(delivery_id)
        values["unsubscribe_url"] = unsub
        digest = hashlib.sha256(message.material.encode()).hexdigest()[:12]
        domain = (message.from_address or "kehu@localhost").rpartition("@")[2] or "localhost"
        headers = {
            "Message-ID": f"<kehu.{delivery_id}.{digest}@{domain}>",
            "List-Unsubscribe": f"<{unsub}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    else:
        values["unsubscribe_url"] = conf.site_url() + "/"
    subject = render(message.subject, values, html_escape=False)
    text = render(message.body_text, values, html_escape=False)
    body = render(message.body_html, values, html_escape=True) if message.body_html else ""
    if body:
        if delivery_id is not None:

            def click(index: int) -> str:
                return _absolute("system:messaging_click", make_token("click", delivery_id, index))

            body = fill_links(body, click)
            pixel = _absolute("system:messaging_open", make_token("open", delivery_id))
            body += f'<img src="{pixel}" width="1" height="1" alt="">'
        else:
            body = fill_links(body, lambda i: message.links[i])
    data = {k: v for k, v in values.items() if k != "unsubscribe_url"}
    return Envelope(
        channel=message.channel,
        to=address,
        subject=subject,
        text=text,
        html=body,
        from_address=message.from_address,
        headers=headers,
        template=message.provider_template,
        data=data,
        delivery_id=delivery_id,
    )


def preview(*, message: Message, context: dict | None = None) -> Envelope:
    """What a recipient with ``context`` would get (no tracking, nothing recorded)."""
    address = (context or {}).get("email") or (context or {}).get("mobile") or ""
    return build_envelope(message, address=address, context=context or {})


def send_test(*, message: Message, address: str, context: dict | None = None) -> Envelope:
    """Send the message to ``address`` now, marked as a test. It records no delivery, so the
    real send still reaches that address; it ignores the suppression list (the sender asked)."""
    address = normalize_address(message.channel, address)
    envelope = build_envelope(message, address=address, context=context or {})
    envelope.subject = _("[Test] %(subject)s") % {"subject": envelope.subject}
    provider = get_provider(message.channel)
    provider.open()
    try:
        provider.send(envelope)
    finally:
        provider.close()
    return envelope


# --- Sending ------------------------------------------------------------------------------------


class TemporaryFailure(Exception):
    """The batch could not be (fully) sent for now; its unsent deliveries are queued again."""


@dataclasses.dataclass
class BatchResult:
    sent: int = 0
    suppressed: int = 0
    bounced: int = 0
    failed: int = 0
    released: int = 0


def claim(delivery_ids: list[int]) -> list[Delivery]:
    """Take the still-queued deliveries among ``delivery_ids`` for this worker, atomically:
    another worker (a redelivered task, a second sender) gets none of them."""
    token = uuid.uuid4().hex
    Delivery.objects.filter(pk__in=delivery_ids, status=S.QUEUED).update(
        status=S.SENDING, claim=token, attempts=F("attempts") + 1
    )
    return list(
        Delivery.objects.filter(claim=token, status=S.SENDING)
        .select_related("message")
        .order_by("pk")
    )


def blocked_addresses(channel: str, addresses: list[str], *, consent: bool) -> set[str]:
    """Those of ``addresses`` nothing may be sent to now: on the suppression list, or (for a
    message that needs consent) without a granted consent."""
    blocked = set(
        Suppression.objects.filter(channel=channel, address__in=addresses).values_list(
            "address", flat=True
        )
    )
    if consent:
        granted = set(
            Consent.objects.filter(
                channel=channel, address__in=addresses, granted=True
            ).values_list("address", flat=True)
        )
        blocked |= set(addresses) - granted
    return blocked


def send_batch(delivery_ids: list[int]) -> BatchResult:
    """Send the queued deliveries among ``delivery_ids`` (one channel) over one provider
    connection. Raises TemporaryFailure (after queueing the unsent ones again) when the provider
    accepted nothing for now; whatever was sent stays sent."""
    result = BatchResult()
    rows = claim(delivery_ids)
    if not rows:
        return result
    now = timezone.now()
    by_channel: dict[tuple[str, bool], list[Delivery]] = {}
    for row in rows:
        by_channel.setdefault((row.channel, row.message.needs_consent), []).append(row)
    blocked_ids = []
    for (channel, consent), group in by_channel.items():
        blocked = blocked_addresses(channel, [r.address for r in group], consent=consent)
        blocked_ids += [r.pk for r in group if r.address in blocked]
    if blocked_ids:
        result.suppressed = Delivery.objects.filter(pk__in=blocked_ids).update(
            status=S.SUPPRESSED, claim=""
        )
    todo = [r for r in rows if r.pk not in set(blocked_ids)]
    sent: list[int] = []
    pending = list(todo)
    try:
        for channel in sorted({r.channel for r in todo}):
            provider = get_provider(channel)
            try:
                provider.open()
            except ProviderError as exc:
                raise TemporaryFailure(str(exc)) from exc
            try:
                for row in [r for r in todo if r.channel == channel]:
                    envelope = build_envelope(
                        row.message, address=row.address, context=row.context, delivery_id=row.pk
                    )
                    try:
                        provider_id = provider.send(envelope)
                    except ProviderError as exc:
                        pending.remove(row)
                        _record_failure(row, exc, result)
                        if exc.outcome in (ProviderError.RETRY, ProviderError.UNKNOWN):
                            raise TemporaryFailure(str(exc)) from exc
                        continue
                    pending.remove(row)
                    sent.append(row.pk)
                    if provider_id and provider_id != envelope.headers.get("Message-ID"):
                        Delivery.objects.filter(pk=row.pk).update(provider_id=provider_id[:200])
            finally:
                provider.close()
    except TemporaryFailure as exc:
        result.released += _release(pending, str(exc))
        raise
    finally:
        if sent:
            result.sent = Delivery.objects.filter(pk__in=sent).update(
                status=S.SENT, sent_at=now, claim="", last_error=""
            )
    return result


def _record_failure(row: Delivery, exc: ProviderError, result: BatchResult) -> None:
    now = timezone.now()
    if exc.outcome == ProviderError.RETRY:
        _release([row], str(exc))
        result.released += 1
    elif exc.outcome == ProviderError.REJECTED:
        Delivery.objects.filter(pk=row.pk).update(
            status=S.BOUNCED, bounced_at=now, claim="", last_error=str(exc)[:2000]
        )
        suppress(channel=row.channel, address=row.address, reason=SuppressionReason.BOUNCED)
        result.bounced += 1
    else:
        error = str(exc)
        if exc.outcome == ProviderError.UNKNOWN:
            error = _(
                "The connection broke while the message was being sent; it may have arrived, so "
                "it is not sent again. (%(error)s)"
            ) % {"error": error}
        Delivery.objects.filter(pk=row.pk).update(
            status=S.FAILED, failed_at=now, claim="", last_error=error[:2000]
        )
        result.failed += 1


def _release(rows: list[Delivery], error: str) -> int:
    """Give claimed, unsent deliveries back to the queue (nothing was handed over for them)."""
    if not rows:
        return 0
    return Delivery.objects.filter(pk__in=[r.pk for r in rows], status=S.SENDING).update(
        status=S.QUEUED, claim="", last_error=error[:2000]
    )


def give_up(delivery_ids: list[int], error: str) -> int:
    """After the last retry: the still-queued deliveries of a batch fail with the last error."""
    return Delivery.objects.filter(pk__in=delivery_ids, status=S.QUEUED).update(
        status=S.FAILED, failed_at=timezone.now(), last_error=error[:2000]
    )


# --- Suppression and consent ------------------------------------------------------------------


def suppress(*, channel: str, address: str, reason: str, note: str = "") -> Suppression:
    """Put an address on the suppression list (at once: the next batch skips it)."""
    address = normalize_address(channel, address)
    try:
        with transaction.atomic():
            obj, _created = Suppression.objects.get_or_create(
                channel=channel, address=address, defaults={"reason": reason, "note": note[:300]}
            )
    except IntegrityError:  # a concurrent unsubscribe of the same address
        obj = Suppression.objects.get(channel=channel, address=address)
    return obj


def unsuppress(*, channel: str, address: str) -> int:
    return Suppression.objects.filter(
        channel=channel, address=normalize_address(channel, address)
    ).delete()[0]


def is_suppressed(channel: str, address: str) -> bool:
    return Suppression.objects.filter(
        channel=channel, address=normalize_address(channel, address)
    ).exists()


def record_consent(*, channel: str, address: str, granted: bool, source: str = "") -> Consent:
    address = normalize_address(channel, address)
    obj, _created = Consent.objects.update_or_create(
        channel=channel, address=address, defaults={"granted": granted, "source": source[:200]}
    )
    if not granted:
        suppress(channel=channel, address=address, reason=SuppressionReason.UNSUBSCRIBED)
    return obj


# --- The recipient's actions ------------------------------------------------------------------


def delivery_for(kind: str, token: str) -> tuple[Delivery, int | None] | None:
    """The delivery a signed token names (and its link index), or None."""
    read = read_token(kind, token)
    if read is None:
        return None
    delivery = Delivery.objects.select_related("message").filter(pk=read[0]).first()
    return (delivery, read[1]) if delivery else None


def unsubscribe(*, delivery: Delivery) -> None:
    """The recipient of ``delivery`` asked for nothing more: their address goes on the
    suppression list for the channel (every sender, every later batch) at once."""
    now = timezone.now()
    with transaction.atomic():
        suppress(
            channel=delivery.channel,
            address=delivery.address,
            reason=SuppressionReason.UNSUBSCRIBED,
            note=_("Unsubscribed from %(material)s") % {"material": delivery.material},
        )
        Delivery.objects.filter(pk=delivery.pk, unsubscribed_at__isnull=True).update(
            status=S.UNSUBSCRIBED, unsubscribed_at=now
        )
        # Whatever else is still queued for this address will not be sent.
        Delivery.objects.filter(
            channel=delivery.channel, address=delivery.address, status=S.QUEUED
        ).update(status=S.SUPPRESSED)
        from .signals import unsubscribed

        unsubscribed.send(sender=Delivery, delivery=delivery)


#: The statuses an open or click may move a delivery from (never back from unsubscribed).
_ENGAGED_FROM = (S.SENT, S.DELIVERED, S.OPENED)


def record_open(*, delivery: Delivery) -> None:
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk, opened_at__isnull=True).update(opened_at=now)
    Delivery.objects.filter(pk=delivery.pk, status__in=(S.SENT, S.DELIVERED)).update(
        status=S.OPENED
    )


def record_click(*, delivery: Delivery, link: int) -> str | None:
    """The URL of link ``link`` of the delivery's message (None if it has no such link); a
    click also counts as an open."""
    links = delivery.message.links or []
    if link is None or not 0 <= link < len(links):
        return None
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk, clicked_at__isnull=True).update(clicked_at=now)
    Delivery.objects.filter(pk=delivery.pk, opened_at__isnull=True).update(opened_at=now)
    Delivery.objects.filter(pk=delivery.pk, status__in=_ENGAGED_FROM).update(status=S.CLICKED)
    return links[link]


def record_bounce(*, delivery: Delivery, error: str = "") -> None:
    """A bounce reported later (a DSN, a gateway callback): the address is suppressed."""
    Delivery.objects.filter(pk=delivery.pk).filter(~Q(status=S.UNSUBSCRIBED)).update(
        status=S.BOUNCED, bounced_at=timezone.now(), last_error=error[:2000]
    )
    suppress(channel=delivery.channel, address=delivery.address, reason=SuppressionReason.BOUNCED)


def message_counts(message: Message) -> dict[str, int]:
    """Deliveries of the message per status (one query)."""
    from django.db.models import Count

    rows = message.deliveries.values("status").annotate(n=Count("id"))
    return {r["status"]: r["n"] for r in rows}
