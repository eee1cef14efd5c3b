"""Keyset pagination over a nullable sort column with duplicates, in the UI and the API, and
what hand-edited cursors do (start from the first page, never a 500)."""

from __future__ import annotations

import base64
import datetime
import os

import pytest
from django.urls import reverse

from kehu.core.pagination import keyset_page, order_for_sort
from kehu.customers.models import Activity
from kehu.customers.tests.factories import activity, customer

DAYS = [None, 3, 1, None, 3, 2, None, 1, 3, None, None, 2]  # NULLs and duplicates


@pytest.fixture
def manager(make_user):
    user = make_user("sales_manager", "a1")
    cust = customer(user, 1)
    today = datetime.date(2026, 3, 1)
    for n in range(61):
        day = DAYS[n % len(DAYS)]
        due = None if day is None else today + datetime.timedelta(days=day)
        activity(user, n + 1, customer=cust, commitment_due=due)
    return user


def expected(sort: str) -> list[int]:
    """Values in order then empty values, ties by id, in both directions."""
    desc = sort.startswith("-")
    rows = list(Activity.objects.values_list("commitment_due", "pk"))
    filled = sorted((r for r in rows if r[0] is not None), reverse=desc)
    empty = sorted((r for r in rows if r[0] is None), reverse=desc)
    return [pk for _due, pk in filled + empty]


def token(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["commitment_due", "-commitment_due"])
def test_keyset_walks_a_nullable_column_both_ways(manager, sort):
    qs = Activity.objects.all()
    want = expected(sort)
    assert list(order_for_sort(qs, sort).values_list("pk", flat=True)) == want  # exports
    seen, after = [], None
    while True:
        page = keyset_page(qs, sort=sort, page_size=4, after=after)
        seen += [r.pk for r in page.rows]
        if not page.next_cursor:
            break
        after = page.next_cursor
    assert seen == want
    page = keyset_page(qs, sort=sort, page_size=4, last=True)
    back = [r.pk for r in page.rows]
    while page.prev_cursor:
        page = keyset_page(qs, sort=sort, page_size=4, before=page.prev_cursor)
        back = [r.pk for r in page.rows] + back
    assert back == want


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["commitment_due", "-commitment_due"])
def test_list_pages_walk_a_nullable_column_both_ways(client, manager, sort):
    client.force_login(manager)
    url = reverse("customers:activity_list")
    r = client.get(url, {"sort": sort, "per_page": 25})
    seen = [a.pk for a in r.context["page"].rows]
    while r.context["next_url"]:
        r = client.get(url + r.context["next_url"])
        assert r.status_code == 200
        seen += [a.pk for a in r.context["page"].rows]
    assert seen == expected(sort)
    back = [a.pk for a in r.context["page"].rows]
    while r.context["prev_url"]:
        r = client.get(url + r.context["prev_url"])
        back = [a.pk for a in r.context["page"].rows] + back
    assert back == expected(sort)


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["commitment_due", "-commitment_due"])
def test_api_walks_a_nullable_column_both_ways(client, manager, sort):
    client.force_login(manager)
    body = client.get("/api/activities/", {"ordering": sort, "page_size": 7}).json()
    seen = [a["id"] for a in body["results"]]
    while body["next"]:
        body = client.get(body["next"]).json()
        seen += [a["id"] for a in body["results"]]
    assert seen == expected(sort)
    back = [a["id"] for a in body["results"]]
    while body["previous"]:
        body = client.get(body["previous"]).json()
        back = [a["id"] for a in body["results"]] + back
    assert back == expected(sort)


BAD = [
    "!!!",
    "\x00",
    "null",
    "1e999999",
    token("null"),
    token("1e999999"),
    token('["2026-13-45",1]'),  # the old format, a date that does not exist
    token('{"s":"commitment_due","k":["2026-13-45",1]}'),
    token('{"s":"commitment_due","k":["2026-03-02\\u0000",1]}'),
    token('{"s":"commitment_due","k":[1e999999,1]}'),
    token('{"s":"commitment_due","k":["2026-03-02",1e999999]}'),
    token('{"s":"commitment_due","k":["2026-03-02",99999999999999999999999]}'),
    token('{"s":"commitment_due","k":["2026-03-02",true]}'),
    token('{"s":"commitment_due","k":[{"a":1},1]}'),
    token('{"s":"commitment_due","k":[17,1]}'),
    token('{"s":"-subject","k":["电话",1]}'),  # a cursor of another sort
    token('{"s":"start_at","k":["9999-12-31T23:59:59-14:00",1]}'),
    token('{"s":"start_at","k":[null,1]}'),  # NULL for a column that has none
    token('{"s":"subject","k":["a\\u0000b",1]}'),
    token("[" * 100_000),
    base64.urlsafe_b64encode(os.urandom(48)).decode(),
]
SORTS = ["commitment_due", "-commitment_due", "start_at", "subject", "-pk"]


