"""RFM and ABC: one SQL text, worked by hand on five customers, the same on the CRM's orders
(SQLite and PostgreSQL, inside the reader's data scope) and on a CSV."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from kehu.analytics.purchases import order_purchases
from kehu.analytics.rfm import abc_sql, load_purchases, rfm_sql, segment_for

D = datetime.date
#: customer → (day, amount, status); c3 buys twice on one day (one purchase day), c5's
#: cancelled order counts for nothing.
ORDERS = {
    "c1": [(D(2026, 1, 10), "100", "confirmed"), (D(2026, 3, 1), "200", "completed")],
    "c2": [(D(2026, 2, 1), "50", "shipped")],
    "c3": [(D(2026, 3, 5), "1000", "confirmed"), (D(2026, 3, 5), "10", "delivered")],
    "c4": [
        (D(2026, 1, 2), "20", "completed"),
        (D(2026, 1, 20), "30", "completed"),
        (D(2026, 2, 20), "40", "confirmed"),
    ],
    "c5": [(D(2025, 12, 1), "5", "confirmed"), (D(2026, 3, 10), "500", "cancelled")],
}
# Worked by hand: PERCENT_RANK over five customers is 0, .25, .5, .75, 1 → scores 1…5, ties
# (three customers with one purchase day) share the lowest rank.
EXPECTED_RFM = {
    "c1": (4, 4, 4, "champions"),
    "c2": (2, 1, 2, "hibernating"),
    "c3": (5, 1, 5, "potential_loyalists"),
    "c4": (3, 5, 3, "loyal"),
    "c5": (1, 1, 1, "lost"),
}
# totals 1010, 300, 90, 50, 5 of 1455: the share before c4 is 90.0 % (B), before c2 96.2 % (C)
EXPECTED_ABC = {"c3": "A", "c1": "A", "c4": "B", "c2": "C", "c5": "C"}


def _booked():
    for name, orders in ORDERS.items():
        for day, amount, status in orders:
            if status != "cancelled":
                yield name, day, Decimal(amount)


def test_rfm_and_abc_on_purchases_match_the_hand_worked_figures():
    cursor = load_purchases(_booked()).cursor()
    source = "SELECT customer, day, amount FROM purchases"
    rows = {r.customer: r for r in rfm_sql(cursor, source, (), as_of=D(2026, 3, 31))}
    assert {k: (r.r, r.f, r.m, r.segment) for k, r in rows.items()} == EXPECTED_RFM
    assert rows["c3"].frequency == 1 and rows["c3"].monetary == Decimal("1010")
    assert rows["c4"].recency_days == 39
    tiers = abc_sql(cursor, source, ())
    assert [(t.customer, t.tier) for t in tiers] == list(EXPECTED_ABC.items())
    assert tiers[-1].cumulative == pytest.approx(1.0)
    assert segment_for(3, 3, 4) == "loyal"  # FM = (3 + 4) / 2 rounds half up to 4


@pytest.mark.django_db
def test_the_crm_computes_the_same_in_its_database_within_the_readers_scope(make_user):
    from kehu.customers.tests.factories import customer
    from kehu.sales.models import SalesOrder

    seller_a = make_user("salesperson", "a1")
    seller_b = make_user("salesperson", "b")
    director = make_user("director", "hq")
    owners = {"c1": seller_a, "c2": seller_a, "c3": seller_a, "c4": seller_b, "c5": seller_b}
    ids = {}
    for i, (name, orders) in enumerate(ORDERS.items(), start=1):
        owner = owners[name]
        cust = customer(owner, i, name=f"RFM {name}")
        ids[cust.pk] = name
        for j, (day, amount, status) in enumerate(orders):
            SalesOrder(
                number=f"RFM-{i}-{j}",
                customer=cust,
                currency="CNY",
                order_date=day,
                status=status,
                total=Decimal(amount),
                owner=owner,
                department=owner.department,
            ).save()
    sql, params = order_purchases(director)
    with connection.cursor() as cursor:
        everyone = {
            ids[r.customer]: (r.r, r.f, r.m, r.segment) for r in rfm_sql(cursor, sql, params)
        }
        tiers = {ids[t.customer]: t.tier for t in abc_sql(cursor, sql, params)}
    assert everyone == EXPECTED_RFM, connection.vendor
    assert tiers == EXPECTED_ABC
    sql, params = order_purchases(seller_a)
    with connection.cursor() as cursor:
        own = {ids[r.customer] for r in rfm_sql(cursor, sql, params)}
    assert own == {"c1", "c2", "c3"}  # seller B's customers stay out of seller A's figures


def test_the_commands_rank_a_csv(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "客户,日期,金额\n" + "".join(f"{c},{d.isoformat()},{a}\n" for c, d, a in _booked()),
        encoding="gb18030",
    )
    args = ["--customer-column", "客户", "--date-column", "日期", "--amount-column", "金额"]
    out = io.StringIO()
    call_command("analytics", "rfm", "--transactions", str(path), *args, "--json", stdout=out)
    rows = {
        r["customer"]: (r["r"], r["f"], r["m"], r["segment"])
        for r in json.loads(out.getvalue())["customers"]
    }
    assert rows == EXPECTED_RFM
    out = io.StringIO()
    call_command("analytics", "abc", "--transactions", str(path), *args, stdout=out)
    text = out.getvalue()
    assert text.startswith("5 customers: A 2 customers (40.0%, 90.0% of the amount)")


def _orders(owners):
    from kehu.customers.tests.factories import customer
    from kehu.sales.models import SalesOrder

    ids = {}
    today = datetime.date.today()
    for i, (name, orders) in enumerate(ORDERS.items(), start=1):
        owner = owners[name]
        cust = customer(owner, i, name=f"RFM {name}")
        ids[name] = cust
        for j, (day, amount, status) in enumerate(orders):
            # the same pattern, moved to end today (the page counts the last 24 months)
            shifted = today - (D(2026, 3, 10) - day)
            SalesOrder(
                number=f"RFM-{i}-{j}",
                customer=cust,
                currency="CNY",
                order_date=shifted,
                status=status,
                total=Decimal(amount),
                owner=owner,
                department=owner.department,
            ).save()
    return ids


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["en", "zh-hans"])
def test_the_customer_value_page_shows_segments_tiers_and_members(client, make_user, code):
    seller_a = make_user("salesperson", "a1")
    seller_b = make_user("salesperson", "b")
    manager = make_user("director", "hq")
    owners = {"c1": seller_a, "c2": seller_a, "c3": seller_a, "c4": seller_b, "c5": seller_b}
    customers = _orders(owners)
    client.force_login(manager)
    client.cookies["django_language"] = code
    page = client.get("/analytics/customer-value/", HTTP_ACCEPT_LANGUAGE=code)
    assert page.status_code == 200
    html = page.content.decode()
    for segment in ("champions", "loyal", "potential_loyalists", "hibernating", "lost"):
        assert f'data-segment="{segment}"' in html
    assert ("Champions" if code == "en" else "冠军客户") in html
    page = client.get("/analytics/customer-value/?segment=loyal", HTTP_ACCEPT_LANGUAGE=code)
    members = page.content.decode().split('id="rfm-members"')[1]
    assert "RFM c4" in members and "RFM c1" not in members
    # a salesperson's page counts their own customers only; no order permission, no page
    client.force_login(seller_a)
    html = client.get("/analytics/customer-value/?segment=lost").content.decode()
    # ranked among seller A's three customers only, c2 is now the lowest on all three
    assert "RFM c2" in html and "RFM c4" not in html and "RFM c5" not in html
    assert customers["c4"].name not in html
    client.force_login(make_user("", "a1"))
    assert client.get("/analytics/customer-value/").status_code == 403


@pytest.mark.django_db
def test_the_page_has_a_clear_empty_state(client, make_user):
    client.force_login(make_user("director", "hq"))
    html = client.get("/analytics/customer-value/?period=12").content.decode()
    assert 'id="value-empty"' in html


@pytest.mark.django_db
def test_the_nightly_refresh_stores_the_scores_and_the_customer_page_shows_them(client, make_user):
    from kehu.analytics.models import CustomerValue
    from kehu.analytics.refresh import refresh_customer_values

    seller_a = make_user("salesperson", "a1")
    seller_b = make_user("salesperson", "b")
    owners = {"c1": seller_a, "c2": seller_a, "c3": seller_a, "c4": seller_b, "c5": seller_b}
    customers = _orders(owners)
    client.force_login(seller_a)
    page = client.get(customers["c1"].get_absolute_url()).content.decode()
    assert 'id="customer-value-none"' in page
    assert refresh_customer_values() == 5
    stored = {v.customer_id: v for v in CustomerValue.objects.all()}
    # ranked company-wide, so seller A's customers carry the same scores as in the full set
    got = {
        name: (stored[c.pk].r, stored[c.pk].f, stored[c.pk].m, stored[c.pk].segment)
        for name, c in customers.items()
    }
    assert got == EXPECTED_RFM
    assert {name: stored[c.pk].tier for name, c in customers.items()} == EXPECTED_ABC
    page = client.get(
        customers["c1"].get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    card = page.split('id="customer-value"')[1][:1500]
    assert "A 类" in card and "冠军客户" in card and "444" in card  # the user works in Chinese
    assert refresh_customer_values() == 5 and CustomerValue.objects.count() == 5  # rewritten


@pytest.mark.django_db
def test_the_refresh_fits_lifetime_values_and_the_page_offers_what_goes_together(client, make_user):
    """40 customers: everyone buying the printer (P1) also bought its toner (P2) in 30 of 40
    orders; a new customer with only a printer is offered the toner. Repeat buyers get a
    lifetime value and P(alive) from the fitted models."""
    from kehu.analytics.models import CustomerValue, ProductRule
    from kehu.analytics.refresh import refresh_customer_values
    from kehu.customers.tests.factories import customer
    from kehu.sales.models import SalesOrder
    from kehu.sales.models.orders import SalesOrderLine
    from kehu.sales.tests.factories.orders import product

    seller = make_user("salesperson", "a1")
    printer = product("P1", name="激光打印机")
    toner = product("P2", name="硒鼓")
    paper = product("P3", name="复印纸")
    today = datetime.date.today()

    def order(cust, n, days_ago, products):
        o = SalesOrder(
            number=f"NBO-{cust.pk}-{n}",
            customer=cust,
            currency="CNY",
            order_date=today - datetime.timedelta(days=days_ago),
            status="confirmed",
            total=Decimal(100 * len(products)),
            owner=seller,
            department=seller.department,
        )
        o.save()
        for i, p in enumerate(products):
            SalesOrderLine(order=o, position=i, product=p, unit_price=Decimal(100)).save()

    for i in range(40):
        cust = customer(seller, 100 + i, name=f"NBO 客户 {i}")
        order(cust, 1, 300 - i, [printer, toner] if i < 30 else [printer])
        if i % 2:
            order(cust, 2, 100 - i, [paper])
            order(cust, 3, 20 + i, [paper])
    newcomer = customer(seller, 999, name="NBO 新客户")
    order(newcomer, 1, 5, [printer])
    assert refresh_customer_values() == 41
    rule = ProductRule.objects.get(antecedent=str(printer.pk), consequent=toner)
    assert rule.confidence == pytest.approx(30 / 41)
    repeat = CustomerValue.objects.get(customer__name="NBO 客户 1")
    assert repeat.clv > 0 and 0 < repeat.p_alive <= 1 and repeat.expected_orders > 0
    client.force_login(seller)
    page = client.get(newcomer.get_absolute_url()).content.decode()
    offers = page.split('id="next-best-offers"')[1].split("</ul>")[0]
    # paper was never bought in the same order as a printer: not offered
    assert "硒鼓" in offers and "复印纸" not in offers
    assert 'id="due-offers"' not in page  # nothing the newcomer's printer is followed by

    # Sequential rules: the 20 odd customers bought paper, then paper again 80 − 2i days later
    # (78, 74 … 2: median 40); ⟨printer, paper⟩ has lift 1 (everyone has a printer): not kept
    again = ProductRule.objects.get(gap_days__isnull=False, antecedent=str(paper.pk))
    assert again.consequent == paper and again.gap_days == 40
    assert again.confidence == 1 and again.lift == pytest.approx(41 / 20)
    assert not ProductRule.objects.filter(gap_days__isnull=False, antecedent=str(printer.pk))
    # customer 1 last bought paper 21 days ago: due again in 19 days
    page = client.get(
        CustomerValue.objects.get(customer__name="NBO 客户 1").customer.get_absolute_url(),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    due = page.split('id="due-offers"')[1].split("</ul>")[0]
    assert "复印纸" in due and "40" in due


def test_the_pareto_curve_samples_the_cumulative_share():
    from kehu.analytics.rfm import abc_tiers

    # 120 customers spending 1..120: the curve has ~50 points, rising to 100 %
    cursor = load_purchases((f"k{i}", D(2026, 1, 1), Decimal(i)) for i in range(1, 121)).cursor()
    tiers, curve = abc_tiers(cursor, "SELECT customer, day, amount FROM purchases", ())
    assert curve[0] == (0.0, 0.0) and curve[-1] == (1.0, 1.0)
    assert 40 <= len(curve) <= 70
    assert all(b[1] >= a[1] for a, b in zip(curve, curve[1:], strict=False))
    assert sum(t.customers for t in tiers) == 120


@pytest.mark.django_db
def test_cohorts_and_quarterly_churn_rates_are_counted_by_hand(client, make_user):
    """Three customers of seller A: X first buys in Q1 and again in Q2 and Q4; Y buys in Q1
    only; Z first buys in Q2 and again in Q3. Seller B's customer never counts for A."""
    from kehu.analytics.cohorts import cohort_table
    from kehu.customers.tests.factories import customer
    from kehu.sales.models import SalesOrder

    a = make_user("salesperson", "a1")
    b = make_user("salesperson", "b")
    D = datetime.date

    def buy(owner, cust, day, n):
        SalesOrder(
            number=f"CO-{cust.pk}-{n}", customer=cust, currency="CNY", order_date=day,
            status="confirmed", total=Decimal(10), owner=owner, department=owner.department,
        ).save()  # fmt: skip

    x, y, z = (customer(a, i, name=f"队列{i}") for i in (1, 2, 3))
    other = customer(b, 4, name="别人的")
    for n, day in enumerate([D(2026, 1, 5), D(2026, 5, 5), D(2026, 11, 5)]):
        buy(a, x, day, n)
    buy(a, y, D(2026, 2, 2), 0)
    buy(a, z, D(2026, 4, 4), 0)
    buy(a, z, D(2026, 8, 8), 1)
    buy(b, other, D(2026, 1, 1), 0)
    table = cohort_table(a, quarters=4, today=D(2026, 12, 1))
    rows = {r.label: (r.customers, r.retention) for r in table.rows}
    assert rows["2026 Q1"] == (2, [1.0, 0.5, 0.0, 0.5])  # X and Y; X again in Q2 and Q4
    assert rows["2026 Q2"] == (1, [1.0, 1.0, 0.0, None])  # Z; Q3 yes, Q4 not (yet), Q5 future
    churn = {p.label: (p.base, p.churned, p.partial) for p in table.periods}
    # Q2: X and Y bought in Q1, Y did not come back; Q3: X and Z bought in Q2, X did not;
    # Q4 (current): Z bought in Q3 and not (yet) in Q4
    assert churn["2026 Q2"] == (2, 1, False) and churn["2026 Q3"] == (2, 1, False)
    assert churn["2026 Q4"] == (1, 1, True)
    assert table.average_churn == pytest.approx(0.5) and table.lifetime_quarters == 2
    client.force_login(a)
    page = client.get("/analytics/customer-value/").content.decode()
    assert 'id="cohort-table"' in page and 'id="churn-rates"' in page
