"""The customers module's dashboard cards, promises on the calendar and in the inbox, and the
activity list's starting order."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.core.context import acting_as
from kehu.core.models import Notification
from kehu.customers import actions
from kehu.customers.models import Activity, CareTask, LifecycleStage

from .factories import activity, customer


def card(client, key: str):
    return client.get(reverse("core:dashboard_card", args=[key]))


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def day_of(make_user):
    """A salesperson's day: planned today, overdue, done, far future, another seller's."""
    seller = make_user("salesperson", "a1")
    other = make_user("salesperson", "b")
    today = timezone.localdate()
    cust = customer(seller, 1, name="今天的客户")
    planned = Activity.Status.PLANNED
    records = {
        "planned_today": activity(
            seller, 1, customer=cust, subject="今天拜访", status=planned, start_at=at(today, 15)
        ),
        "overdue": activity(
            seller,
            2,
            customer=cust,
            subject="逾期回访",
            status=planned,
            start_at=at(today - datetime.timedelta(days=3)),
        ),
        "done": activity(seller, 3, customer=cust, subject="已完成电话", start_at=at(today, 9)),
        "future": activity(
            seller,
            4,
            customer=cust,
            subject="明年展会",
            status=planned,
            start_at=at(today + datetime.timedelta(days=300)),
        ),
        "promise_due": activity(
            seller,
            5,
            customer=cust,
            subject="报价",
            commitment="周五前发报价",
            commitment_due=today,
        ),
        "promise_late": activity(
            seller,
            6,
            customer=cust,
            subject="样品",
            commitment="寄样品",
            commitment_due=today - datetime.timedelta(days=2),
        ),
        "promise_far": activity(
            seller,
            7,
            customer=cust,
            subject="合同",
            commitment="年底续约",
            commitment_due=today + datetime.timedelta(days=60),
        ),
        "theirs": activity(
            other,
            8,
            subject="别人的今天",
            status=planned,
            start_at=at(today, 11),
            commitment="别人的承诺",
            commitment_due=today,
        ),
    }
    return {"seller": seller, "other": other, "today": today, "customer": cust, **records}


@pytest.mark.django_db
def test_my_day_counts_today_and_overdue_activities_of_the_user(client, day_of):
    client.force_login(day_of["seller"])
    r = card(client, "my-day")
    assert r.status_code == 200
    assert r.context["today_count"] == 1 and r.context["overdue_count"] == 1
    html = r.content.decode()
    assert "今天拜访" in html and "逾期回访" in html
    assert "已完成电话" not in html and "明年展会" not in html and "别人的今天" not in html
    # the counts link to the list filtered the same way
    listing = client.get(r.context["overdue_url"]).content.decode()
    assert "逾期回访" in listing and "今天拜访" not in listing


@pytest.mark.django_db
def test_promises_card_lists_the_user_s_open_promises_due_this_week(client, day_of):
    client.force_login(day_of["seller"])
    r = card(client, "promises")
    assert (r.context["overdue"], r.context["due_today"], r.context["soon"]) == (1, 1, 0)
    assert r.context["today"] == day_of["today"]
    html = r.content.decode()
    assert "周五前发报价" in html and "寄样品" in html
    assert "年底续约" not in html and "别人的承诺" not in html
    with acting_as(day_of["seller"]):
        actions.keep_commitment(activity=day_of["promise_late"])
    assert card(client, "promises").context["overdue"] == 0


@pytest.mark.django_db
def test_care_card_shows_care_tasks_and_declining_customers(client, day_of, admin_user):
    seller, cust = day_of["seller"], day_of["customer"]
    client.force_login(seller)
    client.cookies["django_language"] = "en"
    assert "No customer needs care this week." in card(client, "care").content.decode()
    with acting_as(admin_user):
        CareTask.objects.create(
            customer=cust,
            kind=CareTask.Kind.BIRTHDAY,
            title="王总生日",
            due_on=day_of["today"] + datetime.timedelta(days=2),
            owner=seller,
            department=seller.department,
        )
        actions.override_lifecycle_stage(
            customer=cust, stage=LifecycleStage.DECLINE, reason="test", user=admin_user
        )
    r = card(client, "care")
    assert r.context["task_count"] == 1 and r.context["declining_count"] == 1
    html = r.content.decode()
    assert "王总生日" in html and "今天的客户" in html


@pytest.mark.django_db
def test_the_team_card_is_for_managers_and_counts_within_their_scope(client, day_of, make_user):
    seller = day_of["seller"]
    client.force_login(seller)
    assert card(client, "team").status_code == 403  # own records: no team
    assert 'data-card="team"' not in client.get(reverse("core:home")).content.decode()
    manager = make_user("sales_manager", "a1")  # department a1: the seller, not branch b
    client.force_login(manager)
    assert 'data-card="team"' in client.get(reverse("core:home")).content.decode()
    r = card(client, "team")
    assert r.status_code == 200
    assert r.context["customers"] == 1  # the seller's customer; not the other branch's
    assert r.context["overdue"] == 1
    assert r.context["promises_overdue"] == 1
    people = {row["person"] for row in r.context["people"]}
    assert seller in people and day_of["other"] not in people


@pytest.mark.django_db
def test_promises_show_on_the_calendar_on_their_due_date(client, day_of):
    client.force_login(day_of["seller"])
    today = day_of["today"]
    r = client.get(reverse("customers:calendar"), {"date": today.isoformat()})
    cells = {c["date"]: c for week in r.context["weeks"] for c in week}
    assert [a.commitment for a in cells[today]["promises"]] == ["周五前发报价"]
    html = r.content.decode()
    assert f'data-promise="{day_of["promise_due"].pk}"' in html
    week = client.get(reverse("customers:calendar"), {"view": "week", "date": today.isoformat()})
    assert "周五前发报价" in week.content.decode() and "别人的承诺" not in week.content.decode()


@pytest.mark.django_db
def test_a_promise_is_reminded_in_the_inbox_on_its_due_day_once(day_of):
    seller, today = day_of["seller"], day_of["today"]
    assert actions.notify_commitments_due_today(today=today) == 2  # the seller's and the other's
    assert actions.notify_commitments_due_today(today=today) == 0  # once
    note = Notification.objects.get(recipient=seller, kind="commitment_due")
    assert "周五前发报价" in note.title
    assert note.link == day_of["promise_due"].get_absolute_url()
    # kept promises are not reminded
    with acting_as(seller):
        actions.keep_commitment(activity=day_of["promise_far"])
    far = today + datetime.timedelta(days=60)
    assert actions.notify_commitments_due_today(today=far) == 0


def test_the_due_day_reminder_runs_every_morning(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["promises-due-today"]
    assert entry["task"] == "kehu.customers.commitments_due_today"


@pytest.mark.django_db
def test_the_activity_list_opens_on_open_activities_overdue_first(client, day_of):
    client.force_login(day_of["seller"])
    url = reverse("customers:activity_list")
    r = client.get(url)
    assert r.status_code == 302 and "status=planned" in r["Location"]
    page = client.get(r["Location"])
    subjects = [a.subject for a in page.context["page"].rows]
    assert subjects == ["逾期回访", "今天拜访", "明年展会"]  # far-future last, done ones out
    everything = client.get(url, {"status": ""})
    assert everything.status_code == 200 and "已完成电话" in everything.content.decode()


@pytest.mark.django_db
def test_on_a_phone_the_calendar_is_a_list_of_days_with_whole_subjects(client, day_of):
    """The month grid's cells are too narrow on a phone: the same days are also rendered as an
    agenda (shown below the md breakpoint, the grid above it) with whole subjects and times."""
    client.force_login(day_of["seller"])
    today = day_of["today"]
    html = client.get(reverse("customers:calendar"), {"date": today.isoformat()}).content.decode()
    start = html.index('class="list-group list-group-flush d-md-none calendar-agenda"')
    agenda = html[start : html.index("</ol>", start)]
    assert 'class="table-responsive d-none d-md-block"' in html  # the grid: not on a phone
    day = agenda[agenda.index(f'data-date="{today.isoformat()}"') :]
    assert "今天拜访" in day and "15:00" in day and "今天的客户" in day
    assert "周五前发报价" in day  # the promise due today
    assert "明年展会" not in agenda  # next year: another month
    assert "别人的今天" not in agenda  # another seller's
    # a day with nothing on it (other than today) is left out of the list
    dates = [part.split('"')[0] for part in agenda.split('data-date="')[1:]]
    assert today.isoformat() in dates and len(dates) == len(set(dates))
    week = client.get(reverse("customers:calendar"), {"view": "week", "date": today.isoformat()})
    assert "今天拜访" in week.content.decode().split("calendar-agenda")[1]


@pytest.mark.django_db
def test_customer_and_contact_pages_call_and_mail_and_log_activity_first_on_a_phone(client, day_of):
    from kehu.customers.models import Contact

    seller, cust = day_of["seller"], day_of["customer"]
    with acting_as(seller):
        cust.phone, cust.email, cust.fax = "021-6234 5678", "hi@example.cn", "021-62345679"
        cust.save()
        contact = Contact(
            customer=cust,
            name="李经理",
            mobile="+86 138 0013 8000",
            email="li@example.cn",
            owner=seller,
            department=seller.department,
        )
        contact.save()
    client.force_login(seller)
    html = client.get(reverse("customers:customer_detail", args=[cust.pk])).content.decode()
    assert '<a href="tel:02162345678">021-6234 5678</a>' in html
    assert '<a href="mailto:hi@example.cn">hi@example.cn</a>' in html
    assert "tel:02162345679" not in html  # the fax
    assert '<a href="tel:+8613800138000">+86 138 0013 8000</a>' in html  # contacts card
    assert '<a href="mailto:li@example.cn">' in html
    # the log-activity form comes first on small screens (flex order), after the fields on large
    assert 'class="card shadow-sm mb-3 order-first order-lg-0" id="quick-activity-card"' in html
    assert "d-flex flex-column customer-main" in html
    page = client.get(reverse("customers:contact_detail", args=[contact.pk])).content.decode()
    assert '<a href="tel:+8613800138000">+86 138 0013 8000</a>' in page
    assert '<a href="mailto:li@example.cn">li@example.cn</a>' in page
