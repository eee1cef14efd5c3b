"""Customer care (客户关怀): birthday and anniversary care tasks, and pre-campaign suppression.

Every day :func:`generate_care_tasks` looks ``care_reminder_days`` (system parameter) ahead and
creates one care task per person, occasion and year (``CareTask.occasion_key`` is unique, so
running it again, or daily over the whole window, never duplicates), owned by the customer's
owner, who gets one inbox reminder for it.

Occasions: birthdays of contacts and of individual customers, anniversaries of contacts (their
``anniversary`` date) and of customers (the ``registered_on`` date, from the first full year).
A 29 February date is celebrated on 28 February in common years.

Pre-campaign suppression: the marketing module registers a source of campaign dates with
:func:`register_campaign_window_source`. A care gesture due on day D is not allowed when a
campaign reaches the same customer on a day from D to D + ``care_suppression_days`` (default 7):
:func:`check_care_allowed` says so, and the generator creates such a task already *skipped*, with
the reason as its note and no reminder (the occasion stays visible and is never generated again).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import IntegerField, Value
from django.db.models.functions import ExtractDay, ExtractMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.actions import bulk_create_audited, notify
from kehu.core.errors import StaleObjectError

from ..models import CareTask, Contact, Customer

__all__ = [
    "CAMPAIGN_WINDOW_SOURCES",
    "check_care_allowed",
    "complete_care_task",
    "generate_care_tasks",
    "occasions_between",
    "register_campaign_window_source",
    "skip_care_task",
    "unregister_campaign_window_source",
]

#: fn(customer_ids, start, end) -> {customer_id: [(campaign date, campaign name), ...]}
CampaignSource = Callable[[list[int], datetime.date, datetime.date], dict[int, list[tuple]]]
CAMPAIGN_WINDOW_SOURCES: list[CampaignSource] = []


def register_campaign_window_source(fn: CampaignSource) -> CampaignSource:
    """Register where campaigns to customers are planned (the marketing module does this).

    ``fn(customer_ids, start, end)`` returns, in a constant number of queries, the campaigns
    that reach each of those customers between ``start`` and ``end`` (inclusive) as
    ``{customer_id: [(date, name), ...]}``; customers without one may be left out.
    """
    if fn not in CAMPAIGN_WINDOW_SOURCES:
        CAMPAIGN_WINDOW_SOURCES.append(fn)
    return fn


def unregister_campaign_window_source(fn: CampaignSource) -> None:
    if fn in CAMPAIGN_WINDOW_SOURCES:
        CAMPAIGN_WINDOW_SOURCES.remove(fn)


def _suppression_days() -> int:
    from kehu.system.params import get_params

    return get_params().care_suppression_days


def _blocking_campaigns(
    occasions: Iterable[tuple[int, datetime.date]],
) -> dict[tuple[int, datetime.date], str]:
    """{(customer_id, due date): reason} for the occasions a campaign window blocks."""
    occasions = list(occasions)
    if not occasions or not CAMPAIGN_WINDOW_SOURCES:
        return {}
    days = _suppression_days()
    start = min(d for _c, d in occasions)
    end = max(d for _c, d in occasions) + datetime.timedelta(days=days)
    ids = sorted({c for c, _d in occasions})
    campaigns: dict[int, list[tuple]] = {}
    for source in CAMPAIGN_WINDOW_SOURCES:
        for cid, items in (source(ids, start, end) or {}).items():
            campaigns.setdefault(cid, []).extend(items)
    blocked = {}
    for cid, due in occasions:
        for when, name in sorted(campaigns.get(cid, ()), key=lambda item: item[0]):
            if due <= when <= due + datetime.timedelta(days=days):
                blocked[(cid, due)] = _(
                    "Suppressed: campaign “%(campaign)s” reaches this customer on %(date)s, "
                    "within %(days)s days."
                ) % {"campaign": name, "date": when.isoformat(), "days": days}
                break
    return blocked


def check_care_allowed(customer: Customer | int, on_date: datetime.date) -> tuple[bool, str]:
    """May a care gesture reach ``customer`` on ``on_date``? Not within the suppression window
    before a campaign to the same customer. Returns (allowed, reason when not)."""
    cid = customer if isinstance(customer, int) else customer.pk
    reason = _blocking_campaigns([(cid, on_date)]).get((cid, on_date))
    return (False, reason) if reason else (True, "")


# --- Occasions ----------------------------------------------------------------------------------


def _window(today: datetime.date, days: int) -> dict[int, datetime.date]:
    """{month*100+day: date} of the days from today to today + days; 29 February dates fall on
    28 February in common years."""
    result: dict[int, datetime.date] = {}
    for n in range(days + 1):
        day = today + datetime.timedelta(days=n)
        result.setdefault(day.month * 100 + day.day, day)
        if day.month == 2 and day.day == 28:
            try:
                datetime.date(day.year, 2, 29)
            except ValueError:
                result.setdefault(229, day)
    return result


def _matching(qs, field: str, window: dict[int, datetime.date]):
    return (
        qs.filter(**{f"{field}__isnull": False})
        .annotate(
            _md=ExtractMonth(field) * Value(100, output_field=IntegerField()) + ExtractDay(field)
        )
        .filter(_md__in=list(window))
    )


def occasions_between(today: datetime.date, days: int) -> list[dict[str, Any]]:
    """Every birthday and anniversary from ``today`` to ``today + days``: dicts with kind,
    customer (id, owner, department), contact id, person's name, date and occasion key."""
    window = _window(today, days)
    found: list[dict[str, Any]] = []

    def add(kind, subject, pk, customer, contact_id, name, original, due):
        found.append(
            {
                "kind": kind,
                "customer_id": customer["id"],
                "customer_name": customer["name"],
                "owner_id": customer["owner_id"],
                "department_id": customer["department_id"],
                "contact_id": contact_id,
                "name": name,
                "original": original,
                "due": due,
                "key": f"{kind}:{subject}:{pk}:{due.year}",
            }
        )

    contact_fields = (
        "id",
        "name",
        "customer_id",
        "customer__name",
        "customer__owner_id",
        "customer__department_id",
    )
    for kind, field in (
        (CareTask.Kind.BIRTHDAY, "birthday"),
        (CareTask.Kind.ANNIVERSARY, "anniversary"),
    ):
        for row in _matching(Contact.objects.all(), field, window).values(*contact_fields, field):
            original = row[field]
            due = window[original.month * 100 + original.day]
            if kind == CareTask.Kind.ANNIVERSARY and original.year >= due.year:
                continue
            customer = {
                "id": row["customer_id"],
                "name": row["customer__name"],
                "owner_id": row["customer__owner_id"],
                "department_id": row["customer__department_id"],
            }
            add(kind, "contact", row["id"], customer, row["id"], row["name"], original, due)
    customers = Customer.objects.all()
    for kind, field, qs in (
        (CareTask.Kind.BIRTHDAY, "birthday", customers.filter(kind=Customer.Kind.INDIVIDUAL)),
        (CareTask.Kind.ANNIVERSARY, "registered_on", customers),
    ):
        for row in _matching(qs, field, window).values(
            "id", "name", "owner_id", "department_id", field
        ):
            original = row[field]
            due = window[original.month * 100 + original.day]
            if kind == CareTask.Kind.ANNIVERSARY and original.year >= due.year:
                continue
            add(kind, "customer", row["id"], row, None, row["name"], original, due)
    return found


