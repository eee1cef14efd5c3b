"""Commissions on collected money and targets' attainment: the figures reconcile exactly with the
payments and orders, the most specific rule wins, tiers apply, reversals recalculate."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kehu.customers.tests.factories import customer as make_customer
from kehu.sales.actions import collections as coll
from kehu.sales.actions import commissions as comm
from kehu.sales.actions import orders as acts
from kehu.sales.actions import targets as tgt
from kehu.sales.models import CommissionRule, SalesOrder, SalesTarget
from kehu.sales.tests.factories.orders import category, product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    """Messages are checked in English (the default language is Chinese)."""
    from django.utils import translation

    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


MAY = datetime.date(2026, 5, 10)


def order(user, cust, lines, day=MAY) -> SalesOrder:
    o = acts.save_order(
        SalesOrder(customer=cust, order_date=day),
        user=user,
        lines=[
            {
                "product": p,
                "quantity": Decimal(q),
                "unit_price": Decimal(price),
                "tax_rate": Decimal("0"),
            }
            for p, q, price in lines
        ],
    )
    return acts.confirm_order(o, user=user)


def rule(**kw) -> CommissionRule:
    return comm.save_rule(CommissionRule(name=kw.pop("name", "r"), **kw), user=None)


def test_most_specific_rule_wins_and_amounts_reconcile(make_user, roles):
    rep = make_user("salesperson", "a1")
    hardware = category("HW")
    servers = category("SRV", parent=hardware)
    server = product("P-SRV", "1000", category=servers)
    cable = product("P-CBL", "10", category=hardware)
    service = product("P-SVC", "300", category=category("SVC"))
    rule(name="everyone", rate=Decimal("1"))
    rule(name="salespeople", role=roles["salesperson"], rate=Decimal("2"))
    rule(name="hardware", role=roles["salesperson"], category=hardware, rate=Decimal("3"))
    rule(name="servers", role=roles["salesperson"], category=servers, rate=Decimal("4"))
    rule(name="rep on servers", employee=rep, category=servers, rate=Decimal("5"))
    rule(name="inactive", employee=rep, product=server, rate=Decimal("50"), is_active=False)
    cust = make_customer(rep, 1)
    o = order(rep, cust, [(server, "1", "1000"), (cable, "3", "10"), (service, "1", "300")])
    pay = coll.record_payment(user=rep, order=o, amount=Decimal("666.67"), paid_on=MAY)
    st = comm.statement(rep, 2026, 5)
    got = {str(line.product): (line.amount, line.rule.name, line.rate) for line in st.lines}
    # 666.67 spread over 1000 / 30 / 300 of 1330 (the last line takes the remainder)
    assert got == {
        str(server): (Decimal("501.26"), "rep on servers", Decimal("5")),
        str(cable): (Decimal("15.04"), "hardware", Decimal("3")),
        str(service): (Decimal("150.37"), "salespeople", Decimal("2")),
    }
    assert sum(line.amount for line in st.lines) == pay.amount == st.collected
    # 25.063 → 25.06, 0.4512 → 0.45, 3.0074 → 3.01
    assert st.commission == Decimal("25.06") + Decimal("0.45") + Decimal("3.01")
    # someone else: no role rule for managers, the rule for everyone
    boss = make_user("sales_manager", "a1")
    cust2 = make_customer(boss, 2)
    o2 = order(boss, cust2, [(server, "1", "1000")])
    coll.record_payment(user=boss, order=o2, amount=Decimal("1000"), paid_on=MAY)
    assert comm.statement(boss, 2026, 5).commission == Decimal("10.00")


def test_tiers_by_collected_amount_and_reversal_recalculates(make_user):
    rep = make_user("salesperson", "a1")
    rule(name="tiered", employee=rep, tiers="0=1; 1000=2; 5000=3")
    cust = make_customer(rep, 1, credit_limit=Decimal("0"))
    p = product("P-T", "100")
    o = order(rep, cust, [(p, "100", "100")])  # 10,000
    first = coll.record_payment(user=rep, order=o, amount=Decimal("800"), paid_on=MAY)
    st = comm.statement(rep, 2026, 5)
    assert (st.collected, st.commission) == (Decimal("800"), Decimal("8.00"))  # 1 %
    coll.record_payment(user=rep, order=o, amount=Decimal("4500"), paid_on=MAY)
    st = comm.statement(rep, 2026, 5)
    assert (st.collected, st.commission) == (Decimal("5300"), Decimal("159.00"))  # 3 % on all
    coll.reverse_payment(first, user=rep)
    st = comm.statement(rep, 2026, 5)
    assert (st.collected, st.commission) == (Decimal("4500"), Decimal("90.00"))  # 2 %
    assert st.payments == 1
    # June has nothing, May's booking does not count as collected
    assert comm.statement(rep, 2026, 6).commission == 0


def test_commission_goes_to_the_owner_at_payment_time(make_user):
    rep = make_user("salesperson", "a1")
    heir = make_user("salesperson", "a1")
    rule(name="flat", rate=Decimal("10"))
    cust = make_customer(rep, 1)
    o = order(rep, cust, [(product(), "1", "1000")])
    coll.record_payment(user=rep, order=o, amount=Decimal("100"), paid_on=MAY)
    o.refresh_from_db()
    o.owner = heir
    o.save()
    coll.record_payment(user=rep, order=o, amount=Decimal("200"), paid_on=MAY)
    assert comm.statement(rep, 2026, 5).commission == Decimal("10.00")
    assert comm.statement(heir, 2026, 5).commission == Decimal("20.00")


def test_bad_rules_are_refused():
    with pytest.raises(ValidationError):
        rule(tiers="0=2; lots=3")
    with pytest.raises(ValidationError):
        rule(rate=Decimal("120"))


def test_statement_page_and_csv(client, make_user):
    rep = make_user("salesperson", "a1")
    rule(name="flat", rate=Decimal("2"))
    o = order(rep, make_customer(rep, 1), [(product(), "1", "500")])
    coll.record_payment(user=rep, order=o, amount=Decimal("500"), paid_on=MAY)
    client.force_login(rep)
    url = reverse("sales:commission_statement")
    r = client.get(url, {"month": "2026-05"})
    assert r.status_code == 200 and "10.00" in r.content.decode()
    r = client.get(url, {"month": "2026-05", "export": "csv"})
    body = r.content.decode("utf-8-sig")
    assert r["Content-Type"].startswith("text/csv") and o.number in body
    assert body.strip().splitlines()[-1].endswith(",500.00,,,10.00")
    assert client.get(url, {"month": "2026-13"}).status_code == 200


def test_targets_attainment_rolls_up_the_department_tree(make_user, org, client):
    a1 = make_user("salesperson", "a1")
    a2 = make_user("salesperson", "a2")
    b = make_user("salesperson", "b")
    admin = make_user("administrator", "hq")
    for who, amount in ((a1, "1000"), (a2, "500"), (b, "300")):
        o = order(who, make_customer(who, who.pk), [(product(), "1", amount)])
        coll.record_payment(user=who, order=o, amount=Decimal(amount) / 2, paid_on=MAY)
    order(a1, make_customer(a1, 99), [(product(), "1", "700")], day=datetime.date(2026, 7, 1))
    for who, booked in ((a1, "2000"), (a2, "500")):
        tgt.save_target(
            SalesTarget(
                employee=who,
                period="quarter",
                year=2026,
                number=2,
                booked_target=Decimal(booked),
                collected_target=Decimal("1000"),
            ),
            user=admin,
        )
    tgt.save_target(
        SalesTarget(
            department=org["b"], period="quarter", year=2026, number=2, booked_target=Decimal("600")
        ),
        user=admin,
    )
    rows = {(r.kind, r.key): r for r in tgt.attainment(admin, "quarter", 2026, 2)}
    hq = rows[("department", org["hq"].pk)]
    assert (hq.booked, hq.collected) == (Decimal("1800"), Decimal("900"))
    assert hq.booked_target == Decimal("2500")  # its employees' targets, sub-departments too
    branch_a = rows[("department", org["a"].pk)]
    assert (branch_a.booked, branch_a.booked_target) == (Decimal("1500"), Decimal("2500"))
    assert branch_a.booked_pct == Decimal("60.0")
    assert rows[("department", org["b"].pk)].booked_pct == Decimal("50.0")
    person = rows[("employee", a1.pk)]
    assert (person.booked, person.collected, person.collected_pct) == (
        Decimal("1000"),
        Decimal("500"),
        Decimal("50.0"),
    )
    # a salesperson counts only what they may see
    mine = {(r.kind, r.key): r for r in tgt.attainment(a1, "quarter", 2026, 2)}
    assert mine[("department", org["hq"].pk)].booked == Decimal("1000")
    client.force_login(admin)
    r = client.get(reverse("sales:targets"), {"period": "quarter", "year": "2026", "number": "2"})
    assert r.status_code == 200 and "targets-chart" in r.content.decode()
