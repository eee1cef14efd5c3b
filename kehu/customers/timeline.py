"""The 360° customer timeline and the customer-page panels: extension points for every module.

A *timeline source* is ``fn(customer, user, *, before, limit) -> iterable of TimelineEntry``:

- entries of ``customer`` that ``user`` may see (start from ``Model.objects.visible_to(user)``),
- newest first, every entry's ``when`` at or before ``before`` (``None``: no bound),
- at most ``limit`` entries, ties in a stable order (e.g. ``order_by("-when", "-pk")``),
- a constant number of queries whatever ``limit`` is (select_related / one query per page).

``timeline()`` merges the sources into one newest-first page and hands back a cursor for the
next one. Register a source once at start-up (``AppConfig.ready``)::

    from kehu.customers.timeline import TimelineEntry, register_timeline_source

    def deals(customer, user, *, before, limit):
        qs = Deal.objects.visible_to(user).filter(customer=customer)
        if before is not None:
            qs = qs.filter(created_at__lte=before)
        for deal in qs.select_related("owner").order_by("-created_at", "-pk")[:limit]:
            yield TimelineEntry(when=deal.created_at, kind="deal", icon="bi-briefcase", ...)

    register_timeline_source("deals", deals, label=_("Deals"), perm="sales.view_deal")

A *customer panel* is a card on the right of the customer page (value, segment, churn risk…):
``register_customer_panel(name, label=…, template=…, context=fn(customer, user) -> dict | None)``;
``None`` from ``context`` hides the card for that customer or user.
"""

from __future__ import annotations

import datetime
import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.actions import attachments_for
from kehu.core.models import AuditLog
from kehu.core.permissions import SpecialPermission
from kehu.core.registry import registry

from .models import Activity, Contact, Customer


@dataclass
class TimelineEntry:
    when: datetime.datetime
    kind: str  # e.g. "call", "created", "owner", "contact", "attachment", "deal"
    icon: str  # a Bootstrap icon class, e.g. "bi-telephone"
    title: str
    summary: str = ""
    url: str = ""
    actor: str = ""  # who did it (display name), empty for the system
    badges: list[tuple[str, str]] = field(default_factory=list)  # (text, colour) pairs
    source: str = ""  # set by timeline(): the source's name


TimelineFn = Callable[..., Iterable[TimelineEntry]]


@dataclass
class TimelineSource:
    name: str
    fn: TimelineFn
    label: Any
    perm: str | None = None  # needed to see this source's entries (None: anyone)
    order: int = 100


TIMELINE_SOURCES: dict[str, TimelineSource] = registry.store("timeline_sources")


def register_timeline_source(
    name: str, fn: TimelineFn, *, label=None, perm: str | None = None, order: int = 100
) -> TimelineSource:
    """Add (or replace) a source of timeline entries; see the module docstring for the rules."""
    source = TimelineSource(name=name, fn=fn, label=label or name, perm=perm, order=order)
    TIMELINE_SOURCES[name] = source
    return source


def sources_for(user) -> list[TimelineSource]:
    return sorted(
        (s for s in TIMELINE_SOURCES.values() if s.perm is None or user.has_perm(s.perm)),
        key=lambda s: (s.order, s.name),
    )


@dataclass
class TimelinePage:
    entries: list[TimelineEntry]
    cursor: str | None  # pass back as ``cursor`` for the next (older) page


def encode_cursor(when: datetime.datetime, skip: int) -> str:
    return f"{when.isoformat()}|{skip}"


def decode_cursor(cursor: str | None) -> tuple[datetime.datetime | None, int]:
    if not cursor or "|" not in cursor or "\x00" in cursor:
        return None, 0
    stamp, _sep, skip = cursor.rpartition("|")
    try:
        when = parse_datetime(stamp)
        n = int(skip)
    except ValueError:
        return None, 0
    if when is None or n < 0 or n > 10_000:
        return None, 0
    if timezone.is_naive(when):
        when = timezone.make_aware(when, datetime.UTC)
    try:  # a hand-edited time at the edge of the calendar: not a 500, the newest page
        when = when.astimezone(datetime.UTC)
    except OverflowError:
        return None, 0
    return when, n


