"""Activity business rules: logging, completing, rescheduling, commitments, inbox reminders,
the hand-over of open activities, and the personal calendar feed tokens."""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.audit import audited_bulk_save, unaudited_write
from kehu.core.models import AuditLog

from ..models import Activity, CalendarFeed, Contact, Customer

log = logging.getLogger(__name__)

__all__ = [
    "cancel_activity",
    "day_start",
    "open_commitments_q",
    "check_activity",
    "complete_activity",
    "create_calendar_feed",
    "feed_user",
    "keep_commitment",
    "log_activity",
    "notify_commitments_due_today",
    "notify_overdue_commitments",
    "reschedule_activity",
    "revoke_calendar_feed",
    "save_activity",
    "save_activity_giving_owner",
    "send_activity_reminders",
    "activity_assignees",
    "reassign_activities",
]


def check_activity(activity: Activity, contacts: Iterable[Contact] | None = None) -> None:
    """Times in order, contacts of the same customer, a due date only with a commitment."""
    errors: dict[str, str] = {}
    if activity.end_at and activity.start_at and activity.end_at < activity.start_at:
        errors["end_at"] = _("The end cannot be before the start.")
    if activity.commitment_due and not (activity.commitment or "").strip():
        errors["commitment"] = _("Describe the commitment that is due.")
    if activity.commitment_kept and not (activity.commitment or "").strip():
        errors["commitment_kept"] = _("There is no commitment to keep.")
    for contact in contacts or ():
        if contact.customer_id != activity.customer_id:
            errors["contacts"] = _("Choose contacts of the activity's customer only.")
            break
    if errors:
        raise ValidationError(errors)


def _remind_at(activity: Activity) -> datetime.datetime | None:
    """The computed reminder time, refused when it would leave the sane date range (a start
    near 1900 minus a long reminder): stored, it broke every page and the reminder task."""
    from kehu.core.dates import in_range

    try:
        remind_at = activity.compute_remind_at()
    except OverflowError:
        remind_at = None
    else:
        if remind_at is None or in_range(remind_at):
            return remind_at
    raise ValidationError(
        {"reminder_minutes": _("The reminder would fall before the earliest date allowed.")}
    )


def _check_customer_editable(customer: Customer, user) -> None:
    """Activities are logged on customers the user may edit (like contacts)."""
    if user is not None and not Customer.objects.editable_by(user).filter(pk=customer.pk).exists():
        raise ValidationError(
            {"customer": _("You may not log activities for this customer.")}, code="forbidden"
        )


@transaction.atomic
def save_activity(
    *, activity: Activity, user, contacts: Iterable[Contact] | None = None
) -> Activity:
    """Create or update. A new activity belongs to the user who logs it; the reminder time is
    recomputed (and re-armed when the time or the reminder changed); contacts are audited."""
    adding = activity._state.adding
    if adding:
        if not activity.owner_id:
            activity.owner = user
        if not activity.department_id:
            activity.department_id = activity.owner.department_id
        if activity.customer_id:
            _check_customer_editable(activity.customer, user)
    contacts = list(contacts) if contacts is not None else None
    check_activity(activity, contacts)
    remind_at = _remind_at(activity)
    if remind_at != activity.remind_at:
        activity.remind_at = remind_at
        activity.reminded_at = None
    if activity.status == Activity.Status.DONE and activity.completed_at is None:
        activity.completed_at = timezone.now()
    elif activity.status != Activity.Status.DONE:
        activity.completed_at = None
    activity.full_clean(exclude=["contacts"])
    activity.save()
    if contacts is not None:
        before = set() if adding else set(activity.contacts.values_list("pk", flat=True))
        after = {c.pk for c in contacts}
        if before != after:
            activity.contacts.set(contacts)
            if not adding or after:
                AuditLog.record(
                    activity,
                    AuditLog.Action.UPDATE,
                    {"contacts": [sorted(before), sorted(after)]},
                )
    return activity


