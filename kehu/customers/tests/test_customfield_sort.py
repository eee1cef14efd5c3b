"""Sorting lists by custom fields: numbers numerically, dates chronologically, choices by label,
text alphabetically, empty values last in both directions; keyset pages neither skip nor repeat
rows, in both directions; saved views keep the sort; exports follow it; queries stay flat.
Runs on SQLite and PostgreSQL (the JSON expressions differ underneath)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kehu.core.models import SavedView
from kehu.core.pagination import keyset_page, order_for_sort
from kehu.customers.models import Customer
from kehu.system.tests.factories_customfields import custom_field

from .factories import customer as make_customer

pytestmark = pytest.mark.django_db

CHOICES = [
    {"code": "web", "label_zh": "官网", "label_en": "Website"},
    {"code": "expo", "label_zh": "展会", "label_en": "Trade show"},
    {"code": "ref", "label_zh": "老客户介绍", "label_en": "Referral"},
]


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager", "a1")


@pytest.fixture
def fields(db):
    return {
        "amount": custom_field(
            None, code="amount", label_zh="年采购额", kind="number", show_in_list=True
        ),
        "since": custom_field(None, code="since", label_zh="首次合作日期", kind="date"),
        "source": custom_field(
            None, code="source", label_zh="客户来源", kind="choice", choices=CHOICES
        ),
        "note": custom_field(None, code="note", label_zh="备注词", kind="text"),
    }


@pytest.fixture
def rows(manager, fields):
    """13 customers: numbers that sort differently as text (9 < 10 < 100), ties, empties."""
    values = [
        {"amount": 100, "since": "2021-03-01", "source": "web", "note": "b"},
        {"amount": 9, "since": "2019-12-31", "source": "expo", "note": "a"},
        {"amount": 10, "since": "2020-01-15", "source": "ref", "note": "c"},
        {},
        {"amount": 10, "since": "2020-01-15", "source": "web", "note": "a"},
        {"amount": -5.5, "since": "2023-07-07"},
        {},
        {"amount": 1000000, "source": "expo", "note": "d"},
        {"amount": 9, "since": "2019-01-01", "source": "ref"},
        {"amount": 0},
        {},
        {"amount": 10.25, "since": "2022-02-02", "note": "e"},
        {"amount": 9, "source": "web"},
    ]
    return [
        make_customer(manager, n, custom=v, name=f"排序客户{n:02d}") for n, v in enumerate(values)
    ]


def expected(code, desc=False, key=None):
    """Python's idea of the order: non-empty by value (then id, same direction), empty last by id."""
    objs = list(Customer.objects.order_by("pk"))
    key = key or (lambda v: v)
    full = [o for o in objs if o.custom.get(code) not in (None, "")]
    empty = [o for o in objs if o.custom.get(code) in (None, "")]
    full.sort(key=lambda o: (key(o.custom[code]), o.pk), reverse=desc)
    empty.sort(key=lambda o: o.pk, reverse=desc)
    return [o.pk for o in full + empty]


def walk(sort, size=4):
    qs = Customer.objects.all()
    seen, after = [], None
    while True:
        page = keyset_page(qs, sort=sort, page_size=size, after=after, count=False)
        seen += [r.pk for r in page.rows]
        if not page.next_cursor:
            break
        after = page.next_cursor
    back = []
    page = keyset_page(qs, sort=sort, page_size=size, last=True, count=False)
    back = [r.pk for r in page.rows]
    while page.prev_cursor:
        page = keyset_page(qs, sort=sort, page_size=size, before=page.prev_cursor, count=False)
        back = [r.pk for r in page.rows] + back
    assert back == seen
    return seen


LABEL_RANK = {"web": 0, "expo": 2, "ref": 1}  # 官网 guan, 老客户介绍 lao, 展会 zhan


@pytest.mark.parametrize(
    "code,key",
    [
        ("amount", float),
        ("since", str),
        ("source", LABEL_RANK.__getitem__),
        ("note", str),
    ],
)
@pytest.mark.parametrize("desc", [False, True])
def test_keyset_pages_sort_each_kind_without_skips_or_repeats(rows, code, key, desc):
    sort = f"-custom.{code}" if desc else f"custom.{code}"
    got = walk(sort)
    assert got == expected(code, desc, key)
    assert len(got) == len(set(got)) == len(rows)
    assert list(order_for_sort(Customer.objects.all(), sort).values_list("pk", flat=True)) == got


