"""Customer care: birthday and anniversary tasks N days ahead, exactly once per occasion and year,
leap days, pre-campaign suppression, done/skip, pages, API and data permissions."""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from kehu.core.errors import StaleObjectError
from kehu.core.models import Notification
from kehu.customers import actions
from kehu.customers.models import CareTask, Customer
from kehu.system.actions import update_parameters

from .factories import contact as make_contact
from .factories import customer as make_customer

TODAY = datetime.date(2026, 3, 10)


def d(month: int, day: int, year: int = 1980) -> datetime.date:
    return datetime.date(year, month, day)


@pytest.fixture
def seller(make_user):
    return make_user("salesperson", "a1")


@pytest.fixture
def person(seller):
    """An individual customer and a company with a contact, both owned by ``seller``."""
    individual = make_customer(
        seller, 1, kind=Customer.Kind.INDIVIDUAL, name="李四", birthday=d(3, 12)
    )
    company = make_customer(seller, 2, name="华为", registered_on=d(3, 11, 2020))
    contact = make_contact(seller, 1, customer=company, name="张三", birthday=d(3, 13))
    return {"individual": individual, "company": company, "contact": contact}


@pytest.mark.django_db
def test_reminders_within_n_days_exactly_once(seller, person):
    result = actions.generate_care_tasks(today=TODAY)
    assert result == {"created": 3, "suppressed": 0, "notified": 3}
    tasks = {t.occasion_key: t for t in CareTask.objects.all()}
    c, i, k = person["contact"], person["individual"], person["company"]
    assert set(tasks) == {
        f"birthday:contact:{c.pk}:2026",
        f"birthday:customer:{i.pk}:2026",
        f"anniversary:customer:{k.pk}:2026",
    }
    birthday = tasks[f"birthday:contact:{c.pk}:2026"]
    assert birthday.due_on == datetime.date(2026, 3, 13)
    assert birthday.owner == seller and birthday.contact == c and birthday.customer == k
    assert "张三" in birthday.title and birthday.status == CareTask.Status.OPEN
    assert "6" in tasks[f"anniversary:customer:{k.pk}:2026"].title  # 6 years
    # the next days, the same occasions are still in the window: nothing new
    for n in (1, 2, 3):
        again = actions.generate_care_tasks(today=TODAY + datetime.timedelta(days=n))
        assert again["created"] == 0 and again["notified"] == 0
    assert CareTask.objects.count() == 3
    assert Notification.objects.filter(recipient=seller, kind="care").count() == 3
    # next year: once more
    actions.generate_care_tasks(today=TODAY.replace(year=2027))
    assert CareTask.objects.count() == 6


@pytest.mark.django_db
def test_window_follows_the_parameter(seller, person, admin_user):
    update_parameters(user=admin_user, care_reminder_days=1)
    assert actions.generate_care_tasks(today=TODAY)["created"] == 1  # only the 11th
    update_parameters(user=admin_user, care_reminder_days=0)
    assert actions.generate_care_tasks(today=d(3, 12, 2026))["created"] == 1
    update_parameters(user=admin_user, care_reminder_days=30)
    assert actions.generate_care_tasks(today=TODAY)["created"] == 1  # the 13th; others exist
    assert CareTask.objects.count() == 3


@pytest.mark.django_db
def test_first_registration_year_is_no_anniversary(seller):
    make_customer(seller, 1, registered_on=d(3, 11, 2026))
    assert actions.generate_care_tasks(today=TODAY)["created"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "today, due",
    [
        (datetime.date(2027, 2, 26), datetime.date(2027, 2, 28)),  # common year: 28 February
        (datetime.date(2028, 2, 27), datetime.date(2028, 2, 29)),  # leap year: the day itself
    ],
)
def test_leap_day_birthdays(seller, today, due):
    contact = make_contact(seller, 1, birthday=datetime.date(2000, 2, 29))
    actions.generate_care_tasks(today=today)
    task = CareTask.objects.get(contact=contact)
    assert task.due_on == due and task.occasion_key.endswith(str(due.year))
    actions.generate_care_tasks(today=due)
    assert CareTask.objects.filter(contact=contact).count() == 1


@pytest.mark.django_db
def test_year_end_window(seller):
    contact = make_contact(seller, 1, anniversary=datetime.date(2019, 1, 1))
    actions.generate_care_tasks(today=datetime.date(2026, 12, 30))
    task = CareTask.objects.get(contact=contact)
    assert task.due_on == datetime.date(2027, 1, 1) and task.kind == "anniversary"
    assert task.occasion_key.endswith(":2027")


# --- Suppression before campaigns ---------------------------------------------------------------


@pytest.fixture
def campaign_on():
    """Register a campaign source for the test: {customer_id: date}."""
    planned: dict[int, datetime.date] = {}

    def source(ids, start, end):
        return {
            cid: [(day, "春季促销")]
            for cid, day in planned.items()
            if cid in ids and start <= day <= end
        }

    actions.register_campaign_window_source(source)
    yield planned
    actions.unregister_campaign_window_source(source)


@pytest.mark.django_db
def test_check_care_allowed(seller, campaign_on, admin_user):
    c = make_customer(seller, 1)
    assert actions.check_care_allowed(c, TODAY) == (True, "")
    campaign_on[c.pk] = TODAY + datetime.timedelta(days=7)
    allowed, reason = actions.check_care_allowed(c, TODAY)
    assert not allowed and "春季促销" in reason
    assert actions.check_care_allowed(c, TODAY - datetime.timedelta(days=1))[0]  # 8 days before
    assert actions.check_care_allowed(c, TODAY + datetime.timedelta(days=8))[0]  # after it
    update_parameters(user=admin_user, care_suppression_days=3)
    assert actions.check_care_allowed(c, TODAY)[0]
    assert not actions.check_care_allowed(c.pk, TODAY + datetime.timedelta(days=5))[0]