@transaction.atomic
def save_activity_giving_owner(
    *,
    activity: Activity,
    user,
    contacts: Iterable[Contact] | None = None,
    reassign_to=None,
) -> Activity:
    """``save_activity``, then the activity given to ``reassign_to`` (the edit page's owner
    field) through ``reassign_activities``, so the new owner is told in their inbox."""
    save_activity(activity=activity, user=user, contacts=contacts)
    if reassign_to is not None and reassign_to.pk != activity.owner_id:
        reassign_activities(activities=[activity], owner=reassign_to, user=user)
        activity.refresh_from_db()
    return activity


@transaction.atomic
def log_activity(
    *,
    customer: Customer,
    user,
    kind: str,
    subject: str,
    start_at: datetime.datetime | None = None,
    end_at: datetime.datetime | None = None,
    description: str = "",
    outcome: str = "",
    contacts: Iterable[Contact] = (),
    commitment: str = "",
    commitment_due: datetime.date | None = None,
    location: str = "",
    reminder_minutes: int | None = None,
    status: str | None = None,
) -> Activity:
    """Record what one did (or will do) with a customer; something in the future is planned,
    anything else is done unless a status is given."""
    start_at = start_at or timezone.now()
    if status is None:
        status = Activity.Status.PLANNED if start_at > timezone.now() else Activity.Status.DONE
    activity = Activity(
        customer=customer,
        kind=kind,
        subject=subject,
        start_at=start_at,
        end_at=end_at,
        description=description,
        outcome=outcome,
        commitment=commitment,
        commitment_due=commitment_due,
        location=location,
        reminder_minutes=reminder_minutes,
        status=status,
    )
    return save_activity(activity=activity, user=user, contacts=list(contacts))


@transaction.atomic
def complete_activity(*, activity: Activity, outcome: str = "") -> Activity:
    """Mark a planned activity done, with what came out of it."""
    if activity.status == Activity.Status.CANCELLED:
        raise ValidationError(_("A cancelled activity cannot be completed."), code="cancelled")
    activity.status = Activity.Status.DONE
    activity.completed_at = activity.completed_at or timezone.now()
    if outcome:
        activity.outcome = outcome
    activity.save()
    return activity


@transaction.atomic
def cancel_activity(*, activity: Activity) -> Activity:
    if activity.status == Activity.Status.DONE:
        raise ValidationError(_("A completed activity cannot be cancelled."), code="done")
    activity.status = Activity.Status.CANCELLED
    activity.save()
    return activity


@transaction.atomic
def reschedule_activity(
    *,
    activity: Activity,
    start_at: datetime.datetime,
    end_at: datetime.datetime | None = None,
) -> Activity:
    """Move a planned activity; its reminder fires again for the new time."""
    if activity.status != Activity.Status.PLANNED:
        raise ValidationError(_("Only planned activities can be rescheduled."), code="not_open")
    if end_at is None and activity.end_at and activity.start_at:
        end_at = start_at + (activity.end_at - activity.start_at)
    activity.start_at = start_at
    activity.end_at = end_at
    check_activity(activity)
    times = ("start_at", "end_at")  # in the sane date range (core.dates)
    activity.clean_fields(exclude=[f.name for f in Activity._meta.fields if f.name not in times])
    activity.remind_at = _remind_at(activity)
    activity.reminded_at = None
    activity.save()
    return activity


@transaction.atomic
def keep_commitment(*, activity: Activity, kept: bool = True) -> Activity:
    if not activity.commitment:
        raise ValidationError(_("There is no commitment to keep."), code="no_commitment")
    activity.commitment_kept = kept
    activity.save()
    return activity


# --- Owner change by hand --------------------------------------------------------------------


def activity_assignees(user):
    """Active employees ``user`` may make owners of activities (the one rule: ``assignees``)."""
    from .handover import assignees

    return assignees(user, Activity)


