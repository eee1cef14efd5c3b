"""Need-based segments of the CRM's customers: planted buying patterns come back as segments,
named by what sets them apart, on the customer card and as a customer list filter."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest


@pytest.mark.django_db
def test_customers_buying_different_things_fall_into_different_segments(client, make_user):
    from kehu.analytics.models import CustomerValue, NeedSegment
    from kehu.analytics.refresh import refresh_customer_values
    from kehu.customers.tests.factories import customer
    from kehu.sales.models import SalesOrder
    from kehu.sales.models.orders import SalesOrderLine
    from kehu.sales.tests.factories.orders import category, product

    seller = make_user("salesperson", "a1")
    paper = product("ND1", name="复印纸", category=category("PAPER"))
    ink = product("ND2", name="墨盒", category=category("INK"))
    chairs = product("ND3", name="办公椅", category=category("FURN"))
    today = datetime.date.today()
    groups = {}
    for i in range(45):
        cust = customer(seller, 700 + i, name=f"需求{i}")
        main = (paper, ink, chairs)[i % 3]
        groups[cust.pk] = main.category.code
        for n in range(1 + i % 4):
            order = SalesOrder(
                number=f"ND-{i}-{n}", customer=cust, currency="CNY", status="confirmed",
                order_date=today - datetime.timedelta(days=10 + 30 * n + i),
                total=Decimal(1000), owner=seller, department=seller.department,
            )  # fmt: skip
            order.save()
            SalesOrderLine(
                order=order, product=main, unit_price=Decimal(900), line_total=Decimal(900)
            ).save()
            SalesOrderLine(
                order=order,
                product=paper if main != paper else ink,
                unit_price=Decimal(100),
                line_total=Decimal(100),
            ).save()
    refresh_customer_values()
    values = {v.customer_id: v.need_segment for v in CustomerValue.objects.all()}
    by_segment: dict = {}
    for pk, segment in values.items():
        by_segment.setdefault(segment, set()).add(groups[pk])
    # every segment holds customers of one buying pattern
    assert len(by_segment) >= 3 and all(len(g) == 1 for g in by_segment.values())
    labels = [s.label() for s in NeedSegment.objects.all()]
    assert any("类别PAPER" in label for label in labels)
    assert any("类别INK" in label for label in labels)
    client.force_login(seller)
    someone = next(pk for pk, code in groups.items() if code == "INK")
    page = client.get(f"/customers/customers/{someone}/").content.decode()
    assert 'id="customer-need-segment"' in page
    number = values[someone]
    api = client.get(f"/api/customers/?need_segment={number}&page_size=100").json()
    assert {r["id"] for r in api["results"]} == {pk for pk, s in values.items() if s == number}
