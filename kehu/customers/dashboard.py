"""The customers module's cards on the home dashboard ("my day").

Registered from ``CustomersConfig.ready`` through ``kehu.core.registry.register_dashboard_card``:
today's and overdue activities, promises (activity commitments) due, customers needing care
(open care tasks and customers in the decline stage) and, for managers, their team's numbers.
Every query starts from ``visible_to(user)``: a card never counts a record its reader could not
open. Each card is one HTMX request of a few indexed queries.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.permissions import Access, DataScope
from kehu.core.registry import DashboardCard, register_dashboard_card

from .actions.activity import day_start, open_commitments_q
from .models import Activity, CareTask, Customer, LifecycleStage

__all__ = ["is_manager", "register_cards"]

LIST = 6
SOON = 7  # days ahead for promises and care tasks


def _url(name: str, **params) -> str:
    return reverse(name) + ("?" + urlencode(params) if params else "")


def _today():
    today = timezone.localdate()
    return today, day_start(today), day_start(today + datetime.timedelta(days=1))


def my_day(request) -> dict:
    """The user's planned activities of today, and the overdue ones (planned, before today)."""
    user = request.user
    today, start, end = _today()
    mine = Activity.objects.visible_to(user).filter(owner=user, status=Activity.Status.PLANNED)
    todays = mine.filter(start_at__gte=start, start_at__lt=end).select_related("customer")
    overdue = mine.filter(start_at__lt=start)
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    return {
        "today_items": list(todays.order_by("start_at", "pk")[:LIST]),
        "today_count": todays.count(),
        "overdue_items": list(overdue.select_related("customer").order_by("-start_at", "-pk")[:4]),
        "overdue_count": overdue.count(),
        "today_url": _url(
            "customers:activity_list",
            owner=user.pk,
            status="planned",
            date_from=today.isoformat(),
            date_to=today.isoformat(),
            sort="start_at",
        ),
        "overdue_url": _url(
            "customers:activity_list",
            owner=user.pk,
            status="planned",
            date_to=yesterday,
            sort="-start_at",
        ),
        "calendar_url": reverse("customers:calendar"),
        "add_url": reverse("customers:activity_add")
        if user.has_perm("customers.add_activity")
        else None,
    }


def promises(request) -> dict:
    """Commitments the user made that are not kept yet: overdue, due today, due this week."""
    user = request.user
    today = timezone.localdate()
    soon = today + datetime.timedelta(days=SOON)
    due = (
        Activity.objects.visible_to(user)
        .filter(owner=user, commitment_due__isnull=False, commitment_due__lte=soon)
        .filter(open_commitments_q())
    )
    counts = due.aggregate(
        overdue=Count("pk", filter=Q(commitment_due__lt=today)),
        due_today=Count("pk", filter=Q(commitment_due=today)),
        soon=Count("pk", filter=Q(commitment_due__gt=today)),
    )
    return {
        "items": list(due.select_related("customer").order_by("commitment_due", "pk")[:LIST]),
        **counts,
        "total": sum(counts.values()),
        "list_url": _url(
            "customers:activity_list",
            owner=user.pk,
            open_commitments="true",
            sort="commitment_due",
        ),
    }


def care(request) -> dict | None:
    """Customers needing care: open care tasks due within a week (birthdays, anniversaries …)
    and the user's customers in the decline stage (the lifecycle's warning)."""
    user = request.user
    today = timezone.localdate()
    ctx: dict = {"today": today}
    if user.has_perm("customers.view_caretask"):
        tasks = CareTask.objects.visible_to(user).filter(
            owner=user,
            status=CareTask.Status.OPEN,
            due_on__lte=today + datetime.timedelta(days=SOON),
        )
        ctx["tasks"] = list(tasks.select_related("customer", "contact").order_by("due_on")[:LIST])
        ctx["task_count"] = tasks.count()
        ctx["care_url"] = reverse("customers:care")
    declining = Customer.objects.visible_to(user).filter(
        owner=user, lifecycle_stage=LifecycleStage.DECLINE
    )
    ctx["declining"] = list(declining.order_by("-pk").only("pk", "name")[:3])
    ctx["declining_count"] = declining.count()
    ctx["declining_url"] = _url(
        "customers:customer_list", owner=user.pk, lifecycle_stage=LifecycleStage.DECLINE
    )
    return ctx