@transaction.atomic
def reassign_activities(*, activities: Iterable[Activity], owner, user) -> int:
    """Give activities to another active employee by hand (the edit page, the list's bulk
    action, the API). The editor must be allowed to edit every one of them and to assign to
    ``owner`` (``activity_assignees``); the owning department follows the new owner. Each
    moved activity is audited (owner and department diff) and the new owner hears of it in
    their inbox. Returns how many activities changed hands."""
    from kehu.core.actions import bulk_update_audited
    from kehu.core.context import acting_as, get_request_id

    ids = sorted({a.pk for a in activities})
    if not ids:
        return 0
    from .handover import check_reassign

    check_reassign(
        user=user,
        model=Activity,
        ids=ids,
        owner=owner,
        change_perm="customers.change_activity",
        not_editable=_("You may not edit all of these activities."),
        refused=_("You may not assign activities to this employee."),
    )
    with acting_as(user, get_request_id()):
        moved = bulk_update_audited(
            Activity.objects.filter(pk__in=ids).exclude(owner=owner),
            owner=owner.pk,
            department=owner.department_id,
        )
    from django.urls import reverse

    from .handover import tell_new_owner

    first = Activity.objects.filter(pk__in=ids).order_by("start_at", "pk").first()
    values = {"user": user, "n": moved, "subject": first.subject if first else ""}
    tell_new_owner(
        owner=owner,
        user=user,
        moved=moved,
        first=first,
        title_one=_("%(user)s gave you an activity: %(subject)s") % values,
        title_many=_("%(user)s gave you %(n)s activities") % values,
        body=_("You are now the owner; their reminders come to you."),
        list_url=reverse("customers:activity_list"),
        kind="activity_reassigned",
    )
    return moved


# --- Reminders ----------------------------------------------------------------------------------


def send_activity_reminders(*, now: datetime.datetime | None = None) -> int:
    """Post an inbox reminder for every planned activity whose reminder time has come, exactly
    once: ``reminded_at`` is claimed with a conditional update, so overlapping runs (two
    schedulers, a slow run) never remind twice."""
    from kehu.core.actions import notify
    from kehu.core.dates import MIN_DATE

    now = now or timezone.now()
    earliest = day_start(MIN_DATE)  # a row stored before dates were checked cannot stop the rest
    due = list(
        Activity.objects.filter(
            status=Activity.Status.PLANNED,
            remind_at__gte=earliest,
            remind_at__lte=now,
            reminded_at__isnull=True,
        )
        .select_related("owner", "customer")
        .order_by("remind_at", "pk")[:5000]
    )
    sent = 0
    for activity in due:
        with transaction.atomic():
            with unaudited_write("reminder bookkeeping"):
                claimed = Activity.objects.filter(pk=activity.pk, reminded_at__isnull=True).update(
                    reminded_at=now
                )
            if not claimed:
                continue
            try:
                when = timezone.localtime(activity.start_at)
            except (OverflowError, ValueError):
                log.warning("activity %s: start time out of range, no reminder", activity.pk)
                continue
            sent += notify(
                recipients=[activity.owner],
                title=_("%(kind)s at %(time)s: %(subject)s")
                % {
                    "kind": activity.get_kind_display(),
                    "time": when.strftime("%m-%d %H:%M"),
                    "subject": activity.subject,
                },
                body=_("Customer: %(customer)s") % {"customer": activity.customer.name},
                link=activity.get_absolute_url(),
                kind="activity_reminder",
                due_at=activity.start_at,
                dedupe_key=f"activity-reminder:{activity.pk}:{activity.start_at:%Y%m%d%H%M}",
            )
    return sent


