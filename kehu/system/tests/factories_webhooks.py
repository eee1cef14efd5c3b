"""Test factories: webhook endpoints (see kehu.core.testing.factory)."""

from __future__ import annotations

from kehu.core.testing import factory


@factory("system.webhookendpoint")
def webhook_endpoint(owner=None, n=1, **kw):
    from kehu.system.models import User
    from kehu.system.webhooks.actions import save_endpoint
    from kehu.system.webhooks.models import WebhookEndpoint

    owner = owner or User.objects.filter(is_superuser=True).first()
    kw.setdefault("name", f"Webhook {n}")
    kw.setdefault("url", f"http://127.0.0.1:9/hook/{n}")  # port 9 (discard): nothing answers
    kw.setdefault("events", ["created", "updated", "deleted"])
    return save_endpoint(endpoint=WebhookEndpoint(**kw), user=owner)
