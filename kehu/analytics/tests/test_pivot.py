"""Sales reports (kehu.analytics.pivot): figures against hand-worked sums, within the reader's
data scope; distinct counts not added across cells; drill-down; bad parameters are 400; the CSV
is what the table shows, formula-escaped; the query count does not grow with the data."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

URL = "/analytics/reports/"


def _order(owner, cust, day, lines, status="confirmed"):
    from kehu.sales.models import SalesOrder
    from kehu.sales.models.orders import SalesOrderLine

    order = SalesOrder(
        customer=cust,
        currency="CNY",
        order_date=day,
        status=status,
        total=sum((q * p for _prod, q, p in lines), Decimal(0)),
        owner=owner,
        department=owner.department,
    )
    order.save()
    for i, (prod, quantity, price) in enumerate(lines):
        SalesOrderLine(
            order=order,
            position=i,
            product=prod,
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
            line_total=Decimal(quantity) * Decimal(price),
        ).save()
    return order


@pytest.fixture
def book(make_user):
    """Seller A: 上海 customer (two orders in 2026 Q1, one of two lines; one in Q2) and 杭州
    customer (Q2). Seller B (other branch): 上海 customer (Q1). A cancelled order counts nowhere."""
    from kehu.customers.tests.factories import customer
    from kehu.sales.tests.factories.orders import product

    a = make_user("salesperson", "a1")
    b = make_user("salesperson", "b")
    p1, p2 = product("PV1", name="打印机"), product("PV2", name="硒鼓")
    sh = customer(a, 1, name="上海甲", city="上海")
    hz = customer(a, 2, name="杭州乙", city="杭州")
    other = customer(b, 3, name="上海丙", city="上海")
    d = datetime.date
    _order(a, sh, d(2026, 1, 10), [(p1, 2, 100), (p2, 1, 50)])  # 250
    _order(a, sh, d(2026, 2, 1), [(p2, 4, 25)])  # 100
    _order(a, sh, d(2026, 4, 5), [(p1, 1, 300)])  # 300
    _order(a, hz, d(2026, 5, 5), [(p2, 10, 10)])  # 100
    _order(b, other, d(2026, 3, 1), [(p1, 1, 1000)])  # 1000
    _order(a, hz, d(2026, 3, 3), [(p1, 1, 9999)], status="cancelled")
    return {"a": a, "b": b, "products": (p1, p2)}


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.django_db
def test_revenue_by_city_by_quarter_in_the_readers_scope(client, book, make_user):
    client.force_login(book["a"])
    q = "?rows=city&columns=quarter&from=2026-01-01&to=2026-12-31&format=csv"
    rows = _csv(client.get(URL + q))
    assert rows[0][1:] == ["2026 Q1", "2026 Q2", "合计"]  # the sellers work in Chinese
    # seller A never sees seller B's 上海丙 (1000) nor the cancelled order
    assert rows[1:] == [["上海", "350.00", "300.00", "650.00"], ["杭州", "", "100.00", "100.00"]]

    admin = make_user("administrator", "hq", is_superuser=True)
    client.force_login(admin)
    rows = _csv(client.get(URL + q))
    assert rows[1] == ["上海", "1350.00", "300.00", "1650.00"]


@pytest.mark.django_db
def test_distinct_counts_are_not_added_up(client, book):
    client.force_login(book["a"])
    page = client.get(URL + "?measure=customers&rows=product").content.decode()
    # both products were bought by both of A's customers... 打印机 by 上海甲 only, 硒鼓 by both;
    # the grand total is 2 customers, not 1 + 2
    rows = _csv(client.get(URL + "?measure=customers&rows=product&format=csv"))
    assert {r[0]: r[-1] for r in rows[1:]} == {"PV2 硒鼓": "2", "PV1 打印机": "1"}
    assert 'id="pivot-total">2<' in page
    rows = _csv(client.get(URL + "?measure=orders&rows=city&format=csv"))
    assert {r[0]: r[-1] for r in rows[1:]} == {"上海": "3", "杭州": "1"}


@pytest.mark.django_db
def test_drilling_into_a_row_filters_it_and_opens_the_next_dimension(client, book):
    client.force_login(book["a"])
    page = client.get(URL + "?rows=city", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    link = next(
        line for line in page.split('href="?')[1:] if "f_city=%E4%B8%8A%E6%B5%B7" in line[:200]
    ).split('"')[0]
    assert "rows=customer" in link
    drilled = client.get(URL + "?" + link.replace("&amp;", "&")).content.decode()
    assert "上海甲" in drilled and "杭州乙" not in drilled
    assert 'id="pivot-filters"' in drilled
    rows = _csv(client.get(URL + "?rows=quarter&f_city=上海&format=csv"))
    assert [r[0] for r in rows[1:]] == ["2026 Q1", "2026 Q2"] and rows[-1][-1] == "300.00"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "?measure=profit",
        "?rows=planet",
        "?f_planet=1",
        "?f_owner=abc",
        "?from=9999-01-01",
        "?to=2026-13-40",
        "?f_month=yesterday",
    ],
)
def test_bad_parameters_are_a_clear_400(client, book, query):
    client.force_login(book["a"])
    response = client.get(URL + query)
    assert response.status_code == 400


@pytest.mark.django_db
def test_the_csv_escapes_formulas_and_others_get_403(client, book, make_user):
    from kehu.customers.tests.factories import customer

    evil = customer(book["a"], 9, name="坏", city="=HYPERLINK(1)")
    _order(book["a"], evil, datetime.date(2026, 6, 1), [(book["products"][0], 1, 1)])
    client.force_login(book["a"])
    rows = _csv(client.get(URL + "?rows=city&format=csv"))
    assert ["'=HYPERLINK(1)", "1.00"] in rows
    client.force_login(make_user("", "a1"))
    assert client.get(URL).status_code == 403


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_data(client, book):
    from kehu.customers.tests.factories import customer

    client.force_login(book["a"])
    q = URL + "?rows=customer&columns=month"
    ctx_last = []

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(q).status_code == 200
        ctx_last[:] = ctx.captured_queries
        return len(ctx)

    count()  # the first request of a session warms its caches (permissions, navigation)
    before = count()
    for i in range(12):
        cust = customer(book["a"], 100 + i, name=f"更多客户{i}", city=f"城{i}")
        _order(book["a"], cust, datetime.date(2026, 1 + i % 12, 2), [(book["products"][1], 1, 5)])
    after = count()
    assert after == before, "\n".join(q["sql"][:150] for q in ctx_last)


@pytest.mark.django_db
def test_the_empty_state(client, make_user):
    client.force_login(make_user("salesperson", "a1"))
    page = client.get(URL).content.decode()
    assert 'id="pivot-empty"' in page
