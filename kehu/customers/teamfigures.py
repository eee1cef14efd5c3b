"""The team's figures behind the managers' dashboard card: a per-(department, owner, person)
summary of the customers and activities, kept current by a beat task and on demand.

Counting a branch's customers and activities exactly on every view took seconds at a million
customers (``docs/benchmarks.md``); summing a few hundred summary rows takes a millisecond. The
figures are exact as of their refresh:

- a **full rebuild** (:func:`refresh` with ``full=True``; automatically on the first use, when
  the day changed — "this week", "overdue" and "this month" are relative to it — and every hour
  from the beat task, a safety net for a transaction that committed late);
- an **incremental refresh**: every write of a customer or an activity leaves an audit entry
  (enforced by the audit writer), so the departments touched since the last refresh are known
  (the customer's department now and before, the activity's customer now and before); only
  their rows are recomputed. The card applies a few changes itself before it reads (the figures
  a manager sees include their own last edit); more are left to the beat task (every 5 minutes).

Data permissions: the rows carry the customer's department and owner and are read through
``TeamFigures.objects.visible_to(user)`` with the customers' data scope, so a manager's sums
cover exactly the customers (and their activities) their role reaches. Records shared with the
manager one by one are not part of the team's figures.
"""

from __future__ import annotations

import datetime
import logging

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from .actions.activity import day_start, open_commitments_q
from .models import Activity, Customer, TeamFigures, TeamFiguresState

__all__ = ["FULL_EVERY", "INLINE_LIMIT", "refresh", "windows"]

log = logging.getLogger("kehu.customers.teamfigures")

#: Audit entries a request applies itself; beyond, the beat task does it.
INLINE_LIMIT = 200
#: How often the beat task rebuilds everything regardless of the audit trail.
FULL_EVERY = datetime.timedelta(hours=1)
#: Above this share of the departments (and 20) an incremental refresh rebuilds everything.
FULL_SHARE = 0.3


def windows(today: datetime.date) -> dict:
    """The moments the figures are relative to (the site's time zone)."""
    return {
        "start": day_start(today),
        "end": day_start(today + datetime.timedelta(days=1)),
        "week_start": day_start(today - datetime.timedelta(days=today.weekday())),
        "month_start": day_start(today.replace(day=1)),
    }


def _in(field: str, departments: set) -> Q:
    ids = [d for d in departments if d is not None]
    q = Q(**{f"{field}__in": ids})
    if None in departments:
        q |= Q(**{f"{field}__isnull": True})
    return q


def compute(today: datetime.date, departments: set | None = None) -> list[TeamFigures]:
    """The rows of ``departments`` (customers' departments; ``None``: all) for ``today``."""
    w = windows(today)
    customers = Customer.objects.order_by()
    activities = Activity.objects.order_by()
    if departments is not None:
        customers = customers.filter(_in("department", departments))
        activities = activities.filter(_in("customer__department", departments))
    rows = [
        TeamFigures(
            department_id=r["department"],
            owner_id=r["owner"],
            customers=r["n"],
            new_customers=r["new"],
        )
        for r in customers.values("department", "owner").annotate(
            n=Count("pk"), new=Count("pk", filter=Q(created_at__gte=w["month_start"]))
        )
    ]
    week = Q(start_at__gte=w["week_start"], start_at__lt=w["end"])
    overdue = Q(status=Activity.Status.PLANNED, start_at__lt=w["start"])
    promises = open_commitments_q() & Q(commitment_due__lt=today)
    grouped = (
        activities.filter(week | overdue | promises)
        .values("customer__department", "customer__owner", "owner")
        .annotate(
            done=Count("pk", filter=week & Q(status=Activity.Status.DONE)),
            planned=Count("pk", filter=week & Q(status=Activity.Status.PLANNED)),
            late=Count("pk", filter=overdue),
            promised=Count("pk", filter=promises),
        )
    )
    rows += [
        TeamFigures(
            department_id=r["customer__department"],
            owner_id=r["customer__owner"],
            person_id=r["owner"],
            done_week=r["done"],
            planned_week=r["planned"],
            overdue=r["late"],
            promises_overdue=r["promised"],
        )
        for r in grouped
    ]
    return rows


