"""Outliers: robust scores against hand-worked figures; planted oddities found and nothing else;
the page lists only orders in the reader's scope, with the reason in their language."""

from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np
import pytest

from kehu.analytics.outliers import line_outliers, modified_z, order_outliers, payment_outliers


def test_the_modified_z_score_by_hand():
    values = np.array([10.0, 10.0, 11.0, 12.0, 9.0, 10.0, 50.0])
    # median 10; |deviations| 0 0 1 2 1 0 40 → MAD 1 → σ̂ 1.4826; (50 − 10) / 1.4826 = 26.98
    z, median = modified_z(values, 50.0)
    assert median == 10 and z == pytest.approx(26.98, abs=0.01)
    # all peers equal: the floor keeps the score finite
    z, _m = modified_z(np.array([5.0] * 6), 7.0, floor=1.0)
    assert z == pytest.approx(2.0)


def _line(order, product, price, discount):
    return {
        "order_id": order,
        "product_id": product,
        "product_name": f"P{product}",
        "unit_price": Decimal(price),
        "discount_percent": Decimal(discount),
    }


def test_a_big_discount_and_a_low_price_are_found_ordinary_variety_is_not():
    lines = [_line(i, 1, 100 + i % 3, (0, 5)[i % 2]) for i in range(20)]
    lines.append(_line(100, 1, 100, 45))  # 45 % where 0–5 % is usual
    lines.append(_line(101, 1, 30, 0))  # 30 where ~101 is usual
    lines += [_line(200 + i, 2, 500, 0) for i in range(3)] + [_line(300, 2, 50, 0)]  # 4: too few
    found = {(f["order_id"], f["kind"]) for f in line_outliers(lines)}
    assert found == {(100, "discount"), (101, "price")}
    discount = next(f for f in line_outliers(lines) if f["kind"] == "discount")
    assert discount["facts"] == {"product": "P1", "discount": 45.0, "usual": 2.5}


def test_an_order_far_from_the_customers_usual_and_an_overpayment():
    orders = [{"id": i, "customer_id": 1, "total": Decimal(1000 + 10 * i)} for i in range(8)]
    orders.append({"id": 50, "customer_id": 1, "total": Decimal(60000)})
    orders += [{"id": 60 + i, "customer_id": 2, "total": Decimal(10**i)} for i in range(3)]
    found = order_outliers(orders)
    assert [(f["order_id"], f["kind"]) for f in found] == [(50, "order")]
    assert found[0]["facts"]["ratio"] == pytest.approx(60000 / 1035, rel=0.01)
    paid = payment_outliers({1: Decimal(100), 2: Decimal(100)}, {1: Decimal(200), 2: Decimal(100)})
    assert [(f["order_id"], f["score"]) for f in paid] == [(1, 2.0)]


@pytest.mark.django_db
def test_the_page_shows_the_readers_outliers_with_reasons(client, make_user):
    from kehu.analytics.outliers import refresh_outliers
    from kehu.customers.tests.factories import customer
    from kehu.sales.models import SalesOrder
    from kehu.sales.models.orders import SalesOrderLine
    from kehu.sales.tests.factories.orders import product

    a = make_user("salesperson", "a1")
    b = make_user("salesperson", "b")
    toner = product("OT1", name="硒鼓")
    today = datetime.date.today()

    def order(owner, cust, n, discount):
        o = SalesOrder(
            number=f"OUT-{owner.pk}-{n}", customer=cust, currency="CNY", status="confirmed",
            order_date=today - datetime.timedelta(days=n), total=Decimal(100),
            owner=owner, department=owner.department,
        )  # fmt: skip
        o.save()
        SalesOrderLine(
            order=o, product=toner, unit_price=Decimal(100), discount_percent=Decimal(discount)
        ).save()
        return o

    mine, theirs = customer(a, 1, name="甲"), customer(b, 2, name="乙")
    for n in range(10):
        order(a if n % 2 else b, mine if n % 2 else theirs, n + 1, 0)
    odd_mine = order(a, mine, 20, 50)
    odd_theirs = order(b, theirs, 21, 55)
    assert refresh_outliers() == 2
    client.force_login(a)
    page = client.get("/analytics/outliers/").content.decode()
    table = page.split('id="outliers-table"')[1]
    assert odd_mine.number in table and odd_theirs.number not in table
    assert "硒鼓" in table and "50" in table
    assert client.get("/analytics/outliers/?kind=discount").status_code == 200
    assert client.get("/analytics/outliers/?kind=nonsense").status_code == 400
    client.force_login(make_user("", "a1"))
    assert client.get("/analytics/outliers/").status_code == 403
