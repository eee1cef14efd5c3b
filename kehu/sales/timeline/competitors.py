"""Intelligence notes (情报) in the customer's 360° timeline and on the deal page: one entry
builder for both."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import IntelligenceNote, Opportunity


def note_time(day: datetime.date) -> datetime.datetime:
    """A note's place in a timeline: the start of its day (local time)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def note_entry(note: IntelligenceNote):
    from kehu.customers.timeline import TimelineEntry

    badges = [(note.get_source_display(), "secondary")]
    if note.competitor_id:
        badges.append((str(note.competitor), "warning"))
    return TimelineEntry(
        when=note_time(note.date),
        kind="intelligence",
        icon="bi-binoculars",
        title=_("Intelligence: %(title)s") % {"title": note.title},
        summary=(note.body or "")[:200],
        url=note.get_absolute_url(),
        actor=getattr(note.owner, "display_name", "") or str(note.owner),
        badges=badges,
    )


def _notes(qs, *, before, limit):
    if before is not None:
        qs = qs.filter(date__lte=timezone.localdate(before))
    qs = qs.select_related("owner", "competitor").order_by("-date", "-pk")[:limit]
    return [note_entry(note) for note in qs if before is None or note_time(note.date) <= before]


def customer_notes(customer, user, *, before, limit):
    """The notes about the customer (or one of its deals) the user may see, newest first."""
    return _notes(
        IntelligenceNote.objects.visible_to(user).filter(customer=customer),
        before=before,
        limit=limit,
    )


def deal_notes(opportunity: Opportunity, user, *, limit: int = 20) -> list:
    """The notes about a deal the user may see (the deal page's card), newest first."""
    if not user.has_perm("sales.view_intelligencenote"):
        return []
    return _notes(
        IntelligenceNote.objects.visible_to(user).filter(opportunity=opportunity),
        before=None,
        limit=limit,
    )


def register() -> None:
    from kehu.customers.timeline import register_timeline_source

    register_timeline_source(
        "intelligence",
        customer_notes,
        label=gettext_lazy("Intelligence"),
        perm="sales.view_intelligencenote",
        order=45,
    )