def _title(occasion: dict[str, Any]) -> str:
    values = {
        "name": occasion["name"],
        "customer": occasion["customer_name"],
        "date": occasion["due"].isoformat(),
    }
    if occasion["kind"] == CareTask.Kind.BIRTHDAY:
        if occasion["contact_id"]:
            return _("Birthday of %(name)s (%(customer)s) on %(date)s") % values
        return _("Birthday of %(name)s on %(date)s") % values
    years = occasion["due"].year - occasion["original"].year
    values["years"] = years
    if occasion["contact_id"]:
        return _("Anniversary of %(name)s (%(customer)s) on %(date)s") % values
    return _("%(years)s years as our customer: %(name)s on %(date)s") % values


def generate_care_tasks(*, today: datetime.date | None = None) -> dict[str, int]:
    """Create the care tasks due within ``care_reminder_days`` and remind their owners.

    Idempotent: an occasion already planned (open, done or skipped) is never planned again.
    Returns {"created": n, "suppressed": n, "notified": n}.
    """
    from kehu.system.params import get_params

    today = today or timezone.localdate()
    occasions = occasions_between(today, get_params().care_reminder_days)
    existing = set(
        CareTask.objects.filter(occasion_key__in=[o["key"] for o in occasions]).values_list(
            "occasion_key", flat=True
        )
    )
    new = [o for o in occasions if o["key"] not in existing]
    blocked = _blocking_campaigns((o["customer_id"], o["due"]) for o in new)
    tasks = []
    for o in new:
        reason = blocked.get((o["customer_id"], o["due"]), "")
        tasks.append(
            CareTask(
                customer_id=o["customer_id"],
                contact_id=o["contact_id"],
                kind=o["kind"],
                title=_title(o)[:200],
                due_on=o["due"],
                status=CareTask.Status.SKIPPED if reason else CareTask.Status.OPEN,
                note=reason,
                owner_id=o["owner_id"],
                department_id=o["department_id"],
                occasion_key=o["key"],
            )
        )
    with transaction.atomic():
        created = bulk_create_audited(CareTask, tasks)
        notified = 0
        link = reverse("customers:care")
        owners = {}
        from kehu.system.models import User

        for user in User.objects.filter(pk__in={t.owner_id for t in created}, is_active=True):
            owners[user.pk] = user
        for task in created:
            owner = owners.get(task.owner_id)
            if task.status != CareTask.Status.OPEN or owner is None:
                continue
            notified += notify(
                recipients=[owner],
                title=task.title,
                body=_("A care task for your customer is due on %(date)s.")
                % {"date": task.due_on.isoformat()},
                link=link,
                kind="care",
                due_at=timezone.make_aware(
                    datetime.datetime.combine(task.due_on, datetime.time(9))
                ),
                dedupe_key=f"care:{task.occasion_key}",
            )
    return {
        "created": sum(1 for t in created if t.status == CareTask.Status.OPEN),
        "suppressed": sum(1 for t in created if t.status == CareTask.Status.SKIPPED),
        "notified": notified,
    }


# --- Working a care task ------------------------------------------------------------------------


def _close(task: CareTask, status: str, note: str, version: int | None) -> CareTask:
    if version is not None and version != task.version:
        raise StaleObjectError(task)
    if task.status != CareTask.Status.OPEN:
        raise ValidationError(_("This care task is no longer open."), code="closed")
    task.status = status
    note = (note or "").strip()
    if note:
        task.note = f"{task.note}\n{note}".strip() if task.note else note
    task.save()
    return task


@transaction.atomic
def complete_care_task(*, task: CareTask, user, note: str = "", version: int | None = None):
    """Mark a care gesture as done (a call made, a card sent), with an optional note."""
    return _close(task, CareTask.Status.DONE, note, version)


@transaction.atomic
def skip_care_task(*, task: CareTask, user, note: str = "", version: int | None = None):
    """Decide not to act on a care task, with an optional reason."""
    return _close(task, CareTask.Status.SKIPPED, note, version)
