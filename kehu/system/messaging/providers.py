"""Channels behind one interface: a provider per channel, chosen by settings.

``KEHU_MESSAGING_PROVIDERS`` maps a channel to a provider: a name registered with
:func:`register_provider` or a dotted path to a :class:`Provider` subclass. Out of the box e-mail
goes over SMTP (Django's mail settings and backend), SMS and WeChat to the loopback provider,
which sends nothing and keeps what it was given — a real gateway (an SMS service, 企业微信 or a
公众号's template messages) is a provider class and a setting, no change here."""

from __future__ import annotations

import contextlib
import dataclasses
import smtplib
import threading
from collections.abc import Callable

from django.conf import settings
from django.utils.module_loading import import_string

from .models import Channel


@dataclasses.dataclass
class Envelope:
    """One rendered message for one address, as a provider gets it."""

    channel: str
    to: str
    subject: str = ""
    text: str = ""
    html: str = ""
    from_address: str = ""
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    #: WeChat template messages: the platform's template id and the values of its fields.
    template: str = ""
    data: dict[str, str] = dataclasses.field(default_factory=dict)
    delivery_id: int | None = None


class ProviderError(Exception):
    """A send that did not happen, or may have.

    ``outcome`` says what the sending layer may do:

    - ``retry``: nothing was accepted (no connection, a 4xx answer): send again later;
    - ``rejected``: the address was refused for good (a 5xx on RCPT): a bounce;
    - ``failed``: this message cannot be sent (a 5xx on the content);
    - ``unknown``: the connection broke while the message was on its way; it may have arrived,
      so it is never sent again (at most once beats twice)."""

    RETRY, REJECTED, FAILED, UNKNOWN = "retry", "rejected", "failed", "unknown"

    def __init__(self, message: str, outcome: str = "retry"):
        super().__init__(message)
        self.outcome = outcome


class Provider:
    """A channel's gateway. ``open``/``close`` bracket a batch (one SMTP connection for it);
    ``send`` returns the gateway's message id ('' if it has none) or raises ProviderError."""

    channel: str = ""

    def open(self) -> None:
        pass

    def send(self, envelope: Envelope) -> str:
        raise NotImplementedError

    def close(self) -> None:
        pass


class SmtpEmailProvider(Provider):
    """E-mail through Django's mail backend (``EMAIL_BACKEND``/``KEHU_MESSAGING_EMAIL_BACKEND``,
    ``EMAIL_HOST`` …), one connection per batch."""

    channel = Channel.EMAIL

    def __init__(self):
        from django.core.mail import get_connection

        backend = getattr(settings, "KEHU_MESSAGING_EMAIL_BACKEND", "") or None
        self.connection = get_connection(backend, fail_silently=False)

    def open(self) -> None:
        try:
            self.connection.open()
        except (OSError, smtplib.SMTPException) as exc:
            raise ProviderError(_describe(exc), ProviderError.RETRY) from exc

    def send(self, envelope: Envelope) -> str:
        from django.core.mail import EmailMultiAlternatives

        mail = EmailMultiAlternatives(
            subject=envelope.subject,
            body=envelope.text,
            from_email=envelope.from_address or settings.DEFAULT_FROM_EMAIL,
            to=[envelope.to],
            headers=envelope.headers,
            connection=self.connection,
        )
        if envelope.html:
            mail.attach_alternative(envelope.html, "text/html")
        try:
            sent = mail.send()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _m in exc.recipients.values()]
            outcome = ProviderError.RETRY if codes and min(codes) < 500 else "rejected"
            raise ProviderError(_describe(exc), outcome) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            outcome = ProviderError.RETRY if exc.smtp_code < 500 else ProviderError.FAILED
            raise ProviderError(_describe(exc), outcome) from exc
        except (OSError, smtplib.SMTPException) as exc:
            # The connection broke while the message was under way: it may have arrived.
            raise ProviderError(_describe(exc), ProviderError.UNKNOWN) from exc
        if not sent:
            raise ProviderError("the mail backend sent nothing", ProviderError.RETRY)
        return envelope.headers.get("Message-ID", "")

    def close(self) -> None:
        # The messages are handed over; a failing QUIT changes nothing.
        with contextlib.suppress(OSError, smtplib.SMTPException):
            self.connection.close()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


class LoopbackProvider(Provider):
    """Sends nothing: keeps every envelope in :data:`LOOPBACK_OUTBOX` (this process) — the
    test provider, and the default for channels without a configured gateway."""

    def __init__(self, channel: str = ""):
        self.channel = channel

    def send(self, envelope: Envelope) -> str:
        with _outbox_lock:
            LOOPBACK_OUTBOX.append(envelope)
            return f"loopback-{len(LOOPBACK_OUTBOX)}"


LOOPBACK_OUTBOX: list[Envelope] = []
_outbox_lock = threading.Lock()

_PROVIDERS: dict[str, Callable[[], Provider] | type[Provider]] = {
    "smtp": SmtpEmailProvider,
    "loopback": LoopbackProvider,
}

DEFAULT_PROVIDERS = {
    Channel.EMAIL: "smtp",
    Channel.SMS: "loopback",
    Channel.WECHAT: "loopback",
}


def register_provider(name: str, factory: Callable[[], Provider] | type[Provider]) -> None:
    """Offer a gateway under a short name for ``KEHU_MESSAGING_PROVIDERS``."""
    _PROVIDERS[name] = factory


def provider_name(channel: str) -> str:
    configured = getattr(settings, "KEHU_MESSAGING_PROVIDERS", {}) or {}
    return configured.get(channel) or DEFAULT_PROVIDERS.get(channel, "loopback")


def get_provider(channel: str) -> Provider:
    """A new provider for ``channel`` as configured (one per batch; providers keep state)."""
    name = provider_name(channel)
    factory = _PROVIDERS.get(name) or import_string(name)
    provider = factory()
    if isinstance(provider, LoopbackProvider) and not provider.channel:
        provider.channel = channel
    return provider
