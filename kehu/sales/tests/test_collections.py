"""Contracts and collections: payment plans, payments up to the open amount, reversals, ageing that
reconciles with the records, restricted by data scope, and reminders posted once."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kehu.core.models import Notification
from kehu.customers.tests.factories import customer as make_customer
from kehu.sales.actions import collections as coll
from kehu.sales.actions import orders as acts
from kehu.sales.models import Contract, Payment, SalesOrder
from kehu.sales.tests.factories.orders import product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    """Messages are checked in English (the default language is Chinese)."""
    from django.utils import translation

    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def codes(exc) -> set[str]:
    err = exc.value
    if hasattr(err, "error_dict"):
        return {e.code for errors in err.error_dict.values() for e in errors}
    return {e.code for e in err.error_list}


AS_OF = datetime.date(2026, 6, 30)


def confirmed_order(user, cust, amount, *, due, contract=None) -> SalesOrder:
    order = acts.save_order(
        SalesOrder(customer=cust, order_date=due, payment_due=due, contract=contract),
        user=user,
        lines=[
            {
                "product": product(),
                "quantity": Decimal("1"),
                "unit_price": Decimal(amount),
                "tax_rate": Decimal("0"),
            }
        ],
    )
    return acts.confirm_order(order, user=user)


def contract(user, cust, amount="1000", plan=None, activate=True) -> Contract:
    c = acts.save_contract(
        Contract(
            title="年度合同",
            customer=cust,
            start_date=datetime.date(2026, 1, 1),
            end_date=datetime.date(2026, 12, 31),
            amount=Decimal(amount),
        ),
        user=user,
    )
    if plan:
        acts.set_payment_plan(c, user=user, instalments=plan)
    if activate:
        c = acts.activate_contract(c, user=user)
    return c


def test_payment_plan_must_add_up_to_the_amount(make_user):
    rep = make_user("salesperson", "a1")
    c = contract(rep, make_customer(rep, 1), activate=False)
    with pytest.raises(ValidationError) as exc:
        acts.set_payment_plan(
            c,
            user=rep,
            instalments=[
                (datetime.date(2026, 3, 1), Decimal("400")),
                (datetime.date(2026, 6, 1), Decimal("500")),
            ],
        )
    assert acts.OrderError.PLAN_SUM in codes(exc)
    assert c.instalments.count() == 0
    acts.set_payment_plan(
        c,
        user=rep,
        instalments=[
            (datetime.date(2026, 3, 1), Decimal("400")),
            (datetime.date(2026, 6, 1), Decimal("600")),
        ],
    )
    # changing the amount of a contract with a plan that no longer adds up is refused
    c.refresh_from_db()
    c.amount = Decimal("1200")
    with pytest.raises(ValidationError):
        acts.save_contract(c, user=rep)
    acts.activate_contract(c, user=rep)
    c.refresh_from_db()
    c.title = "x"
    with pytest.raises(ValidationError, match="only a draft contract"):
        acts.save_contract(c, user=rep)


def test_payments_partial_over_open_currency_and_reversal(make_user):
    rep = make_user("salesperson", "a1")
    cust = make_customer(rep, 1)
    order = confirmed_order(rep, cust, "1000", due=datetime.date(2026, 6, 1))
    p1 = coll.record_payment(user=rep, order=order, amount=Decimal("300"))
    assert p1.owner == rep and p1.customer == cust
    with pytest.raises(ValidationError) as exc:
        coll.record_payment(user=rep, order=order, amount=Decimal("700.01"))
    assert coll.PaymentError.OVER_OPEN in codes(exc)
    with pytest.raises(ValidationError) as exc:
        coll.record_payment(user=rep, order=order, amount=Decimal("10"), currency="USD")
    assert coll.PaymentError.CURRENCY_MISMATCH in codes(exc)
    with pytest.raises(ValidationError):
        coll.record_payment(user=rep, order=order, amount=Decimal("-5"))
    coll.record_payment(user=rep, order=order, amount=Decimal("700"))
    assert coll.open_amount(order=order) == 0
    reversal = coll.reverse_payment(p1, user=rep)
    assert reversal.amount == Decimal("-300") and reversal.reverses == p1
    assert Payment.objects.filter(pk=p1.pk).exists()  # nothing deleted
    assert coll.open_amount(order=order) == Decimal("300")
    for again in (p1, reversal):
        with pytest.raises(ValidationError):
            coll.reverse_payment(again, user=rep)
    # a draft order takes no payment; a cancelled one cannot be cancelled with money on it
    draft = acts.save_order(SalesOrder(customer=cust), user=rep)
    with pytest.raises(ValidationError):
        coll.record_payment(user=rep, order=draft, amount=Decimal("1"))
    with pytest.raises(ValidationError) as exc:
        acts.cancel_order(order, user=rep)
    assert acts.OrderError.HAS_PAYMENTS in codes(exc)


def test_contract_payments_go_to_instalments(make_user):
    rep = make_user("salesperson", "a1")
    cust = make_customer(rep, 1)
    c = contract(
        rep,
        cust,
        plan=[
            (datetime.date(2026, 3, 1), Decimal("400")),
            (datetime.date(2026, 9, 1), Decimal("600")),
        ],
    )
    first = c.instalments.order_by("due_date").first()
    with pytest.raises(ValidationError) as exc:
        coll.record_payment(user=rep, contract=c, amount=Decimal("100"))
    assert coll.PaymentError.INSTALMENT_REQUIRED in codes(exc)
    with pytest.raises(ValidationError):
        coll.record_payment(user=rep, instalment=first, amount=Decimal("401"))
    pay = coll.record_payment(user=rep, instalment=first, amount=Decimal("400"))
    assert pay.contract == c
    # an order under the contract is paid through the contract, not on its own
    order = confirmed_order(rep, cust, "50", due=datetime.date(2026, 2, 1), contract=c)
    with pytest.raises(ValidationError):
        coll.record_payment(user=rep, order=order, amount=Decimal("10"))


def test_ageing_reconciles_with_the_records_and_follows_data_scope(make_user, org):
    rep = make_user("salesperson", "a1")
    other = make_user("salesperson", "a2")
    far = make_user("salesperson", "b")
    manager = make_user("branch_manager", "a")
    c1, c2, c3 = make_customer(rep, 1), make_customer(other, 2), make_customer(far, 3)
    # rep: one order not yet due, one 10 days late (partly paid), one 45 days late
    confirmed_order(rep, c1, "100", due=datetime.date(2026, 7, 15))
    late = confirmed_order(rep, c1, "200", due=datetime.date(2026, 6, 20))
    coll.record_payment(user=rep, order=late, amount=Decimal("50"))
    confirmed_order(rep, c1, "300", due=datetime.date(2026, 5, 16))
    # other (same branch): a contract with instalments 75 and 120 days late, one half paid
    c = contract(
        other,
        c2,
        amount="1000",
        plan=[
            (datetime.date(2026, 4, 16), Decimal("400")),
            (datetime.date(2026, 3, 2), Decimal("600")),
        ],
    )
    coll.record_payment(
        user=other, instalment=c.instalments.get(amount=Decimal("600")), amount=Decimal("300")
    )
    # far (other branch): a contract without a plan, started 2026-01-01 → 180 days
    contract(far, c3, amount="80")
    # a fully paid order and a cancelled one count for nothing
    paid = confirmed_order(rep, c1, "40", due=datetime.date(2026, 1, 1))
    coll.record_payment(user=rep, order=paid, amount=Decimal("40"))
    acts.cancel_order(acts.save_order(SalesOrder(customer=c1), user=rep), user=rep)

    everyone = make_user("administrator", "hq")
    rows = coll.ageing(everyone, as_of=AS_OF)
    totals = coll.ageing_totals(rows)
    assert totals.buckets == {
        "current": Decimal("100.00"),
        "d0_30": Decimal("150.00"),
        "d31_60": Decimal("300.00"),
        "d61_90": Decimal("400.00"),
        "d90": Decimal("380.00"),
    }
    # the same total as the open amounts of the records, computed one by one
    by_hand = (
        sum(
            (
                o.total - coll.paid_on_order(o)
                for o in SalesOrder.objects.filter(
                    status__in=["confirmed", "shipped", "delivered", "completed"]
                )
            ),
            Decimal("0"),
        )
        + sum((i.amount - coll.paid_on_instalment(i) for i in c.instalments.all()), Decimal("0"))
        + Decimal("80")
    )
    assert totals.total == by_hand == Decimal("1330")
    assert {r.label: r.total for r in rows} == {
        c1.name: Decimal("550.00"),
        c2.name: Decimal("700.00"),
        c3.name: Decimal("80.00"),
    }
    # by owner, by department subtree, and as each user sees it
    assert {r.key: r.total for r in coll.ageing(everyone, by="owner", as_of=AS_OF)} == {
        rep.pk: Decimal("550.00"),
        other.pk: Decimal("700.00"),
        far.pk: Decimal("80.00"),
    }
    branch_a = coll.ageing(everyone, by="department", as_of=AS_OF, department=org["a"])
    assert coll.ageing_totals(branch_a).total == Decimal("1250.00")
    assert [r.key for r in coll.ageing(rep, as_of=AS_OF)] == [c1.pk]
    assert {r.key for r in coll.ageing(manager, as_of=AS_OF)} == {c1.pk, c2.pk}


def test_ageing_page(client, make_user):
    rep = make_user("salesperson", "a1")
    cust = make_customer(rep, 1)
    order = confirmed_order(rep, cust, "100", due=datetime.date(2026, 6, 1))
    coll.record_payment(user=rep, order=order, amount=Decimal("40"))
    client.force_login(rep)
    r = client.get(reverse("sales:ageing"), {"as_of": "2026-06-30", "by": "owner"})
    assert r.status_code == 200
    assert "60.00" in r.content.decode()
    assert client.get(reverse("sales:ageing"), {"as_of": "2026-02-30"}).status_code == 400


def test_due_reminders_once_per_item(make_user):
    rep = make_user("salesperson", "a1")
    cust = make_customer(rep, 1)
    today = datetime.date(2026, 6, 1)
    confirmed_order(rep, cust, "100", due=today + datetime.timedelta(days=5))  # within 7 days
    confirmed_order(rep, cust, "100", due=today + datetime.timedelta(days=20))  # not yet
    paid = confirmed_order(rep, cust, "100", due=today + datetime.timedelta(days=3))
    coll.record_payment(user=rep, order=paid, amount=Decimal("100"))  # nothing owed
    c = contract(rep, cust, plan=[(today + datetime.timedelta(days=7), Decimal("1000"))])
    assert coll.due_reminders(today) == 2
    assert coll.due_reminders(today) == 0
    notes = Notification.objects.filter(recipient=rep, kind="sales.receivable_due")
    assert notes.count() == 2
    assert any(c.number in n.title for n in notes)


def test_renewal_reminder_once_and_expiry(make_user):
    rep = make_user("salesperson", "a1")
    c = contract(rep, make_customer(rep, 1))
    assert acts.renewal_reminders(datetime.date(2026, 11, 1)) == 0  # 60 days before
    assert acts.renewal_reminders(datetime.date(2026, 12, 5)) == 1
    assert acts.renewal_reminders(datetime.date(2026, 12, 6)) == 0
    assert Notification.objects.filter(recipient=rep, kind="sales.contract_renewal").count() == 1
    assert acts.expire_contracts(datetime.date(2027, 1, 1)) == 1
    c.refresh_from_db()
    assert c.status == "expired"


def test_renewal_notice_days_come_from_the_system_parameter(make_user, admin_user):
    from kehu.system.actions.params import update_parameters

    rep = make_user("salesperson", "a1")
    contract(rep, make_customer(rep, 1))  # ends 2026-12-31
    nov1 = datetime.date(2026, 11, 1)  # 60 days before
    assert acts.renewal_reminders(nov1) == 0  # the default: 30 days
    update_parameters(user=admin_user, contract_renewal_days=61)
    assert acts.renewal_reminders(nov1) == 1
    update_parameters(user=admin_user, contract_renewal_days=0)
    assert acts.renewal_reminders(datetime.date(2026, 12, 31)) == 0  # already told once
    with pytest.raises(ValidationError):
        update_parameters(user=admin_user, contract_renewal_days=400)


def test_payment_api_refuses_overpayment_and_edits(client, make_user):
    rep = make_user("salesperson", "a1")
    order = confirmed_order(rep, make_customer(rep, 1), "100", due=datetime.date(2026, 6, 1))
    client.force_login(rep)
    r = client.post(
        "/api/payments/", {"order": order.pk, "amount": "150"}, content_type="application/json"
    )
    assert r.status_code == 400 and "open amount" in r.content.decode()
    r = client.post(
        "/api/payments/", {"order": order.pk, "amount": "60"}, content_type="application/json"
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = client.patch(
        f"/api/payments/{pk}/", {"amount": "1", "version": 1}, content_type="application/json"
    )
    assert r.status_code == 400 and "cannot change" in r.content.decode()
    r = client.patch(
        f"/api/payments/{pk}/",
        {"reference": "BANK-42", "version": 1},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["reference"] == "BANK-42"
    assert Payment.objects.get(pk=pk).amount == Decimal("60")
    assert client.delete(f"/api/payments/{pk}/").status_code in (403, 405)
    assert Payment.objects.filter(pk=pk).exists()
    r = client.post(f"/api/payments/{pk}/reverse/", {}, content_type="application/json")
    assert r.status_code == 201 and Decimal(r.json()["amount"]) == Decimal("-60")
