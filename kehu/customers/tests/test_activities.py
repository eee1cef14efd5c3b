"""Activities: actions, data permissions on every path (list, detail, API, calendar, .ics, feed,
timeline), inbox reminders exactly once, the hand-over, and query counts."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kehu.core.audit import unaudited_write
from kehu.core.context import acting_as
from kehu.core.models import AuditLog, Notification
from kehu.customers import actions
from kehu.customers.models import Activity
from kehu.customers.tasks.activity import activity_reminders

from .factories import activity, contact, customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user):
    return {
        "owner": make_user("salesperson", "a1"),
        "other": make_user("salesperson", "a1"),  # a teammate: sees only their own customers
        "manager": make_user("sales_manager", "a1"),
        "outsider_manager": make_user("sales_manager", "b"),
    }


def log(user, cust, **kw):
    kw.setdefault("kind", Activity.Kind.CALL)
    kw.setdefault("subject", "电话沟通报价")
    with acting_as(user):
        return actions.log_activity(customer=cust, user=user, **kw)


# --- Actions ------------------------------------------------------------------------------------


def test_log_activity_done_in_the_past_planned_in_the_future(people):
    owner = people["owner"]
    cust = customer(owner, 1)
    past = log(owner, cust, start_at=timezone.now() - datetime.timedelta(hours=1))
    future = log(owner, cust, start_at=timezone.now() + datetime.timedelta(days=1))
    assert past.status == Activity.Status.DONE and past.completed_at is not None
    assert future.status == Activity.Status.PLANNED and future.completed_at is None
    assert past.owner == owner and past.department == owner.department
    assert AuditLog.objects.filter(object_id=str(past.pk), action="create").exists()


def test_log_activity_checks_contacts_times_and_commitments(people):
    owner = people["owner"]
    cust = customer(owner, 1)
    foreign = contact(owner, 2)  # a contact of another customer
    with pytest.raises(ValidationError) as exc:
        log(owner, cust, contacts=[foreign])
    assert "contacts" in exc.value.message_dict
    now = timezone.now()
    with pytest.raises(ValidationError) as exc:
        log(owner, cust, start_at=now, end_at=now - datetime.timedelta(minutes=5))
    assert "end_at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        log(owner, cust, commitment_due=datetime.date.today())
    assert "commitment" in exc.value.message_dict
    assert not Activity.objects.exists()  # nothing half-written


def test_log_activity_refuses_a_customer_the_user_may_not_edit(people):
    cust = customer(people["owner"], 1)
    with pytest.raises(ValidationError) as exc:
        log(people["other"], cust)
    assert "customer" in exc.value.message_dict


def test_contacts_are_linked_and_audited(people):
    owner = people["owner"]
    cust = customer(owner, 1)
    c1 = contact(owner, 1, customer=cust, mobile="13800000001")
    a = log(owner, cust, contacts=[c1])
    assert list(a.contacts.all()) == [c1]
    entry = AuditLog.objects.filter(object_id=str(a.pk), changes__has_key="contacts").get()
    assert entry.changes["contacts"] == [[], [c1.pk]]


def test_complete_cancel_reschedule_and_keep_commitment(people):
    owner = people["owner"]
    cust = customer(owner, 1)
    start = timezone.now() + datetime.timedelta(days=2)
    a = log(owner, cust, start_at=start, reminder_minutes=30, commitment="答应给予5%的折扣")
    assert a.remind_at == start - datetime.timedelta(minutes=30)
    with acting_as(owner):
        later = start + datetime.timedelta(days=1)
        actions.reschedule_activity(activity=a, start_at=later)
        assert a.remind_at == later - datetime.timedelta(minutes=30) and a.reminded_at is None
        actions.complete_activity(activity=a, outcome="同意续签")
        assert a.status == "done" and a.outcome == "同意续签" and a.completed_at
        with pytest.raises(ValidationError):
            actions.reschedule_activity(activity=a, start_at=start)
        with pytest.raises(ValidationError):
            actions.cancel_activity(activity=a)
        actions.keep_commitment(activity=a)
    a.refresh_from_db()
    assert a.commitment_kept and a.version == 4  # created, moved, done, kept


def test_action_views_need_the_edit_scope(client, people):
    a = activity(people["owner"], 1, status=Activity.Status.PLANNED)
    url = reverse("customers:activity_action", args=[a.pk, "complete"])
    client.force_login(people["other"])
    assert client.post(url).status_code == 404
    client.force_login(people["manager"])
    assert client.post(url, {"outcome": "好"}).status_code == 302
    a.refresh_from_db()
    assert a.status == "done" and a.outcome == "好"


def test_api_complete_and_reschedule(client, people):
    a = activity(people["owner"], 1, status=Activity.Status.PLANNED)
    client.force_login(people["owner"])
    when = (timezone.now() + datetime.timedelta(days=3)).isoformat()
    r = client.post(f"/api/activities/{a.pk}/reschedule/", {"start_at": when})
    assert r.status_code == 200, r.content
    r = client.post(f"/api/activities/{a.pk}/complete/", {"outcome": "ok"})
    assert r.status_code == 200 and r.json()["status"] == "done"
    r = client.post(f"/api/activities/{a.pk}/reschedule/", {"start_at": when})
    assert r.status_code == 400
    client.force_login(people["other"])
    assert client.post(f"/api/activities/{a.pk}/complete/").status_code == 404


def test_api_create_with_contacts_and_validation(client, people):
    owner = people["owner"]
    cust = customer(owner, 1)
    c1 = contact(owner, 1, customer=cust, mobile="13800000001")
    client.force_login(owner)
    body = {"customer": cust.pk, "kind": "visit", "subject": "上门拜访", "contacts": [c1.pk]}
    r = client.post("/api/activities/", body, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["contacts"] == [c1.pk] and r.json()["owner"] == owner.pk
    bad = dict(body, end_at="2020-01-01T00:00:00Z")
    r = client.post("/api/activities/", bad, content_type="application/json")
    assert r.status_code == 400 and "end_at" in r.json()
    # someone else's customer is not a valid choice
    client.force_login(people["other"])
    r = client.post("/api/activities/", body, content_type="application/json")
    assert r.status_code == 400 and "customer" in r.json()


# --- Data permissions on every path -------------------------------------------------------------


def test_another_salespersons_activities_are_invisible_everywhere(client, people):
    owner, other = people["owner"], people["other"]
    secret = activity(
        owner,
        1,
        subject="机密拜访",
        status=Activity.Status.PLANNED,
        start_at=timezone.now() + datetime.timedelta(hours=2),
    )
    mine = activity(other, 2, subject="我的电话", start_at=timezone.now())
    client.force_login(other)
    listing = client.get(reverse("customers:activity_list"), {"status": ""}).content.decode()
    assert "我的电话" in listing and "机密拜访" not in listing
    assert client.get(secret.get_absolute_url()).status_code == 404
    assert client.get(f"/api/activities/{secret.pk}/").status_code == 404
    api = client.get("/api/activities/").json()
    assert [row["id"] for row in api["results"]] == [mine.pk]
    for params in ({}, {"owner": owner.pk}, {"owner": ""}, {"view": "week"}):
        page = client.get(reverse("customers:calendar"), params)
        assert page.status_code == 200
        assert "机密拜访" not in page.content.decode()
    ics = b"".join(client.get(reverse("customers:activity_ics"), {"owner": ""}).streaming_content)
    assert "我的电话".encode() in ics and "机密拜访".encode() not in ics
    ics = b"".join(
        client.get(reverse("customers:activity_ics"), {"owner": owner.pk}).streaming_content
    )
    assert "机密拜访".encode() not in ics
    cust = secret.customer
    assert client.get(reverse("customers:customer_timeline", args=[cust.pk])).status_code == 404
    r = client.post(
        reverse("customers:customer_log_activity", args=[cust.pk]), {"kind": "call", "subject": "x"}
    )
    assert r.status_code == 404
    # the feed: a token gives exactly what its user may see
    token = actions.create_calendar_feed(user=other)
    feed = b"".join(client.get(reverse("customers:activity_feed", args=[token])).streaming_content)
    assert "我的电话".encode() in feed and "机密拜访".encode() not in feed
    # a manager of another branch sees nothing of team A1 either
    client.force_login(people["outsider_manager"])
    assert client.get(secret.get_absolute_url()).status_code == 404
    assert (
        "机密拜访" not in client.get(reverse("customers:calendar"), {"owner": ""}).content.decode()
    )


def test_ics_download_of_others_activities_needs_the_export_permission(client, people):
    activity(people["owner"], 1, subject="团队电话", start_at=timezone.now())
    activity(people["manager"], 2, subject="经理电话", start_at=timezone.now())
    url = reverse("customers:activity_ics")
    client.force_login(people["manager"])  # sales managers may export
    body = b"".join(client.get(url, {"owner": ""}).streaming_content).decode()
    assert "团队电话" in body and "经理电话" in body
    assert AuditLog.objects.filter(action="export", changes__format="ics").exists()
    role = people["manager"].roles.get()
    role.permissions.remove(*role.permissions.filter(codename="export_data"))
    from kehu.system.models import User

    client.force_login(User.objects.get(pk=people["manager"].pk))
    body = b"".join(client.get(url, {"owner": ""}).streaming_content).decode()
    assert "团队电话" not in body and "经理电话" in body  # only one's own


def test_the_manager_sees_the_team_in_the_calendar(client, people):
    a = activity(people["owner"], 1, subject="团队拜访", start_at=timezone.now(), status="planned")
    client.force_login(people["manager"])
    own = client.get(reverse("customers:calendar")).content.decode()
    assert "团队拜访" not in own  # the default is the user's own activities
    team = client.get(reverse("customers:calendar"), {"owner": people["owner"].pk}).content
    assert "团队拜访" in team.decode() and a.get_absolute_url() in team.decode()
    assert 'name="owner"' in own  # managers get the owner filter
    client.force_login(people["owner"])
    assert 'name="owner"' not in client.get(reverse("customers:calendar")).content.decode()


def test_feed_token_is_secret_revocable_and_follows_permissions(client, people):
    owner = people["owner"]
    activity(owner, 1, subject="可订阅的拜访", start_at=timezone.now())
    token = actions.create_calendar_feed(user=owner)
    url = reverse("customers:activity_feed", args=[token])
    r = client.get(url)  # no login: the token is the credential
    assert r.status_code == 200 and r["Content-Type"].startswith("text/calendar")
    assert "可订阅的拜访".encode() in b"".join(r.streaming_content)
    assert client.get(reverse("customers:activity_feed", args=["x" + token])).status_code == 404
    new = actions.create_calendar_feed(user=owner)  # a new link revokes the old one
    assert client.get(url).status_code == 404
    assert client.get(reverse("customers:activity_feed", args=[new])).status_code == 200
    actions.revoke_calendar_feed(user=owner)
    assert client.get(reverse("customers:activity_feed", args=[new])).status_code == 404
    token = actions.create_calendar_feed(user=owner)
    owner.is_active = False
    owner.save()
    assert client.get(reverse("customers:activity_feed", args=[token])).status_code == 404


def test_feed_settings_page_shows_the_link_once(client, people):
    client.force_login(people["owner"])
    page = client.get(reverse("customers:calendar_feed"))
    assert page.status_code == 200 and 'id="feed-url"' not in page.content.decode()
    created = client.post(reverse("customers:calendar_feed"), {"action": "create"}).content
    assert b'id="feed-url"' in created and b"/customers/calendar/feed/" in created
    again = client.get(reverse("customers:calendar_feed")).content
    assert b'id="feed-url"' not in again and b"feed-revoke" in again
    from kehu.customers.models import CalendarFeed

    assert CalendarFeed.objects.filter(user=people["owner"]).exists()
    client.post(reverse("customers:calendar_feed"), {"action": "revoke"})
    assert not CalendarFeed.objects.exists()


# --- Reminders ----------------------------------------------------------------------------------


def test_reminders_are_sent_exactly_once(people):
    owner = people["owner"]
    cust = customer(owner, 1)
    soon = log(
        owner,
        cust,
        kind="meeting",
        subject="项目启动会",
        start_at=timezone.now() + datetime.timedelta(minutes=10),
        reminder_minutes=15,
    )
    later = log(
        owner,
        cust,
        subject="稍后电话",
        start_at=timezone.now() + datetime.timedelta(hours=5),
        reminder_minutes=15,
    )
    assert activity_reminders() == {"reminders": 1, "commitments": 0}
    assert activity_reminders() == {"reminders": 0, "commitments": 0}
    notes = Notification.objects.filter(recipient=owner, kind="activity_reminder")
    assert notes.count() == 1 and "项目启动会" in notes.get().title
    assert notes.get().link == soon.get_absolute_url()
    soon.refresh_from_db()
    later.refresh_from_db()
    assert soon.reminded_at is not None and later.reminded_at is None
    # rescheduling re-arms the reminder; it fires once more at the new time
    with acting_as(owner):
        actions.reschedule_activity(
            activity=soon, start_at=timezone.now() + datetime.timedelta(minutes=5)
        )
    assert actions.send_activity_reminders() == 1
    assert actions.send_activity_reminders() == 0
    # done or cancelled activities are not reminded
    with acting_as(owner):
        actions.cancel_activity(activity=later)
    assert actions.send_activity_reminders(now=timezone.now() + datetime.timedelta(hours=6)) == 0


def test_overdue_commitments_are_notified_once_per_due_date(people):
    owner = people["owner"]
    cust = customer(owner, 1)
    today = timezone.localdate()
    a = log(
        owner,
        cust,
        subject="报价沟通",
        commitment="承诺周五前发送正式报价",
        commitment_due=today - datetime.timedelta(days=1),
    )
    log(owner, cust, subject="未到期", commitment="样品", commitment_due=today)
    log(owner, cust, subject="没有承诺")
    assert actions.notify_overdue_commitments() == 1
    assert actions.notify_overdue_commitments() == 0
    note = Notification.objects.get(recipient=owner, kind="commitment_overdue")
    assert "承诺周五前发送正式报价" in note.title
    a.refresh_from_db()
    with acting_as(owner):
        a.commitment_due = today + datetime.timedelta(days=2)  # postponed
        actions.save_activity(activity=a, user=owner)
    assert actions.notify_overdue_commitments(today=today + datetime.timedelta(days=3)) == 2
    with acting_as(owner):
        actions.keep_commitment(activity=a)
    assert actions.notify_overdue_commitments(today=today + datetime.timedelta(days=9)) == 0


def test_the_reminder_task_is_scheduled_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["activity-reminders"]
    assert entry["task"] == activity_reminders.name and entry["schedule"] == 60.0


# --- Hand-over ----------------------------------------------------------------------------------


def test_open_activities_move_with_the_customers_when_an_employee_leaves(people, admin_user):
    from kehu.system.actions import deactivate_employee, handover_summary

    leaver, heir = people["owner"], people["other"]
    cust = customer(leaver, 1)
    open_one = activity(leaver, 1, customer=cust, status="planned")
    done_one = activity(leaver, 2, customer=cust, status="done")
    # an open activity of the leaver on a colleague's customer goes to that customer's owner
    colleague_cust = customer(people["manager"], 3)
    elsewhere = activity(leaver, 3, customer=colleague_cust, status="planned")
    summary = {h.name: n for h, n in handover_summary(leaver)}
    # Customers move first; what follows them (contacts, activities) comes after.
    names = list(summary)
    assert summary["activities"] == 2 and names[0] == "customers"
    assert names.index("activities") > names.index("customers")
    with acting_as(admin_user):
        deactivate_employee(
            employee=leaver, left_on=datetime.date.today(), handover_to=[heir], by=admin_user
        )
    for a in (open_one, done_one, elsewhere):
        a.refresh_from_db()
    assert open_one.owner == heir and open_one.department == heir.department
    assert done_one.owner == leaver  # history stays as it happened
    assert elsewhere.owner == people["manager"]
    assert AuditLog.objects.filter(object_id=str(open_one.pk), changes__has_key="owner_id").exists()


# --- Pages --------------------------------------------------------------------------------------


def test_customer_page_quick_log_with_htmx(client, people):
    owner = people["owner"]
    cust = customer(owner, 1)
    c1 = contact(owner, 1, customer=cust, mobile="13800000001")
    client.force_login(owner)
    page = client.get(cust.get_absolute_url()).content.decode()
    assert 'id="quick-activity"' in page and 'id="timeline-list"' in page
    # the insights column: a registered panel (analytics' value card) or the placeholder
    assert 'id="owners"' in page
    assert "customer-panel-placeholder" in page or 'id="customer-value' in page
    r = client.post(
        reverse("customers:customer_log_activity", args=[cust.pk]),
        {
            "kind": "call",
            "subject": "电话沟通折扣",
            "contacts": [c1.pk],
            "commitment": "答应给予5%的折扣",
            "commitment_due": "2026-12-04",
        },
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and r["HX-Trigger"] == "activity-logged"
    a = Activity.objects.get()
    assert a.commitment == "答应给予5%的折扣" and list(a.contacts.all()) == [c1]
    bad = client.post(
        reverse("customers:customer_log_activity", args=[cust.pk]),
        {"kind": "call", "subject": ""},
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 200 and "HX-Trigger" not in bad
    assert "invalid-feedback" in bad.content.decode()
    assert Activity.objects.count() == 1


def test_customer_page_for_a_viewer_without_edit_rights(client, make_user, people):
    from kehu.system.models import Role

    role = Role.objects.create(name="看客", default_view_scope="all", default_edit_scope="own")
    from django.contrib.auth.models import Permission

    role.permissions.set(
        Permission.objects.filter(
            content_type__app_label="customers",
            codename__in=["view_customer", "view_activity", "add_activity", "view_contact"],
        )
    )
    viewer = make_user(None, "b")
    viewer.roles.add(role)
    cust = customer(people["owner"], 1)
    client.force_login(viewer)
    page = client.get(cust.get_absolute_url()).content.decode()
    assert 'id="quick-activity"' not in page and 'id="timeline-list"' in page
    r = client.post(
        reverse("customers:customer_log_activity", args=[cust.pk]), {"kind": "call", "subject": "x"}
    )
    assert r.status_code == 403


def test_contact_page_lists_the_contacts_activities(client, people):
    owner = people["owner"]
    cust = customer(owner, 1)
    c1 = contact(owner, 1, customer=cust, mobile="13800000001")
    log(owner, cust, subject="和联系人通话", contacts=[c1])
    log(owner, cust, subject="别的电话")
    client.force_login(owner)
    page = client.get(c1.get_absolute_url()).content.decode()
    assert 'id="contact-activities"' in page
    assert "和联系人通话" in page and "别的电话" not in page


def test_activity_list_filters(client, people):
    owner = people["owner"]
    cust = customer(owner, 1)
    log(owner, cust, subject="有承诺", commitment="免费样品")
    log(owner, cust, subject="保修已延长", commitment="延长保修")
    with unaudited_write("test set-up"):
        Activity.objects.filter(subject="保修已延长").update(commitment_kept=True)
    log(owner, cust, kind="visit", subject="上门拜访")
    client.force_login(owner)
    url = reverse("customers:activity_list")
    page = client.get(url, {"open_commitments": "true"}).content.decode()
    assert "有承诺" in page and "保修已延长" not in page and "上门拜访" not in page
    page = client.get(url, {"kind": "visit"}).content.decode()
    assert "上门拜访" in page and "有承诺" not in page
    today = timezone.localdate()
    page = client.get(url, {"date_from": today + datetime.timedelta(days=1)}).content.decode()
    assert "上门拜访" not in page
    api = client.get("/api/activities/", {"customer": cust.pk, "kind": "call"}).json()
    assert {row["subject"] for row in api["results"]} == {"有承诺", "保修已延长"}


def test_calendar_month_and_week_grids(client, people):
    owner = people["owner"]
    day = datetime.date(2026, 3, 18)
    start = timezone.make_aware(datetime.datetime(2026, 3, 18, 10, 30))
    a = activity(owner, 1, subject="三月拜访", start_at=start, status="planned")
    client.force_login(owner)
    month = client.get(reverse("customers:calendar"), {"date": day.isoformat()})
    html = month.content.decode()
    assert html.count('class="calendar-day') == 42  # 2026-02-23 (Mon) .. 2026-04-05 (Sun)
    assert 'data-date="2026-03-18"' in html and a.get_absolute_url() in html
    assert "10:30" in html and "date=2026-04-01" in html and "date=2026-02-01" in html
    week = client.get(
        reverse("customers:calendar"),
        {"date": day.isoformat(), "view": "week"},
        HTTP_HX_REQUEST="true",
    )
    whtml = week.content.decode()
    assert "<html" not in whtml  # the HTMX answer is the grid alone
    assert whtml.count('class="calendar-day') == 7 and "三月拜访" in whtml
    other_week = client.get(reverse("customers:calendar"), {"date": "2026-03-25", "view": "week"})
    assert "三月拜访" not in other_week.content.decode()


def test_calendar_queries_do_not_grow_with_rows(client, people):
    owner = people["owner"]
    client.force_login(owner)
    url = reverse("customers:calendar")
    counts = []
    for n in (1, 30):
        for i in range(n):
            activity(owner, 100 * n + i, start_at=timezone.now() - datetime.timedelta(hours=i))
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


@pytest.mark.django_db
def test_erasing_a_contact_scrubs_their_values_from_activity_text_and_its_history(
    people, admin_user
):
    sales = people["owner"]
    cust = customer(sales, 71)
    person = contact(sales, 71, customer=cust, name="欧阳明", mobile="13955550000")
    kept = log(sales, cust, subject="季度回顾")
    with acting_as(sales):
        involved = actions.log_activity(
            customer=cust,
            user=sales,
            kind=Activity.Kind.CALL,
            subject="致电欧阳明",
            description="欧阳明的手机 13955550000，约周五拜访",
            commitment="给欧阳明报价",
            contacts=[person],
        )
        involved.outcome = "欧阳明同意"
        involved.save()
    actions.erase_personal_data(record=person, user=admin_user, reason="PIPL 请求 7")
    involved.refresh_from_db()
    for field in ("subject", "description", "commitment", "outcome"):
        value = getattr(involved, field)
        assert "欧阳明" not in value and "13955550000" not in value, field
    assert "[erased]" in involved.description and "约周五拜访" in involved.description
    history = str(list(AuditLog.for_object(involved).values_list("changes", "object_repr")))
    assert "欧阳明" not in history and "13955550000" not in history
    kept_before = kept.subject
    kept.refresh_from_db()
    assert kept.subject == kept_before  # activities without the person are untouched
    erasure = AuditLog.for_object(person).get(action="erase")
    assert erasure.changes["related"]["customers.activity"] == 1


@pytest.mark.django_db
def test_an_edit_form_left_open_cannot_restore_erased_activity_text(people, admin_user):
    """The erasure bumps the version of the activities it rewrites: a copy loaded before it (an
    edit form left open) is refused as stale instead of writing the erased values back."""
    from kehu.core.errors import StaleObjectError

    sales = people["owner"]
    cust = customer(sales, 72)
    person = contact(sales, 72, customer=cust, name="司马光", mobile="13955551111")
    with acting_as(sales):
        involved = actions.log_activity(
            customer=cust,
            user=sales,
            kind=Activity.Kind.CALL,
            subject="致电司马光",
            description="司马光的手机 13955551111",
            contacts=[person],
        )
    open_form = Activity.objects.get(pk=involved.pk)
    actions.erase_personal_data(record=person, user=admin_user, reason="PIPL 请求 8")
    involved.refresh_from_db()
    assert involved.version == open_form.version + 1
    open_form.location = "北京"
    with pytest.raises(StaleObjectError):
        open_form.save()
    involved.refresh_from_db()
    assert "司马光" not in involved.subject and "司马光" not in involved.description
    entry = AuditLog.for_object(involved).get(action="erase")  # names fields, never values
    assert entry.changes == {"fields": ["description", "subject"]} and entry.user == admin_user