def timeline(
    customer: Customer,
    user,
    *,
    cursor: str | None = None,
    limit: int = 20,
    kinds: Iterable[str] | None = None,
) -> TimelinePage:
    """One page of the merged timeline, newest first.

    The cursor is (time, skip): the page starts at entries at or before that time, less the
    ``skip`` entries at exactly that time already shown, so entries sharing a timestamp are
    neither lost nor repeated between pages. Each source is asked for ``limit + skip + 1``.
    """
    before, skip = decode_cursor(cursor)
    wanted = set(kinds or ())
    sources = [s for s in sources_for(user) if not wanted or s.name in wanted]
    streams = []
    for rank, source in enumerate(sources):
        # one more than a page: whether there is a next page is known without another query
        want = limit + skip + 1
        entries = list(source.fn(customer, user, before=before, limit=want))[:want]
        for position, entry in enumerate(entries):
            entry.source = source.name
            # newest first; ties: the source order, then the source's own order
            streams.append((-entry.when.timestamp(), rank, position, entry))
    merged = [item[3] for item in heapq.nsmallest(limit + skip + 1, streams)]
    if before is not None:
        at_cursor = [e for e in merged if e.when == before]
        merged = at_cursor[skip:] + [e for e in merged if e.when != before]
    page, more = merged[:limit], len(merged) > limit
    next_cursor = None
    if more and page:
        last = page[-1].when
        same = sum(1 for e in page if e.when == last)
        next_cursor = encode_cursor(last, same + (skip if last == before else 0))
    return TimelinePage(entries=page, cursor=next_cursor)


def _name(user) -> str:
    return str(user) if user is not None else ""


# --- Built-in sources ---------------------------------------------------------------------------


def activity_entries(customer, user, *, before, limit):
    qs = Activity.objects.visible_to(user).filter(customer=customer)
    if before is not None:
        qs = qs.filter(start_at__lte=before)
    qs = qs.select_related("owner").order_by("-start_at", "-pk")[:limit]
    status_colour = {"planned": "primary", "done": "success", "cancelled": "secondary"}
    for a in qs:
        badges = [(a.get_status_display(), status_colour.get(a.status, "secondary"))]
        summary = a.outcome or a.description
        if a.commitment:
            due = f" ({a.commitment_due:%Y-%m-%d})" if a.commitment_due else ""
            if a.commitment_kept:
                badges.append((_("Commitment kept"), "success"))
            elif a.commitment_overdue:
                badges.append((_("Commitment overdue"), "danger"))
            else:
                badges.append((_("Open commitment"), "warning"))
            summary = (
                (summary + "\n" if summary else "")
                + _("Promised: %(commitment)s") % {"commitment": a.commitment}
                + due
            )
        yield TimelineEntry(
            when=a.start_at,
            kind=a.kind,
            icon=a.icon,
            title=f"{a.get_kind_display()} · {a.subject}",
            summary=summary,
            url=a.get_absolute_url(),
            actor=_name(a.owner),
            badges=badges,
        )


def _field_label(model, attname: str) -> str:
    for f in model._meta.concrete_fields:
        if f.attname == attname:
            return str(f.verbose_name)
    return attname


def _display(model, attname: str, value) -> str:
    """An audited value as people read it: choice labels, local date-times."""
    if value in (None, ""):
        return "—"
    field = next((f for f in model._meta.concrete_fields if f.attname == attname), None)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is not None:
            return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M")
    return str(value)


def history_entries(customer, user, *, before, limit):
    """The customer's own audit trail: creation, field changes (values only for users who may
    read the audit trail; fields hidden from the user never), owner changes with names."""
    from kehu.core.registry import get_object_type
    from kehu.system.models import User

    qs = AuditLog.objects.visible_to(user, record=customer).select_related("user")
    if before is not None:
        qs = qs.filter(timestamp__lte=before)
    rows = list(qs.order_by("-timestamp", "-id")[:limit])
    hidden = get_object_type(Customer).hidden_for(user)
    hidden |= {f"{name}_id" for name in hidden}
    with_values = user.has_perm(SpecialPermission.VIEW_AUDIT)
    people_ids = set()
    for row in rows:
        owner = (row.changes or {}).get("owner_id")
        if isinstance(owner, list):
            people_ids.update(v for v in owner if v)
    people = {u.pk: str(u) for u in User.objects.filter(pk__in=people_ids)} if people_ids else {}
    for row in rows:
        changes = {k: v for k, v in (row.changes or {}).items() if k not in hidden}
        if row.action == AuditLog.Action.CREATE:
            kind, icon, title = "created", "bi-plus-circle", _("Customer created")
            summary = ""
        elif row.action == AuditLog.Action.UPDATE and "owner_id" in changes:
            old, new = changes["owner_id"]
            kind, icon, title = "owner", "bi-person-badge", _("Owner changed")
            summary = f"{people.get(old, '—')} → {people.get(new, '—')}"
        elif row.action == AuditLog.Action.UPDATE:
            if not changes:
                continue
            kind, icon = "changed", "bi-pencil"
            title = _("Customer changed")
            labels = []
            for key, value in changes.items():
                label = _field_label(Customer, key)
                if with_values and isinstance(value, list) and len(value) == 2:
                    old, new = (_display(Customer, key, v) for v in value)
                    labels.append(f"{label}: {old} → {new}")
                else:
                    labels.append(label)
            summary = "\n".join(labels) if with_values else ", ".join(labels)
        else:
            kind, icon, title, summary = (
                row.action,
                "bi-clock-history",
                row.get_action_display(),
                "",
            )
        yield TimelineEntry(
            when=row.timestamp,
            kind=kind,
            icon=icon,
            title=str(title),
            summary=summary,
            actor=_name(row.user),
        )