def notify_overdue_commitments(*, today: datetime.date | None = None) -> int:
    """Tell the owner once when a commitment made to a customer is past its due date and not
    kept; ``commitment_reminded_for`` (claimed with a conditional update) makes it once per
    due date, so a new due date reminds again."""
    from kehu.core.actions import notify
    from kehu.core.models import Notification

    today = today or timezone.localdate()
    overdue = list(
        Activity.objects.filter(commitment_kept=False, commitment_due__lt=today)
        .exclude(commitment="")
        .exclude(status=Activity.Status.CANCELLED)
        .filter(
            Q(commitment_reminded_for__isnull=True)
            | ~Q(commitment_reminded_for=models.F("commitment_due"))
        )
        .select_related("owner", "customer")
        .order_by("commitment_due", "pk")[:5000]
    )
    sent = 0
    for activity in overdue:
        with transaction.atomic():
            with unaudited_write("reminder bookkeeping"):
                claimed = (
                    Activity.objects.filter(pk=activity.pk, commitment_due=activity.commitment_due)
                    .filter(
                        Q(commitment_reminded_for__isnull=True)
                        | ~Q(commitment_reminded_for=activity.commitment_due)
                    )
                    .update(commitment_reminded_for=activity.commitment_due)
                )
            if not claimed:
                continue
            sent += notify(
                recipients=[activity.owner],
                title=_("Overdue commitment to %(customer)s: %(commitment)s")
                % {"customer": activity.customer.name, "commitment": activity.commitment[:100]},
                body=_("Promised by %(date)s in “%(subject)s”.")
                % {"date": activity.commitment_due.isoformat(), "subject": activity.subject},
                link=activity.get_absolute_url(),
                level=Notification.Level.WARNING,
                kind="commitment_overdue",
                dedupe_key=f"commitment:{activity.pk}:{activity.commitment_due:%Y%m%d}",
            )
    return sent


def notify_commitments_due_today(*, today: datetime.date | None = None) -> int:
    """On a promise's due day, remind its owner in the inbox (once: the notification's dedupe
    key holds the activity and the due date, so a second run or a rerun posts nothing); a
    promise still open the day after gets the overdue notice as well."""
    from kehu.core.actions import notify

    today = today or timezone.localdate()
    due = (
        Activity.objects.filter(commitment_due=today)
        .filter(open_commitments_q())
        .select_related("owner", "customer")
        .order_by("pk")
    )
    sent = 0
    for activity in due.iterator(chunk_size=500):
        sent += notify(
            recipients=[activity.owner],
            title=_("Promise due today to %(customer)s: %(commitment)s")
            % {"customer": activity.customer.name, "commitment": activity.commitment[:100]},
            body=_("Promised in “%(subject)s”.") % {"subject": activity.subject},
            link=activity.get_absolute_url(),
            kind="commitment_due",
            due_at=day_start(today),
            dedupe_key=f"commitment-due:{activity.pk}:{today:%Y%m%d}",
        )
    return sent


# --- Hand-over when an employee leaves -----------------------------------------------------------


def _open_activities(employee):
    return Activity.objects.filter(owner=employee, status=Activity.Status.PLANNED)


def count_open_activities(employee) -> int:
    return _open_activities(employee).count()


def reassign_open_activities(employee, colleagues: list) -> int:
    """Open activities go to whoever owns their customer now (the customers hand-over ran
    first); those whose customer the leaver still owns go round-robin to the colleagues.
    Completed activities keep their owner: the history stays as it happened."""
    return sum(reassign_open_activities_per(employee, colleagues).values())


def reassign_open_activities_per(employee, colleagues: list) -> dict[int, int]:
    """:func:`reassign_open_activities`, returning {new owner id: activities received}: the
    hand-over's notice to each colleague counts them."""
    from kehu.core.actions import bulk_update_audited

    received: dict[int, int] = {}
    rows = list(
        _open_activities(employee)
        .order_by("pk")
        .values_list("pk", "customer__owner_id", "customer__owner__department_id")
    )
    by_owner: dict[tuple[int, int], list[int]] = {}
    leftovers: list[int] = []
    for pk, owner_id, dept_id in rows:
        if owner_id == employee.pk or dept_id is None:
            leftovers.append(pk)
        else:
            by_owner.setdefault((owner_id, dept_id), []).append(pk)
    for i, person in enumerate(colleagues):
        share = leftovers[i :: len(colleagues)]
        if share:
            by_owner.setdefault((person.pk, person.department_id), []).extend(share)
    for (owner_id, dept_id), ids in by_owner.items():
        received[owner_id] = received.get(owner_id, 0) + bulk_update_audited(
            Activity.objects.filter(pk__in=ids), owner=owner_id, department=dept_id
        )
    return received


