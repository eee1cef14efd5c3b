"""Outbound messaging (外发消息): e-mail, SMS and WeChat behind one interface, for marketing
campaigns, service surveys and sales quotes alike. Other apps call::

    from kehu.system.messaging import create_message, queue_deliveries, send_message

(see ``docs/guide/messaging.md``). It knows nothing of campaigns: a message is a piece of
*material* (a key) sent to addresses, at most once per address. Names that need the models are
loaded on first use, so this package can be imported while the models are being defined."""

from __future__ import annotations

_ACTIONS = {
    "MessagingError",
    "QueueResult",
    "create_message",
    "is_suppressed",
    "message_counts",
    "preview",
    "queue_deliveries",
    "record_bounce",
    "record_consent",
    "send_message",
    "send_test",
    "suppress",
    "unsuppress",
}

__all__ = sorted(_ACTIONS | {"register_provider", "register_variable"})


def __getattr__(name: str):
    if name in _ACTIONS:
        from . import actions

        return getattr(actions, name)
    if name == "register_provider":
        from .providers import register_provider

        return register_provider
    if name == "register_variable":
        from .rendering import register_variable

        return register_variable
    raise AttributeError(name)