def contact_entries(customer, user, *, before, limit):
    qs = Contact.objects.visible_to(user).filter(customer=customer)
    if before is not None:
        qs = qs.filter(created_at__lte=before)
    qs = qs.select_related("created_by").only(
        "id",
        "name",
        "title",
        "created_at",
        "created_by__id",
        "created_by__username",
        "created_by__display_name",
        "created_by__first_name",
        "created_by__last_name",
    )
    for c in qs.order_by("-created_at", "-pk")[:limit]:
        yield TimelineEntry(
            when=c.created_at,
            kind="contact",
            icon="bi-person-plus",
            title=_("Contact added: %(name)s") % {"name": c.name},
            summary=c.title,
            url=c.get_absolute_url(),
            actor=_name(c.created_by),
        )


def attachment_entries(customer, user, *, before, limit):
    qs = attachments_for(customer, user=user)
    if before is not None:
        qs = qs.filter(uploaded_at__lte=before)
    for att in qs.order_by("-uploaded_at", "-pk")[:limit]:
        yield TimelineEntry(
            when=att.uploaded_at,
            kind="attachment",
            icon="bi-paperclip",
            title=_("File attached: %(name)s") % {"name": att.name},
            url=reverse("core:attachment_download", args=[att.token]),
            actor=_name(att.uploaded_by),
        )


register_timeline_source(
    "activities",
    activity_entries,
    label=gettext_lazy("Activities"),
    perm="customers.view_activity",
    order=10,
)
register_timeline_source(
    "contacts",
    contact_entries,
    label=gettext_lazy("Contacts"),
    perm="customers.view_contact",
    order=20,
)
register_timeline_source("attachments", attachment_entries, label=gettext_lazy("Files"), order=30)
register_timeline_source("history", history_entries, label=gettext_lazy("Changes"), order=90)


# --- Owners past and present --------------------------------------------------------------------


@dataclass
class Ownership:
    owner: str
    since: datetime.datetime
    until: datetime.datetime | None


def owner_history(customer: Customer, user) -> list[Ownership]:
    """Who owned the customer and when, newest first, from the part of the audit trail the user
    may read (two queries)."""
    from kehu.system.models import User

    rows = list(
        AuditLog.objects.visible_to(user, record=customer)
        .filter(action__in=[AuditLog.Action.CREATE, AuditLog.Action.UPDATE])
        .filter(changes__has_key="owner_id")
        .order_by("timestamp", "id")
        .values_list("timestamp", "changes")[:500]
    )
    if not rows:
        return [Ownership(owner=str(customer.owner), since=customer.created_at, until=None)]
    ids = {row[1]["owner_id"][1] for row in rows if isinstance(row[1].get("owner_id"), list)}
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=ids)}
    periods: list[Ownership] = []
    for stamp, changes in rows:
        value = changes.get("owner_id")
        if not isinstance(value, list) or len(value) != 2:
            continue
        if periods:
            periods[-1].until = stamp
        periods.append(Ownership(owner=names.get(value[1], "—"), since=stamp, until=None))
    return list(reversed(periods))


# --- Customer panels (value / segment / risk …) -------------------------------------------------


@dataclass
class CustomerPanel:
    name: str
    label: Any
    template: str
    context: Callable[[Customer, Any], dict | None]
    perm: str | None = None
    order: int = 100


CUSTOMER_PANELS: dict[str, CustomerPanel] = registry.store("customer_panels")


def register_customer_panel(
    name: str,
    *,
    label,
    template: str,
    context: Callable[[Customer, Any], dict | None],
    perm: str | None = None,
    order: int = 100,
) -> CustomerPanel:
    """Add a card to the customer page; ``context(customer, user)`` returns the template's
    context, or ``None`` to show nothing. It must cost a constant number of queries."""
    panel = CustomerPanel(name, label, template, context, perm, order)
    CUSTOMER_PANELS[name] = panel
    return panel


def render_panels(customer: Customer, request) -> list[tuple[Any, str]]:
    """The registered panels this user may see, rendered: (label, html) pairs."""
    from django.template.loader import render_to_string

    out = []
    for panel in sorted(CUSTOMER_PANELS.values(), key=lambda p: (p.order, p.name)):
        if panel.perm and not request.user.has_perm(panel.perm):
            continue
        ctx = panel.context(customer, request.user)
        if ctx is None:
            continue
        html = render_to_string(
            panel.template, {"customer": customer, **ctx, "panel": panel}, request=request
        )
        out.append((panel.label, html))
    return out
