"""The team figures behind the managers' dashboard card: they reconcile with the records (the
same counts as ``visible_to`` queries), stay within the manager's scope, follow changes
incrementally (transfers, deletions, completions) and are rebuilt when the day changes."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.core.audit import audited_delete
from kehu.core.context import acting_as
from kehu.customers import actions
from kehu.customers.actions.activity import open_commitments_q
from kehu.customers.models import Activity, Customer, TeamFigures, TeamFiguresState
from kehu.customers.teamfigures import INLINE_LIMIT, refresh, windows

from .factories import activity, customer

PLANNED, DONE = Activity.Status.PLANNED, Activity.Status.DONE


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def live(user) -> dict:
    """What the card's numbers mean, counted from the records."""
    today = timezone.localdate()
    w = windows(today)
    customers = Customer.objects.visible_to(user)
    acts = Activity.objects.visible_to(user)
    return {
        "customers": customers.count(),
        "new_customers": customers.filter(created_at__gte=w["month_start"]).count(),
        "done_this_week": acts.filter(
            status=DONE, start_at__gte=w["week_start"], start_at__lt=w["end"]
        ).count(),
        "overdue": acts.filter(status=PLANNED, start_at__lt=w["start"]).count(),
        "promises_overdue": acts.filter(open_commitments_q(), commitment_due__lt=today).count(),
    }


def card(client):
    r = client.get(reverse("core:dashboard_card", args=["team"]))
    assert r.status_code == 200
    return r


def shown(r) -> dict:
    keys = ("customers", "new_customers", "done_this_week", "overdue", "promises_overdue")
    return {k: r.context[k] for k in keys}


@pytest.fixture
def team(make_user):
    """Two sellers of branch A's team A1, one of team A2, one of branch B; a manager of A1 and
    a manager of the whole branch A (subtree)."""
    today = timezone.localdate()
    a1, a1b, a2, b = (make_user("salesperson", d) for d in ("a1", "a1", "a2", "b"))
    records = {}
    for n, seller in enumerate((a1, a1b, a2, b), start=1):
        cust = customer(seller, n)
        records[seller.pk] = [
            activity(seller, 10 * n + 1, customer=cust, status=DONE, start_at=at(today, 9)),
            activity(
                seller,
                10 * n + 2,
                customer=cust,
                status=PLANNED,
                start_at=at(today - datetime.timedelta(days=9)),
            ),
            activity(
                seller,
                10 * n + 3,
                customer=cust,
                status=DONE,
                start_at=at(today - datetime.timedelta(days=20)),
                commitment="寄样品",
                commitment_due=today - datetime.timedelta(days=2),
            ),
            activity(
                seller,
                10 * n + 4,
                customer=cust,
                status=PLANNED,
                start_at=at(today + datetime.timedelta(days=40)),
            ),
        ]
    return {
        "a1": a1,
        "a1b": a1b,
        "a2": a2,
        "b": b,
        "records": records,
        "dept_manager": make_user("sales_manager", "a1"),
        "branch_manager": make_user("branch_manager", "a"),
    }


@pytest.mark.django_db
def test_the_figures_reconcile_with_the_records_within_each_manager_s_scope(
    client, team, admin_user
):
    for who in ("dept_manager", "branch_manager"):
        client.force_login(team[who])
        r = card(client)
        assert shown(r) == live(team[who]), who
    client.force_login(team["dept_manager"])
    r = card(client)
    assert r.context["customers"] == 2  # team A1's two sellers, not A2 or branch B
    people = {row["person"] for row in r.context["people"]}
    assert people == {team["a1"], team["a1b"]}
    client.force_login(team["branch_manager"])
    r = card(client)
    assert r.context["customers"] == 3  # A1 and A2: the subtree; never branch B
    assert team["b"] not in {row["person"] for row in r.context["people"]}
    client.force_login(admin_user)  # everything
    assert shown(card(client)) == live(admin_user)
    assert card(client).context["customers"] == 4


@pytest.mark.django_db
def test_changes_are_counted_incrementally_before_the_card_reads(client, team, admin_user):
    manager = team["branch_manager"]
    client.force_login(manager)
    before = card(client).context
    assert before["overdue"] == 3
    state = TeamFiguresState.objects.get()
    full_at = state.full_at
    done, overdue, _promise, _future = team["records"][team["a1"].pk]
    with acting_as(team["a1"]):
        actions.complete_activity(activity=overdue)  # no longer overdue
    with acting_as(admin_user):
        # branch B's customer moves into team A2: now in the manager's scope
        theirs = Customer.objects.get(owner=team["b"])
        actions.transfer_customers(customers=[theirs], owner=team["a2"], user=admin_user)
    with acting_as(team["a1b"]):
        audited_delete(team["records"][team["a1b"].pk][0])  # a done activity deleted
    r = card(client)
    assert shown(r) == live(manager)
    assert r.context["customers"] == 4 and r.context["overdue"] == 2 + 1
    state = TeamFiguresState.objects.get()
    assert state.full_at == full_at  # department by department, not a rebuild
    # the figures of the branch B manager's view of the world changed too (B lost a customer)
    assert TeamFigures.objects.filter(owner_id=team["b"].pk, person_id=None).count() == 0


@pytest.mark.django_db
def test_many_changes_are_left_to_the_beat_task_which_applies_them(client, team, settings):
    manager = team["branch_manager"]
    client.force_login(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    card(client)
    seller = team["a2"]
    cust = Customer.objects.get(owner=seller)
    for n in range(INLINE_LIMIT + 1):
        activity(seller, 100 + n, customer=cust, status=DONE, start_at=timezone.now())
    r = card(client)
    assert r.context["updating"] is True
    assert "recent changes are being counted" in r.content.decode()
    assert r.context["done_this_week"] == live(manager)["done_this_week"] - INLINE_LIMIT - 1
    from kehu.customers.tasks.team import refresh_team_figures

    refresh_team_figures()
    r = card(client)
    assert r.context["updating"] is False and shown(r) == live(manager)
    assert "kehu.customers.refresh_team_figures" in {
        e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()
    }


@pytest.mark.django_db
def test_a_new_day_rebuilds_the_figures(client, team):
    manager = team["branch_manager"]
    client.force_login(manager)
    card(client)
    state = TeamFiguresState.objects.get()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    TeamFiguresState.objects.filter(pk=state.pk).update(day=yesterday)
    TeamFigures.objects.all().delete()  # whatever yesterday's rows said
    assert refresh()["done"] == "full"
    assert TeamFiguresState.objects.get().day == timezone.localdate()
    assert shown(card(client)) == live(manager)


@pytest.mark.django_db
def test_team_rows_link_to_the_person_s_activities(client, team):
    manager = team["dept_manager"]
    client.force_login(manager)
    r = card(client)
    row = next(p for p in r.context["people"] if p["person"] == team["a1"])
    html = r.content.decode()
    assert f'href="{row["url"]}"'.replace("&", "&amp;") in html
    listing = client.get(row["url"])
    assert listing.status_code == 200
    shown_ids = {a.pk for a in listing.context["page"].rows}
    done_today = team["records"][team["a1"].pk][0]
    assert done_today.pk in shown_ids
    assert not shown_ids & {a.pk for a in team["records"][team["a1b"].pk]}
    overdue = client.get(row["overdue_url"])
    ids = {a.pk for a in overdue.context["page"].rows}
    assert ids == {team["records"][team["a1"].pk][1].pk}