def test_numbers_sort_numerically_not_as_text(rows):
    amounts = [Customer.objects.get(pk=pk).custom.get("amount") for pk in walk("custom.amount")]
    assert amounts[:6] == [-5.5, 0, 9, 9, 9, 10]
    assert amounts[-3:] == [None, None, None]
    desc = [Customer.objects.get(pk=pk).custom.get("amount") for pk in walk("-custom.amount")]
    assert desc[:3] == [1000000, 100, 10.25] and desc[-1] is None


def names(html: str) -> list[str]:
    return re.findall(r"排序客户\d\d", html)


def test_list_page_sorts_across_two_pages_and_the_saved_view_keeps_it(client, manager, rows):
    client.force_login(manager)
    url = reverse("customers:customer_list")
    page1 = client.get(url, {"sort": "custom.amount", "per_page": 25})
    html = page1.content.decode()
    assert "sort=-custom.amount" in html  # the column header toggles the direction
    order = [f"排序客户{Customer.objects.get(pk=pk).name[-2:]}" for pk in walk("custom.amount")]
    # more rows than a page: two pages of 25
    for n in range(30):
        make_customer(manager, 100 + n, custom={"amount": 50 + n}, name=f"排序客户{n + 13:02d}")
    pks = walk("custom.amount", size=25)
    order = [Customer.objects.get(pk=pk).name for pk in pks]
    first = client.get(url, {"sort": "custom.amount", "per_page": 25})
    got = names(first.content.decode())
    nxt = re.search(r'href="(\?[^"]*after=[^"]+)"', first.content.decode())
    second = client.get(url + nxt.group(1).replace("&amp;", "&"))
    got += names(second.content.decode())
    assert got == order and len(set(got)) == 43
    # a saved view keeps the sort
    client.post(
        reverse("core:saved_view_add"),
        {"object_type": "customers.customer", "name": "按采购额", "query": "sort=-custom.amount"},
    )
    view = SavedView.objects.get(user=manager)
    assert view.query == "sort=-custom.amount"
    shown = names(client.get(view.get_absolute_url(), follow=True).content.decode())
    assert shown[0] == Customer.objects.get(pk=walk("-custom.amount")[0]).name


def test_unknown_custom_sort_falls_back_and_bad_cursor_is_ignored(client, manager, rows):
    client.force_login(manager)
    url = reverse("customers:customer_list")
    assert client.get(url, {"sort": "custom.nope"}).status_code == 200
    assert client.get(url, {"sort": "custom.amount", "after": "WzEsMl0"}).status_code == 200
    from kehu.core.pagination import encode_cursor

    for bad in ([[0, "x"], "y"], [[0, None], 3], [[5, 1], 3], ["a", 1]):
        r = client.get(
            url, {"sort": "custom.amount", "after": encode_cursor("custom.amount", *bad)}
        )
        assert r.status_code == 200
    page = keyset_page(Customer.objects.all(), sort="custom.nope", page_size=5)
    assert len(page.rows) == 5


def test_export_follows_the_custom_sort(client, manager, rows):
    client.force_login(manager)
    response = client.get(
        reverse("customers:customer_list"), {"sort": "-custom.amount", "export": "csv"}
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    exported = [r[1] for r in list(csv.reader(io.StringIO(body)))[1:]]
    assert exported == [Customer.objects.get(pk=pk).name for pk in walk("-custom.amount")]


def test_sorted_list_queries_do_not_grow_with_rows(client, manager, rows):
    client.force_login(manager)
    url = reverse("customers:customer_list")
    counts = []
    for extra in (0, 20):
        for n in range(extra):
            make_customer(manager, 200 + n, custom={"amount": n, "source": "web"})
        client.get(url, {"sort": "custom.source"})
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, {"sort": "custom.source"}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("desc", [False, True])
def test_api_ordering_by_a_custom_field_pages_forward_and_back(client, manager, rows, desc):
    client.force_login(manager)
    sort = f"{'-' if desc else ''}custom.amount"
    url, seen, pages = f"/api/customers/?ordering={sort}&page_size=4", [], []
    while url:
        body = client.get(url).json()
        pages.append(body)
        seen += [r["id"] for r in body["results"]]
        url = body["next"]
    assert seen == walk(sort) and len(pages) == 4
    assert pages[0]["previous"] is None
    # back from the last page with "previous" links
    back, body = [], pages[-1]
    while body["previous"]:
        body = client.get(body["previous"]).json()
        back = [r["id"] for r in body["results"]] + back
    assert back == seen[: len(back)] and len(back) == 12
    # unknown custom fields are ignored like unknown fields; plain fields still order
    assert client.get("/api/customers/?ordering=custom.nope").status_code == 200
    names = [r["name"] for r in client.get("/api/customers/?ordering=name").json()["results"]]
    assert names == sorted(names)
