"""Bad input answers a 4xx with a message in the user's language, never a 500: impossible or
out-of-range dates, NUL characters, ids that are not numbers, JSON nested too deep."""

from __future__ import annotations

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

RANGE = "between 1900-01-01 and 2100-12-31"


@pytest.fixture
def admin_client(admin_user):
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/customers/calendar/?date=2026-02-30", 400, "is not a valid date"),
        ("/customers/calendar/?date=9999-12-31", 400, RANGE),
        ("/customers/calendar/?date=0001-01-01", 400, RANGE),
        ("/customers/activities/?date_to=9999-12-31", 200, RANGE),  # the filter form says why
        ("/customers/calendar/activities.ics?date_to=9999-12-31", 400, RANGE),
        ("/api/activities/?date_to=9999-12-31", 400, RANGE),
        ("/api/activities/?date_from=0001-01-01", 400, RANGE),
        ("/customers/activities/add/?start=2026-02-30T10:00", 400, "not a valid date and time"),
        ("/customers/activities/add/?start=0001-01-01T00:00", 400, RANGE),
        ("/search/?q=a%00b", 400, "NUL character"),
        ("/api/saved-views/?object_type=a%00b", 400, "NUL character"),
        ("/api/shares/?object_type=customers.customer&object_id=abc", 400, "not a valid number"),
        ("/api/customer-lifecycle/true/", 404, ""),
        ("/api/holidays/?year=6.966928612201667e%2B16", 400, "2100"),
        ("/api/holidays/?year=0", 400, "1900"),
    ],
)
def test_bad_query_answers_4xx_with_a_message(admin_client, url, status, message):
    response = admin_client.get(url)
    assert response.status_code == status, (url, response.status_code)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert message in body.decode()


def test_bad_query_message_in_chinese(admin_user):
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    response = client.get("/customers/calendar/?date=0001-01-01")
    assert response.status_code == 400
    assert "1900-01-01" in response.content.decode() and "日期" in response.content.decode()


def test_nul_in_a_form_post_is_refused(admin_client):
    response = admin_client.post("/customers/customers/add/", {"name": "a\x00b"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        "[" * 10_000 + "]" * 10_000,
        '{"a":' * 100 + "1" + "}" * 100,
        json.dumps({"name": "a\x00b"}),
        json.dumps({"custom": {"x\x00": "y"}}),
    ],
)
def test_api_json_too_deep_or_with_nul_is_400(admin_client, body):
    response = admin_client.post("/api/saved-views/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]


# --- Dates out of range (finding 6) --------------------------------------------------------------


def test_api_refuses_a_start_near_year_one(admin_client, admin_user):
    from kehu.customers.tests.factories import activity

    obj = activity(admin_user, 1)
    response = admin_client.patch(
        f"/api/activities/{obj.pk}/",
        {"start_at": "0001-01-01T00:00:00Z", "reminder_minutes": 60, "version": obj.version},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert RANGE in str(response.json())
    assert admin_client.get(f"/api/activities/{obj.pk}/").status_code == 200


def test_quick_log_form_refuses_year_one(admin_client, admin_user):
    from kehu.customers.models import Activity
    from kehu.customers.tests.factories import customer

    cust = customer(admin_user, 1)
    response = admin_client.post(
        f"/customers/customers/{cust.pk}/log-activity/",
        {"kind": "call", "subject": "x", "start_at": "0001-01-01T00:00"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and RANGE in response.content.decode()
    assert not Activity.objects.filter(customer=cust).exists()


def test_reminder_task_skips_a_row_out_of_range(admin_user):
    import datetime

    from django.db import connection
    from django.utils import timezone

    from kehu.customers import actions
    from kehu.customers.models import Activity
    from kehu.customers.tests.factories import activity

    now = timezone.now()
    bad = activity(admin_user, 1, status=Activity.Status.PLANNED, start_at=now)
    good = activity(admin_user, 2, status=Activity.Status.PLANNED, start_at=now, remind_at=now)
    with connection.cursor() as cursor:  # a row stored before dates were checked
        pg = connection.vendor == "postgresql"
        stamp = "0001-12-31 23:00:00+00 BC" if pg else "0000-12-31 23:00:00"
        cursor.execute(
            f"UPDATE {Activity._meta.db_table} SET remind_at = %s WHERE id = %s", [stamp, bad.pk]
        )
    assert actions.send_activity_reminders(now=now + datetime.timedelta(minutes=1)) == 1
    assert Activity.objects.filter(pk=good.pk, reminded_at__isnull=False).exists()


# --- Optimistic lock: the version is required -----------------------------------------------------


def test_api_update_needs_version_or_if_match(admin_client, admin_user):
    from kehu.customers.tests.factories import customer

    obj = customer(admin_user, 1)
    url = f"/api/customers/{obj.pk}/"
    etag = admin_client.get(url)["ETag"]
    assert etag == f'"{obj.version}"'
    missing = admin_client.patch(url, {"city": "北京"}, content_type="application/json")
    assert missing.status_code == 428 and "If-Match" in missing.json()["detail"]
    stale_tag = admin_client.patch(
        url, {"city": "北京"}, content_type="application/json", HTTP_IF_MATCH='"99"'
    )
    assert stale_tag.status_code == 412
    ok = admin_client.patch(
        url, {"city": "北京"}, content_type="application/json", HTTP_IF_MATCH=etag
    )
    assert ok.status_code == 200 and ok["ETag"] == f'"{obj.version + 1}"'
    stale = admin_client.patch(
        url, {"city": "广州", "version": obj.version}, content_type="application/json"
    )
    assert stale.status_code == 409
    obj.refresh_from_db()
    assert obj.city == "北京"


def test_edit_form_without_version_is_refused(admin_client, admin_user):
    from kehu.customers.tests.factories import customer

    obj = customer(admin_user, 1)
    response = admin_client.post(
        f"/customers/customers/{obj.pk}/edit/", {"name": "改名", "city": "北京"}
    )
    assert response.status_code == 200
    assert "missing the record" in response.content.decode()
    obj.refresh_from_db()
    assert obj.name != "改名"
