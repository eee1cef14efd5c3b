"""The SMTP mail gateway (``kehu mail-gateway``): an SMTP server, built on aiosmtpd, that the
mail server relays the service mailbox to. Each message goes to the same intake as
``kehu mail-intake`` (:func:`kehu.service.actions.mail.receive_message`) and is answered
``250`` only once it is stored — a database error answers ``451`` so the mail server tries again
later, and a message over ``KEHU_SERVICE_MAIL_MAX_BYTES`` is refused with ``552``.

It listens on loopback by default: put it behind the mail server (which does the spam, virus,
SPF/DKIM/DMARC checks), never straight on the internet."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def _take(raw: bytes, recipient: str) -> str:
    from django.db import close_old_connections

    from .actions.mail import receive_message

    close_old_connections()
    try:
        return receive_message(raw=raw, recipient=recipient).summary()
    finally:
        close_old_connections()


class IntakeHandler:
    """aiosmtpd's handler: every accepted message to the intake (in Django's sync thread)."""

    async def handle_DATA(self, server, session, envelope):
        from asgiref.sync import sync_to_async

        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        recipient = envelope.rcpt_tos[0] if envelope.rcpt_tos else ""
        try:
            summary = await sync_to_async(_take, thread_sensitive=True)(raw, recipient)
        except Exception:  # noqa: BLE001 - a database error: the mail server keeps it, retries
            log.exception("mail gateway: a message of %s bytes was not taken in", len(raw))
            return "451 4.3.0 Not taken in now, try again later"
        log.info("mail gateway: %s", summary)
        return "250 2.0.0 Message accepted"


def start_gateway(*, host: str = "127.0.0.1", port: int = 2525):
    """Start the gateway in a thread of its own; the caller stops it (``.stop()``)."""
    from aiosmtpd.controller import Controller

    from .actions.mail import max_message_bytes

    controller = Controller(
        IntakeHandler(),
        hostname=host,
        port=port,
        data_size_limit=max_message_bytes(),
        enable_SMTPUTF8=True,
        ident="Kehu mail gateway",
    )
    controller.start()
    return controller