def is_manager(user) -> bool:
    """Whether the user's customer scope reaches beyond their own records (a department, a
    subtree or everything): they get the team card."""
    if user.is_superuser:
        return True
    from kehu.core.providers import get_access

    scope = get_access(user).scope(Customer, Access.VIEW)
    return scope in (DataScope.DEPARTMENT, DataScope.SUBTREE, DataScope.ALL)


def team(request) -> dict:
    """The team's numbers within the manager's data scope: customers, new this month,
    activities done this week, overdue activities and promises, and the same per person.

    Read from the team figures (``kehu.customers.teamfigures``): a sum over a few hundred
    summary rows within the manager's scope instead of counting a branch's records on every
    view; the card applies recent changes first (a few; more are the beat task's)."""
    from kehu.system.models import User

    from .models import TeamFigures
    from .teamfigures import INLINE_LIMIT, refresh

    user = request.user
    today = timezone.localdate()
    result = refresh(limit=INLINE_LIMIT, wait=False)
    rows = TeamFigures.objects.visible_to(user).order_by()
    totals = rows.aggregate(
        customers=Coalesce(Sum("customers"), 0),
        new_customers=Coalesce(Sum("new_customers"), 0),
        done_this_week=Coalesce(Sum("done_week"), 0),
        overdue=Coalesce(Sum("overdue"), 0),
        promises_overdue=Coalesce(Sum("promises_overdue"), 0),
    )
    per_person = list(
        rows.filter(person_id__isnull=False)
        .values("person_id")
        .annotate(done=Sum("done_week"), planned=Sum("planned_week"), overdue=Sum("overdue"))
        .filter(Q(done__gt=0) | Q(planned__gt=0) | Q(overdue__gt=0))
        .order_by("-done", "-planned", "person_id")[:10]
    )
    names = User.objects.in_bulk([p["person_id"] for p in per_person])
    week_from = (today - datetime.timedelta(days=today.weekday())).isoformat()
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    for row in per_person:
        row["owner"] = row["person_id"]
        row["person"] = names.get(row["person_id"])
        row["url"] = _url(
            "customers:activity_list",
            owner=row["person_id"],
            date_from=week_from,
            date_to=today.isoformat(),
            status="",
            sort="-start_at",
        )
        row["overdue_url"] = _url(
            "customers:activity_list",
            owner=row["person_id"],
            status="planned",
            date_to=yesterday,
            sort="-start_at",
        )
    state = result["state"]
    return {
        **totals,
        "people": per_person,
        "as_of": state.computed_at,
        "updating": result["pending"],
        "customers_url": reverse("customers:customer_list"),
        "week_url": _url(
            "customers:activity_list", date_from=week_from, date_to=today.isoformat(), status="done"
        ),
        "overdue_url": _url(
            "customers:activity_list", status="planned", date_to=yesterday, sort="-start_at"
        ),
        "promises_url": _url(
            "customers:activity_list", open_commitments="true", sort="commitment_due"
        ),
    }


def register_cards() -> None:
    register_dashboard_card(
        DashboardCard(
            key="my-day",
            title=_("Today's activities"),
            template="customers/dashboard/my_day.html",
            context=my_day,
            order=10,
            perm="customers.view_activity",
            size="md",
            icon="bi-calendar-day",
        )
    )
    register_dashboard_card(
        DashboardCard(
            key="promises",
            title=_("Promises due"),
            template="customers/dashboard/promises.html",
            context=promises,
            order=20,
            perm="customers.view_activity",
            size="md",
            icon="bi-hand-thumbs-up",
        )
    )
    register_dashboard_card(
        DashboardCard(
            key="care",
            title=_("Customers needing care"),
            template="customers/dashboard/care.html",
            context=care,
            order=30,
            perm="customers.view_customer",
            size="md",
            icon="bi-heart",
        )
    )
    register_dashboard_card(
        DashboardCard(
            key="team",
            title=_("My team"),
            template="customers/dashboard/team.html",
            context=team,
            order=40,
            perm="customers.view_activity",
            size="full",
            icon="bi-people",
            show=is_manager,
        )
    )
