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
