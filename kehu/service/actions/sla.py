"""SLA clocks in working hours (the system calendar: working day start/end, weekdays, holidays
and make-up days 调休), the policy of a request, and the periodic check that warns the agent
before a breach and escalates to the manager on one."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.system.models import Holiday
from kehu.system.params import get_holidays, get_params

from ..models import ServiceRequest, SlaPolicy
from ..models.requests import OPEN_STATUSES

#: Targets (first response, resolution) in working hours when no policy matches.
DEFAULT_TARGETS = {
    "urgent": (Decimal("1"), Decimal("4")),
    "high": (Decimal("2"), Decimal("8")),
    "normal": (Decimal("4"), Decimal("24")),
    "low": (Decimal("8"), Decimal("40")),
}
MAX_DAYS = 3660  # a clock never looks further than ten years ahead


def _is_working(day: datetime.date, weekdays: str, holidays: dict) -> bool:
    kind = holidays.get(day)
    if kind == Holiday.Kind.HOLIDAY:
        return False
    if kind == Holiday.Kind.WORKDAY:
        return True
    return str(day.isoweekday()) in weekdays


def add_working_minutes(start: datetime.datetime, minutes: int) -> datetime.datetime:
    """The moment ``minutes`` working minutes after ``start`` (aware in, aware out): time
    outside working hours, on weekends and holidays does not count; make-up days do."""
    local = timezone.localtime(start) if timezone.is_aware(start) else start
    tz = local.tzinfo
    cursor = local.replace(tzinfo=None)
    params = get_params()
    holidays = get_holidays()
    left = datetime.timedelta(minutes=max(0, minutes))
    for _n in range(MAX_DAYS):
        day = cursor.date()
        if _is_working(day, params.work_weekdays, holidays):
            opens = datetime.datetime.combine(day, params.work_start)
            closes = datetime.datetime.combine(day, params.work_end)
            begin = max(opens, cursor)
            if begin < closes:
                if begin + left <= closes:
                    result = begin + left
                    return timezone.make_aware(result, tz) if tz else result
                left -= closes - begin
        cursor = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    raise ValueError("no working time in the calendar")


def working_minutes(start: datetime.datetime, end: datetime.datetime) -> int:
    """Working minutes between two moments (the system calendar's rule)."""
    from kehu.system.actions.params import working_minutes_between

    return working_minutes_between(start, end)


def policy_for(*, level: str, priority: str) -> tuple[SlaPolicy | None, Decimal, Decimal]:
    """The policy for a level and priority: the level's own, else the one for customers
    without a contract, else the built-in defaults. (policy, response h, resolution h)."""
    policies = {
        p.level: p
        for p in SlaPolicy.objects.filter(is_active=True, priority=priority, level__in={level, ""})
    }
    policy = policies.get(level) or policies.get("")
    if policy is not None:
        return policy, policy.response_hours, policy.resolution_hours
    response, resolution = DEFAULT_TARGETS.get(priority, DEFAULT_TARGETS["normal"])
    return None, response, resolution


def start_clocks(req: ServiceRequest, *, now: datetime.datetime) -> None:
    """Set the request's targets and due times from its level and priority (on create, and
    when the priority changes while no answer has been given)."""
    _policy, response_h, resolution_h = policy_for(level=req.service_level, priority=req.priority)
    req.response_target = int(response_h * 60)
    req.resolution_target = int(resolution_h * 60)
    start = req.created_at or now
    req.first_response_due = add_working_minutes(start, req.response_target)
    req.resolution_due = add_working_minutes(start, req.resolution_target + req.paused_minutes)


def pause(req: ServiceRequest, *, now: datetime.datetime) -> None:
    """Waiting on the customer: the resolution clock stops."""
    if req.paused_at is None:
        req.paused_at = now


def resume(req: ServiceRequest, *, now: datetime.datetime) -> None:
    """The customer answered (or the request moved on): the time waited, in working minutes,
    is added to the resolution due time."""
    if req.paused_at is None:
        return
    waited = working_minutes(req.paused_at, now)
    req.paused_minutes += waited
    req.paused_at = None
    if req.resolution_due is not None and waited:
        req.resolution_due = add_working_minutes(req.resolution_due, waited)


def remaining_minutes(req: ServiceRequest, *, now: datetime.datetime) -> int | None:
    """Working minutes left until the resolution is due (negative: overdue); None when the
    request is closed or waiting (the clock stands)."""
    if not req.is_open or req.resolution_due is None:
        return None
    if req.paused_at is not None:
        return None
    if now >= req.resolution_due:
        return -working_minutes(req.resolution_due, now)
    return working_minutes(now, req.resolution_due)


# --- The periodic check ---------------------------------------------------------------------


def _escalation_recipients(req: ServiceRequest) -> list:
    """The manager of the agent (else of the owner), else the department's heads, else the
    administrators: whoever must act on a breach."""
    from django.db.models import Q

    from kehu.system.models import User

    person = req.agent or req.owner
    if person.manager_id and person.manager.is_active:
        return [person.manager]
    heads = list(
        User.objects.filter(
            is_active=True,
            department_id=req.department_id,
            roles__name__in=("branch_manager", "sales_manager", "director"),
        )
        .exclude(pk=person.pk)
        .distinct()
    )
    if heads:
        return heads
    return list(
        User.objects.filter(Q(is_superuser=True) | Q(roles__name="administrator"))
        .filter(is_active=True)
        .distinct()
        .order_by("pk")[:3]
    )


def check_sla(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Warn agents of requests close to their due time and escalate breached ones to the
    manager, once each (notifications carry a dedupe key with the due time, so a due time
    pushed back by waiting warns again). Run by Celery beat every 15 minutes."""
    from kehu.core.actions import notify
    from kehu.core.models import Notification

    now = now or timezone.now()
    counts = {"warned": 0, "escalated": 0}
    policies = {(p.level, p.priority): p.warn_percent for p in SlaPolicy.objects.all()}
    qs = (
        ServiceRequest.objects.filter(
            status__in=OPEN_STATUSES, paused_at__isnull=True, resolution_due__isnull=False
        )
        .select_related("agent", "owner", "owner__manager", "agent__manager", "customer")
        .order_by("resolution_due", "pk")
    )
    for req in qs.iterator(chunk_size=2000):
        due = req.resolution_due
        link = req.get_absolute_url()
        if now >= due:
            sent = notify(
                recipients=_escalation_recipients(req),
                title=_("SLA breached: %(number)s %(subject)s")
                % {"number": req.number, "subject": req.subject},
                body=_("Customer: %(customer)s. Agent: %(agent)s. Was due %(due)s.")
                % {
                    "customer": req.customer.name if req.customer else "—",
                    "agent": req.agent or "—",
                    "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
                },
                link=link,
                level=Notification.Level.DANGER,
                kind="sla_breached",
                dedupe_key=f"sla-breach:{req.pk}:{due:%Y%m%d%H%M}",
            )
            if sent:
                counts["escalated"] += 1
                if req.escalated_at is None:
                    from kehu.core.audit import audited_update

                    audited_update(req, escalated_at=now)
            continue
        percent = policies.get((req.service_level, req.priority)) or policies.get(
            ("", req.priority), 80
        )
        warn_after = req.resolution_target * percent // 100
        used = req.resolution_target - working_minutes(now, due)
        if used < warn_after or req.agent is None:
            continue
        counts["warned"] += notify(
            recipients=[req.agent],
            title=_("SLA due soon: %(number)s %(subject)s")
            % {"number": req.number, "subject": req.subject},
            body=_("Resolve by %(due)s (customer: %(customer)s).")
            % {
                "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
                "customer": req.customer.name if req.customer else "—",
            },
            link=link,
            level=Notification.Level.WARNING,
            kind="sla_warning",
            dedupe_key=f"sla-warn:{req.pk}:{due:%Y%m%d%H%M}",
        )
    return counts