def refused_whole(value: str) -> bool:
    """A raw NUL character in any query value is a 400 for the whole request
    (``RejectNulMiddleware``), before any cursor is read; hidden inside a token it is the
    cursor's problem (first page)."""
    return "\x00" in value


@pytest.mark.django_db
@pytest.mark.parametrize("sort", SORTS)
def test_a_hand_edited_cursor_starts_the_list_from_its_first_page(client, manager, sort):
    client.force_login(manager)
    url = reverse("customers:activity_list")
    first = [a.pk for a in client.get(url, {"sort": sort}).context["page"].rows]
    for bad in BAD:
        for param in ("after", "before"):
            r = client.get(url, {"sort": sort, param: bad})
            if refused_whole(bad):
                assert r.status_code == 400, (param, bad)
                continue
            assert r.status_code == 200, (param, bad)
            assert [a.pk for a in r.context["page"].rows] == first, (param, bad)


@pytest.mark.django_db
@pytest.mark.parametrize("sort", SORTS)
def test_a_hand_edited_api_cursor_starts_from_the_first_page(client, manager, sort):
    client.force_login(manager)
    ordering = sort.replace("pk", "id")
    first = client.get("/api/activities/", {"ordering": ordering}).json()["results"]
    for bad in BAD:
        for cursor in (bad, "a" + bad, "b" + bad):
            r = client.get("/api/activities/", {"ordering": ordering, "cursor": cursor})
            if refused_whole(cursor):
                assert r.status_code == 400, cursor
                continue
            assert r.status_code == 200, cursor
            assert r.json()["results"] == first, cursor


@pytest.mark.django_db
def test_a_hand_edited_timeline_cursor_starts_from_the_newest(client, manager):
    """The customer timeline's cursor (time|skip) follows the same rule."""
    client.force_login(manager)
    url = reverse("customers:customer_timeline", args=[Activity.objects.first().customer_id])
    first = client.get(url).content
    for bad in (
        "9999-12-31T23:59:59-14:00|0",
        "0001-01-01T00:00:00+14:00|0",
        "2026-03-01T00:00:00\x00|0",
        "2026-13-45T00:00:00|0",
        "2026-03-01T00:00:00|99999999999999999999999",
        "2026-03-01T00:00:00|-1",
        "|",
        "\x00",
    ):
        r = client.get(url, {"cursor": bad})
        if refused_whole(bad):
            assert r.status_code == 400, bad
            continue
        assert r.status_code == 200, bad
        assert r.content == first, bad


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["name_sort", "-name_sort"])
def test_a_small_list_sorted_in_memory_walks_like_the_index(make_user, sort):
    """``keyset_page(small=True)`` orders by an expression (no index walk) and pages exactly
    like the index order: same rows, same ties by id, forwards and backwards."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kehu.customers.models import Customer

    user = make_user("salesperson", "a1")
    for n, name in enumerate(
        ["李娜", "礼拿", "李娜", "阿里", "Zed", "张伟", "李娜", "北京"] * 3, 1
    ):
        customer(user, n, name=name)  # homophones and duplicates: ties broken by id
    qs = Customer.objects.all()
    desc = sort.startswith("-")
    want = [pk for _k, pk in sorted(qs.values_list("name_sort", "pk"), reverse=desc)]

    def walk(small: bool) -> tuple[list[int], list[int]]:
        seen, after = [], None
        while True:
            page = keyset_page(qs, sort=sort, page_size=5, after=after, small=small)
            seen += [r.pk for r in page.rows]
            if not page.next_cursor:
                break
            after = page.next_cursor
        page = keyset_page(qs, sort=sort, page_size=5, last=True, small=small)
        back = [r.pk for r in page.rows]
        while page.prev_cursor:
            page = keyset_page(qs, sort=sort, page_size=5, before=page.prev_cursor, small=small)
            back = [r.pk for r in page.rows] + back
        return seen, back

    assert walk(False) == (want, want)
    with CaptureQueriesContext(connection) as ctx:
        assert walk(True) == (want, want)
    pages = [q["sql"] for q in ctx.captured_queries if "ORDER BY" in q["sql"]]
    assert pages and all(
        "||" in sql.rsplit("ORDER BY", 1)[1] or "CONCAT" in sql.rsplit("ORDER BY", 1)[1].upper()
        for sql in pages
    )