@pytest.mark.django_db
def test_suppressed_care_is_created_skipped_without_reminder(seller, person, campaign_on):
    campaign_on[person["company"].pk] = datetime.date(2026, 3, 15)
    result = actions.generate_care_tasks(today=TODAY)
    assert result == {"created": 1, "suppressed": 2, "notified": 1}
    skipped = CareTask.objects.filter(status=CareTask.Status.SKIPPED)
    assert {t.customer_id for t in skipped} == {person["company"].pk}
    assert all("春季促销" in t.note for t in skipped)
    assert Notification.objects.filter(kind="care").count() == 1
    # suppressed occasions are not planned again once the campaign is gone
    campaign_on.clear()
    assert actions.generate_care_tasks(today=TODAY)["created"] == 0


# --- Working care tasks, pages, API, permissions ------------------------------------------------


@pytest.mark.django_db
def test_done_and_skip(seller, person):
    actions.generate_care_tasks(today=TODAY)
    task = CareTask.objects.filter(status="open").first()
    with pytest.raises(StaleObjectError):
        actions.complete_care_task(task=task, user=seller, version=task.version + 5)
    actions.complete_care_task(task=task, user=seller, note="送了花")
    task.refresh_from_db()
    assert task.status == "done" and "送了花" in task.note
    with pytest.raises(ValidationError):
        actions.skip_care_task(task=CareTask.objects.get(pk=task.pk), user=seller)


@pytest.mark.django_db
def test_salesperson_sees_only_own_customers_care(client, make_user, person, seller):
    other = make_user("salesperson", "a1")
    theirs = make_contact(other, 9, name="王五", birthday=d(3, 12))
    manager = make_user("sales_manager", "a1")
    outsider = make_user("sales_manager", "a2")
    actions.generate_care_tasks(today=TODAY)
    mine = CareTask.objects.exclude(customer=theirs.customer)
    foreign = CareTask.objects.get(customer=theirs.customer)

    client.force_login(seller)
    html = client.get(reverse("customers:care")).content.decode()
    assert all(f'id="care-{t.pk}"' in html for t in mine)
    assert f'id="care-{foreign.pk}"' not in html and "王五" not in html
    api = client.get("/api/care-tasks/").json()["results"]
    assert {row["id"] for row in api} == {t.pk for t in mine}
    assert client.get(f"/api/care-tasks/{foreign.pk}/").status_code == 404
    assert (
        client.post(reverse("customers:care_close", args=[foreign.pk, "done"])).status_code == 404
    )
    assert client.post(f"/api/care-tasks/{foreign.pk}/done/").status_code == 404
    card = client.get(reverse("customers:customer_care", args=[theirs.customer_id]))
    assert card.status_code == 404

    client.force_login(manager)
    html = client.get(reverse("customers:care")).content.decode()
    assert f'id="care-{foreign.pk}"' in html

    client.force_login(outsider)
    html = client.get(reverse("customers:care")).content.decode()
    assert not re.search(r'id="care-[0-9]', html) and "张三" not in html
    assert client.get("/api/care-tasks/").json()["results"] == []


@pytest.mark.django_db
def test_done_from_the_page_and_api(client, seller, person):
    actions.generate_care_tasks(today=TODAY)
    first, second = CareTask.objects.filter(status="open").order_by("pk")[:2]
    client.force_login(seller)
    row = client.post(
        reverse("customers:care_close", args=[first.pk, "done"]), {"version": first.version}
    ).content.decode()
    assert 'data-status="done"' in row
    stale = client.post(
        reverse("customers:care_close", args=[second.pk, "skip"]), {"version": 99}
    ).content.decode()
    assert 'data-status="open"' in stale and "text-danger" in stale
    r = client.post(
        f"/api/care-tasks/{second.pk}/skip/", {"note": "出差"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "skipped"
    again = client.post(f"/api/care-tasks/{second.pk}/done/")
    assert again.status_code == 400
    card = client.get(reverse("customers:customer_care", args=[person["company"].pk])).content
    assert "出差".encode() in card or "华为".encode() in card


@pytest.mark.django_db
def test_service_agent_may_see_but_not_close(client, make_user, seller, person):
    agent = make_user("service_agent", "a2")  # views everything, changes nothing
    actions.generate_care_tasks(today=TODAY)
    task = CareTask.objects.filter(status="open").first()
    client.force_login(agent)
    html = client.get(reverse("customers:care")).content.decode()
    assert f'id="care-{task.pk}"' in html and 'data-op="done"' not in html
    assert client.post(reverse("customers:care_close", args=[task.pk, "done"])).status_code == 403
    assert client.post(f"/api/care-tasks/{task.pk}/done/").status_code == 403


@pytest.mark.django_db
def test_care_task_is_scheduled_daily():
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "kehu.customers.generate_care_tasks" in names


@pytest.mark.django_db
def test_parameters_page_has_the_care_parameters(client, admin_user):
    client.force_login(admin_user)
    html = client.get(reverse("system:parameters")).content.decode()
    assert 'name="care_reminder_days"' in html and 'name="care_suppression_days"' in html
    with pytest.raises(ValidationError):
        update_parameters(user=admin_user, care_suppression_days=999)