def _changed_departments(since: int, upto: int) -> set:
    """Departments whose figures the audit entries in ``(since, upto]`` may have changed;
    a department ``None`` stands for customers without one."""
    ct_customer, ct_activity = _types()
    entries = _entries(since, upto).values_list("content_type_id", "object_id", "changes")
    departments: set = set()
    customer_ids: set[int] = set()
    activity_ids: set[int] = set()
    for ct, object_id, changes in entries.iterator():
        changes = changes if isinstance(changes, dict) else {}
        if not object_id.isdigit():
            continue
        if ct == ct_customer:
            customer_ids.add(int(object_id))
            departments.update(
                v for v in changes.get("department_id", ()) if not isinstance(v, str)
            )
        else:
            activity_ids.add(int(object_id))
            customer_ids.update(v for v in changes.get("customer_id", ()) if isinstance(v, int))
    for chunk in _chunks(sorted(activity_ids)):
        customer_ids.update(
            Activity.objects.filter(pk__in=chunk).values_list("customer_id", flat=True)
        )
    for chunk in _chunks(sorted(customer_ids)):
        departments.update(
            Customer.all_objects.filter(pk__in=chunk).values_list("department_id", flat=True)
        )
    return departments


def _types() -> tuple[int, int]:
    get = ContentType.objects.get_for_model
    return get(Customer).pk, get(Activity).pk


def _entries(since: int, upto: int):
    from kehu.core.models import AuditLog

    return AuditLog.objects.filter(pk__gt=since, pk__lte=upto, content_type_id__in=_types())


def _chunks(ids: list[int], size: int = 5000):
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _replace(today: datetime.date, departments: set | None) -> None:
    rows = TeamFigures.objects.all()
    if departments is not None:
        rows = rows.filter(_in("department_id", departments))
    rows.delete()
    TeamFigures.objects.bulk_create(compute(today, departments), batch_size=2000)


def refresh(*, full: bool = False, limit: int | None = None, wait: bool = True) -> dict:
    """Bring the figures up to date; returns ``{"state", "done", "pending"}``.

    ``full``: rebuild everything (else only when never computed or the day changed, or — for
    the beat task, ``limit=None`` — when the last full rebuild is older than ``FULL_EVERY``).
    ``limit``: apply at most that many audit entries (a request), else leave them ``pending``
    for the beat task. ``wait=False``: do nothing when another refresh holds the lock.
    """
    from kehu.core.models import AuditLog

    today = timezone.localdate()
    state = TeamFiguresState.objects.filter(pk=1).first()
    if state is None:
        TeamFiguresState.objects.get_or_create(pk=1)
    elif not full and limit is not None and state.day == today and state.full_at:
        # A request's fast path, without a lock: nothing to do unless customers or activities
        # were written since the last refresh.
        top = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        if top <= state.audit_id or not _entries(state.audit_id, top).exists():
            return {"state": state, "done": "", "pending": False}
    with transaction.atomic():
        state = (
            TeamFiguresState.objects.select_for_update(skip_locked=not wait).filter(pk=1).first()
        )
        if state is None:  # another refresh holds it: read what is there
            return {"state": TeamFiguresState.objects.get(pk=1), "done": "", "pending": True}
        now = timezone.now()
        top = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        stale = state.day != today or state.full_at is None
        if limit is None and state.full_at and now - state.full_at >= FULL_EVERY:
            stale = True
        done = ""
        if full or stale:
            _replace(today, None)
            state.full_at = now
            done = "full"
        elif top > state.audit_id:
            if limit is not None and _entries(state.audit_id, top)[: limit + 1].count() > limit:
                return {"state": state, "done": "", "pending": True}
            departments = _changed_departments(state.audit_id, top)
            from kehu.system.models import Department

            if departments and len(departments) > max(FULL_SHARE * Department.objects.count(), 20):
                _replace(today, None)
                state.full_at = now
                done = "full"
            elif departments:
                _replace(today, departments)
                done = "departments"
        else:
            return {"state": state, "done": "", "pending": False}
        state.day, state.computed_at, state.audit_id = today, now, top
        state.save()
    if done:
        log.info("team figures refreshed (%s)", done)
    return {"state": state, "done": done, "pending": False}