def register_activity_handover() -> None:
    from kehu.system.actions.org import register_handover

    register_handover(
        "activities",
        gettext_lazy("Open activities"),
        count_open_activities,
        reassign_open_activities,
        plan_reassign_fn=lambda employee, plan: reassign_open_activities_per(
            employee, list(plan.colleagues)
        ),
    )


# --- Calendar feed tokens -----------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_calendar_feed(*, user) -> str:
    """A new secret feed token for ``user`` (the previous link stops working); returns the
    token, which is not stored and cannot be shown again."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        user=user,
        defaults={"token_hash": _digest(token), "created_at": timezone.now(), "last_used_at": None},
    )
    AuditLog.record(user, AuditLog.Action.UPDATE, {"calendar_feed": [None, "created"]})
    return token


@transaction.atomic
def revoke_calendar_feed(*, user) -> bool:
    deleted, _n = CalendarFeed.objects.filter(user=user).delete()
    if deleted:
        AuditLog.record(user, AuditLog.Action.UPDATE, {"calendar_feed": ["created", None]})
    return bool(deleted)


def feed_user(token: str):
    """The active user a feed token belongs to, or ``None``."""
    if not token or len(token) > 100:
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=_digest(token), user__is_active=True)
        .first()
    )
    if feed is None:
        return None
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > datetime.timedelta(minutes=10):
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed.user


def open_commitments_q() -> Q:
    """Activities with a commitment not yet kept (filters, the customer page)."""
    return ~Q(commitment="") & Q(commitment_kept=False) & ~Q(status=Activity.Status.CANCELLED)


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in the site's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


# --- Erasure of personal data (PIPL/GDPR) ------------------------------------------------------

ACTIVITY_TEXT_FIELDS = ("subject", "description", "location", "outcome", "commitment")


def _replace_all(text, values: list[str], erased: str):
    if isinstance(text, str):
        for value in values:
            text = text.replace(value, erased)
        return text
    if isinstance(text, list):
        return [_replace_all(v, values, erased) for v in text]
    if isinstance(text, dict):
        return {k: _replace_all(v, values, erased) for k, v in text.items()}
    return text


def erase_from_activities(*, record, values: list[str], user) -> int:
    """Erasure hook: the erased person's values disappear from the text of the activities that
    involve them (their customer's for an individual, those they took part in for a contact) and
    from those activities' audit trail; the activities themselves (counts, dates) stay."""
    from .recordops import ERASED

    texts = sorted({v for v in values if isinstance(v, str) and len(v) >= 2}, key=len, reverse=True)
    if not texts:
        return 0
    if isinstance(record, Contact):
        activities = Activity.objects.filter(contacts=record)
    else:
        activities = Activity.objects.filter(customer_id=record.pk)
    ids, rewritten = [], []
    for activity in activities.distinct().only("pk", "version", *ACTIVITY_TEXT_FIELDS):
        ids.append(activity.pk)
        for f in ACTIVITY_TEXT_FIELDS:
            setattr(activity, f, _replace_all(getattr(activity, f), texts, ERASED))
        rewritten.append(activity)
    # Through the writer: each changed activity's version moves on, so an edit form opened
    # before the erasure is refused as stale instead of writing the erased text back; the entry
    # names the fields only (the old text is what is being erased).
    changed = audited_bulk_save(
        rewritten,
        ACTIVITY_TEXT_FIELDS,
        action=AuditLog.Action.ERASE,
        record_values=False,
        user=user,
    )
    if ids:
        ct = ContentType.objects.get_for_model(Activity)
        entries = list(
            AuditLog.objects.filter(content_type=ct, object_id__in=[str(i) for i in ids])
        )
        for entry in entries:
            entry.changes = _replace_all(entry.changes, texts, ERASED)
            entry.object_repr = _replace_all(entry.object_repr, texts, ERASED)
        AuditLog.objects.bulk_update(entries, ["changes", "object_repr"], batch_size=500)
    return changed


def register_activity_erasure() -> None:
    from .recordops import register_erasure

    register_erasure("customers.activity", erase_from_activities)
