"""The 10C view of a customer: figures counted by hand, the reader's scope, constant queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def _order(owner, cust, n, days_ago, total, discount=Decimal(0)):
    from kehu.sales.models import SalesOrder

    SalesOrder(
        number=f"TC-{cust.pk}-{n}",
        customer=cust,
        currency="CNY",
        order_date=datetime.date.today() - datetime.timedelta(days=days_ago),
        status="confirmed",
        total=Decimal(total),
        discount_total=discount,
        owner=owner,
        department=owner.department,
    ).save()


def _card(page: str, code: str) -> str:
    return page.split(f'id="c-{code}"')[1].split('class="col"')[0]


@pytest.mark.django_db
def test_ten_cs_of_a_customer_counted_by_hand(client, make_user):
    from kehu.customers.tests.factories import contact, customer
    from kehu.service.tests.factories.requests import service_request

    seller = make_user("salesperson", "a1")
    manager = make_user("sales_manager", "a1")
    cust = customer(seller, 1, name="十C 客户", email="buy@example.com")  # city from the factory
    contact(seller, 1, customer=cust)
    _order(seller, cust, 1, 400, 300, Decimal(20))
    _order(seller, cust, 2, 30, 200)
    _order(seller, cust, 3, 900, 999)  # older than 24 months: not in revenue
    service_request(seller, 1, customer=cust, type="complaint")
    service_request(seller, 2, customer=cust)

    client.force_login(manager)
    url = reverse("analytics:customer_10c", args=[cust.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # city, e-mail and a contact: 3 of the 11 fields + contacts
    assert "25%" in _card(page, "profile")
    assert "500.00" in _card(page, "profitability")  # 300 + 200; 20 of discounts given
    assert "20.00" in _card(page, "profitability")
    assert "1 次投诉" in _card(page, "satisfaction")  # the user's language: Chinese
    loyalty = _card(page, "loyalty")
    since = datetime.date.today() - datetime.timedelta(days=900)
    assert since.isoformat() in loyalty  # customer since the first order
    assert "30" in _card(page, "retention")  # days since the last order
    assert f"?customer={cust.pk}" in _card(page, "development")

    # another department's salesperson cannot open it; a page without scores still renders
    outsider = make_user("salesperson", "b")
    client.force_login(outsider)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_ten_cs_queries_do_not_grow_with_the_history(client, make_user):
    from kehu.customers.tests.factories import customer
    from kehu.service.tests.factories.requests import service_request

    seller = make_user("salesperson", "a1")
    cust = customer(seller, 1)
    client.force_login(seller)
    url = reverse("analytics:customer_10c", args=[cust.pk])
    client.get(url)  # warm the per-user permission cache
    counts = []
    for n in (1, 12):
        for i in range(n):
            _order(seller, cust, f"{n}-{i}", 10 + i, 100)
            service_request(seller, 100 * n + i, customer=cust)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
