"""The home dashboard ("my day"): the framework's own cards and the recently used records.

The cards themselves are a registry (:class:`kehu.core.registry.DashboardCard`,
``register_dashboard_card``): each app adds its own from ``AppConfig.ready``. This module holds
what the framework contributes: the reminders card (the user's unread inbox) and the recent
records card (records the user viewed in this session or edited lately, each checked again
against the user's scope with ``visible_to``).
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from .registry import DashboardCard, register_dashboard_card, registry

__all__ = ["recent_records", "register_core_cards", "remember_viewed"]

#: Session key of the records viewed lately: [[label, pk], …], newest first.
SESSION_KEY = "kehu_recent"
KEEP = 12


def remember_viewed(request, obj) -> None:
    """Note that the user opened ``obj``'s page (the session's short list, newest first)."""
    session = getattr(request, "session", None)
    if session is None:
        return
    entry = [obj._meta.label_lower, obj.pk]
    seen = [e for e in session.get(SESSION_KEY, []) if e != entry]
    session[SESSION_KEY] = [entry, *seen][:KEEP]


def recent_records(request, limit: int = 8) -> list[dict]:
    """Records the user viewed (this session) or created and edited (the audit trail, the user's
    own entries by the ``(user, -timestamp)`` index), newest first, without duplicates, and
    only those the user may still see (``visible_to``)."""
    from .models import AuditLog

    user = request.user
    wanted: list[tuple[str, int, str, object]] = []  # (label, pk, how, when)
    for label, pk in request.session.get(SESSION_KEY, []) if hasattr(request, "session") else []:
        wanted.append((label, pk, "viewed", None))
    edits = (
        AuditLog.objects.filter(
            user=user, action__in=[AuditLog.Action.CREATE, AuditLog.Action.UPDATE]
        )
        .order_by("-timestamp", "-id")
        .values_list("content_type_id", "object_id", "action", "timestamp")[:60]
    )
    cts = {}
    for ct_id, object_id, action, when in edits:
        if ct_id not in cts:
            ct = ContentType.objects.get_for_id(ct_id)
            cts[ct_id] = f"{ct.app_label}.{ct.model}"
        if object_id.isdigit():
            wanted.append((cts[ct_id], int(object_id), action, when))
    order: list[tuple[str, int]] = []
    info: dict[tuple[str, int], tuple[str, object]] = {}
    for label, pk, how, when in wanted:
        key = (label, pk)
        if key in info or label not in registry:
            continue
        info[key] = (how, when)
        order.append(key)
        if len(order) >= limit * 2:
            break
    by_label: dict[str, list[int]] = {}
    for label, pk in order:
        by_label.setdefault(label, []).append(pk)
    found: dict[tuple[str, int], object] = {}
    for label, pks in by_label.items():
        ot = registry[label]
        if not ot.allows(user):
            continue
        for obj in ot.model.objects.visible_to(user).filter(pk__in=pks):
            found[(label, obj.pk)] = obj
    rows = []
    for key in order:
        obj = found.get(key)
        if obj is None:
            continue
        ot = registry[key[0]]
        how, when = info[key]
        rows.append(
            {
                "object": obj,
                "type": ot.verbose_name(),
                "url": _detail_url(ot, obj),
                "how": how,
                "when": when,
            }
        )
        if len(rows) >= limit:
            break
    return rows


def _detail_url(ot, obj) -> str:
    from django.urls import reverse

    return reverse(ot.url_name("detail"), args=[obj.pk])


def _reminders(request) -> dict:
    from .models import Notification

    unread = Notification.objects.filter(recipient=request.user, read_at__isnull=True)
    return {"items": list(unread[:6]), "count": unread.count()}


def _recent(request) -> dict:
    return {"items": recent_records(request)}


def register_core_cards() -> None:
    register_dashboard_card(
        DashboardCard(
            key="reminders",
            title=_("Reminders"),
            template="core/dashboard/reminders.html",
            context=_reminders,
            order=90,
            size="md",
            icon="bi-bell",
            lazy=False,  # two indexed queries: part of the page
            link="core:inbox",
        )
    )
    register_dashboard_card(
        DashboardCard(
            key="recent",
            title=_("Recent records"),
            template="core/dashboard/recent.html",
            context=_recent,
            order=100,
            size="md",
            icon="bi-clock-history",
        )
    )
