"""Orders: server-side totals and rounding, refused input, the status flow with its tracking
timeline, the credit-limit check, quote conversion, and the same rules through the API."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from kehu.customers.tests.factories import customer as make_customer
from kehu.sales.actions import orders as acts
from kehu.sales.actions.collections import record_payment
from kehu.sales.models import Quote, QuoteLine, SalesOrder
from kehu.sales.tests.factories.orders import product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    """Messages are checked in English (the default language is Chinese)."""
    from django.utils import translation

    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def rep(make_user):
    return make_user("salesperson", "a1")


SEQ = itertools.count(100)


def new_order(user, cust=None, *, lines=None, **kw) -> SalesOrder:
    cust = cust or make_customer(user, next(SEQ))
    order = SalesOrder(customer=cust, order_date=datetime.date(2026, 1, 10), **kw)
    return acts.save_order(order, user=user, lines=lines)


def line(price="100", qty="1", **kw) -> dict:
    return {"product": product(), "quantity": Decimal(qty), "unit_price": Decimal(price), **kw}


def test_totals_are_computed_and_rounded_half_up(rep, admin_user):
    from kehu.system.actions.params import update_parameters

    # 0.125 rounds half up to 0.13 (banker's rounding would give 0.12)
    order = new_order(rep, lines=[line("0.125", tax_rate=Decimal("0"))])
    assert order.total == Decimal("0.13")
    # the unit price 33.335 is kept as 33.34 (half up); 3 × 33.34 = 100.02;
    # 10 % off 10.002 → 10.00; tax 13 % of 90.018 = 11.70234 → 11.70; total 101.72
    order = new_order(
        rep,
        lines=[line("33.335", "3", discount_percent=Decimal("10"), tax_rate=Decimal("13"))],
    )
    assert (order.subtotal, order.discount_total, order.tax_total, order.total) == (
        Decimal("100.02"),
        Decimal("10.00"),
        Decimal("11.70"),
        Decimal("101.72"),
    )
    assert order.lines.get().unit_price == Decimal("33.34")
    assert order.lines.get().line_total == Decimal("101.72")
    update_parameters(user=admin_user, order_amount_decimals=0)
    order = new_order(rep, lines=[line("2.5", tax_rate=Decimal("0"))])
    assert order.total == Decimal("3")


def test_bad_lines_are_refused_with_the_field(rep):
    order = new_order(rep)
    with pytest.raises(ValidationError) as exc:
        acts.add_order_line(order, user=rep, product=product(), quantity=Decimal("-1"))
    assert "quantity" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        acts.add_order_line(
            order, user=rep, product=product(), quantity=Decimal("1"), discount_percent=101
        )
    assert "discount_percent" in exc.value.message_dict
    assert order.lines.count() == 0


def test_currency_mismatch_with_the_contract_is_refused(rep):
    cust = make_customer(rep, 1)
    contract = acts.save_contract(
        acts.Contract(
            title="框架合同",
            customer=cust,
            currency="USD",
            start_date=datetime.date(2026, 1, 1),
            end_date=datetime.date(2026, 12, 31),
            amount=Decimal("1000"),
        ),
        user=rep,
    )
    with pytest.raises(ValidationError) as exc:
        new_order(rep, cust, contract=contract, currency="CNY")
    assert "contract" in exc.value.message_dict
    assert "USD" in str(exc.value)


def test_status_flow_keeps_a_tracking_timeline(rep):
    order = new_order(rep, lines=[line()])
    for to in ("confirmed", "shipped", "delivered", "completed"):
        order = acts.move_order(order, to, user=rep)
    assert list(order.events.values_list("from_status", "to_status")) == [
        ("", "draft"),
        ("draft", "confirmed"),
        ("confirmed", "shipped"),
        ("shipped", "delivered"),
        ("delivered", "completed"),
    ]
    assert order.payment_due == datetime.date(2026, 2, 9)  # 30 days after the order date
    with pytest.raises(ValidationError) as exc:
        acts.cancel_order(order, user=rep)
    assert exc.value.code == acts.OrderError.TRANSITION


def test_confirmed_order_cannot_be_edited(rep):
    order = new_order(rep, lines=[line()])
    acts.confirm_order(order, user=rep)
    order.refresh_from_db()
    order.notes = "changed"
    with pytest.raises(ValidationError, match="cannot be edited"):
        acts.save_order(order, user=rep)
    with pytest.raises(ValidationError, match="cannot be edited"):
        acts.add_order_line(order, user=rep, product=product())


def test_an_order_needs_lines_to_be_confirmed(rep):
    with pytest.raises(ValidationError) as exc:
        acts.confirm_order(new_order(rep), user=rep)
    assert exc.value.code == acts.OrderError.NO_LINES


def test_over_the_credit_limit_asks_for_approval_unless_permitted(
    rep, make_user, roles, admin_user
):
    from kehu.system.approvals import pending_approval

    cust = make_customer(rep, 1, credit_limit=Decimal("1000"))
    first = new_order(rep, cust, lines=[line("600", tax_rate=Decimal("0"))])
    acts.confirm_order(first, user=rep)  # 600 of 1000
    second = new_order(rep, cust, lines=[line("500", tax_rate=Decimal("0"))])
    second = acts.confirm_order(second, user=rep)
    # over the limit: still a draft, waiting for approval with the figures
    assert second.status == "draft" and second.credit_approval == "pending"
    assert second.events.count() == 1
    request = pending_approval(second)
    assert request is not None and request.kind == acts.CREDIT_KIND
    assert request.data["limit"] == "1000.00"
    assert request.data["open_receivables"] == "600.00"
    assert request.data["order_total"] == "500.00"
    assert request.data["exposure"] == "1100.00" and request.data["over_by"] == "100.00"
    assert "1000.00" in request.summary and "600.00" in request.summary
    # asking again neither confirms nor makes a second request
    with pytest.raises(ValidationError) as exc:
        acts.confirm_order(second, user=rep)
    assert exc.value.code == "approval_pending"
    # the request is withdrawn; a payment frees credit: 600 - 200 open + 500 = 900 ≤ 1000
    from kehu.system.approvals import withdraw

    withdraw(request=request, user=rep)
    first.refresh_from_db()
    record_payment(user=rep, order=first, amount=Decimal("200"))
    assert acts.confirm_order(second, user=rep).status == "confirmed"
    # the override permission lets a manager go over the limit without asking
    third = new_order(rep, cust, lines=[line("900", tax_rate=Decimal("0"))])
    boss = make_user("sales_manager", "a1")
    assert not boss.has_perm("sales.exceed_credit_limit")  # not a default manager's right
    assert acts.confirm_order(third, user=boss).credit_approval == "pending"
    withdraw(request=pending_approval(third), user=boss)
    roles["sales_manager"].permissions.add(Permission.objects.get(codename="exceed_credit_limit"))
    boss = type(boss)._base_manager.get(pk=boss.pk)
    assert acts.confirm_order(third, user=boss).status == "confirmed"


def test_an_order_over_the_limit_is_locked_until_approved_then_confirmed(rep, admin_user):
    from kehu.system.approvals import approve, pending_approval, reject
    from kehu.system.approvals.actions import current_approvers

    cust = make_customer(rep, 2, credit_limit=Decimal("100"))
    order = acts.confirm_order(new_order(rep, cust, lines=[line("150")]), user=rep)
    request = pending_approval(order)
    assert order.credit_approval == "pending" and request is not None
    # locked: no line added or removed, no edit, no cancel, no confirm
    for attempt in (
        lambda: acts.add_order_line(order, user=rep, product=product(), quantity=Decimal("1")),
        lambda: acts.remove_order_line(order.lines.first(), user=rep),
        lambda: acts.save_order(order, user=rep, lines=[line("10")]),
        lambda: acts.cancel_order(order, user=rep),
        lambda: acts.confirm_order(order, user=rep),
    ):
        with pytest.raises(ValidationError) as exc:
            attempt()
        assert exc.value.code == "approval_pending"
    order.refresh_from_db()
    assert order.total == Decimal("169.50") and order.lines.count() == 1
    # rejected: a draft again, editable; confirming again asks again
    approver = current_approvers(request)[0]
    reject(request=request, user=approver, comment="先收款")
    order.refresh_from_db()
    assert order.status == "draft" and order.credit_approval == "rejected"
    order = acts.confirm_order(order, user=rep)
    request = pending_approval(order)
    assert order.credit_approval == "pending" and request is not None
    # approved: the order proceeds to confirmed, by the approver, on the tracking timeline
    approver = current_approvers(request)[0]
    approve(request=request, user=approver, comment="OK")
    order.refresh_from_db()
    assert order.status == "confirmed" and order.credit_approval == "approved"
    event = order.events.order_by("-at", "-id").first()
    assert event.to_status == "confirmed" and event.actor_id == approver.pk


def test_the_credit_approval_through_the_api(client, rep, admin_user):
    cust = make_customer(rep, 3, credit_limit=Decimal("10"))
    order = new_order(rep, cust, lines=[line("100")])
    client.force_login(rep)
    url = f"/api/sales-orders/{order.pk}/transition/"
    r = client.post(url, {"status": "confirmed"}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "draft" and r.json()["credit_approval"] == "pending"
    r = client.post(url, {"status": "cancelled"}, content_type="application/json")
    assert r.status_code == 400 and "approval" in r.content.decode()


def test_zero_credit_limit_means_no_limit(rep):
    cust = make_customer(rep, 1, credit_limit=Decimal("0"))
    order = new_order(rep, cust, lines=[line("99999999", tax_rate=Decimal("0"))])
    assert acts.confirm_order(order, user=rep).status == "confirmed"


def accepted_quote(user, cust, status=Quote.Status.ACCEPTED) -> Quote:
    quote = Quote(
        number=f"Q-{cust.pk}",
        title="报价",
        customer=cust,
        currency="CNY",
        status=status,
        total=Decimal("250"),
        owner=user,
        department=user.department,
    )
    quote.save()
    QuoteLine(
        quote=quote,
        position=1,
        product=product(),
        quantity=Decimal("2"),
        unit_price=Decimal("125"),
        discount_percent=Decimal("0"),
        tax_rate=Decimal("0"),
        line_total=Decimal("250"),
    ).save()
    return quote


def test_quote_conversion_to_order_once(rep):
    cust = make_customer(rep, 1)
    draft = accepted_quote(rep, cust, status=Quote.Status.SENT)
    with pytest.raises(ValidationError) as exc:
        acts.convert_quote_to_order(draft, user=rep)
    assert exc.value.code == acts.OrderError.QUOTE_NOT_ACCEPTED
    quote = accepted_quote(rep, make_customer(rep, 2))
    order = acts.convert_quote_to_order(quote, user=rep)
    assert order.quote == quote and order.total == Decimal("250")
    assert list(order.lines.values_list("quantity", "unit_price")) == [
        (Decimal("2"), Decimal("125"))
    ]
    for convert in (acts.convert_quote_to_order, acts.convert_quote_to_contract):
        with pytest.raises(ValidationError) as exc:
            convert(quote, user=rep)
        assert exc.value.code == acts.OrderError.QUOTE_CONVERTED


def test_quote_conversion_to_contract(rep):
    quote = accepted_quote(rep, make_customer(rep, 3))
    contract = acts.convert_quote_to_contract(quote, user=rep)
    assert contract.quote == quote and contract.amount == Decimal("250")
    assert contract.status == "draft" and contract.number.startswith("HT")


# --- API ----------------------------------------------------------------------------------------


def test_api_refuses_bad_input_and_edits_of_confirmed_orders(client, rep):
    client.force_login(rep)
    cust = make_customer(rep, 1)
    url = "/api/sales-orders/"
    p = product()
    bad = {
        "customer": cust.pk,
        "lines": [{"product": p.pk, "quantity": "-2", "unit_price": "10"}],
    }
    r = client.post(url, bad, content_type="application/json")
    assert r.status_code == 400, r.content
    bad["lines"][0].update(quantity="1", discount_percent="150")
    assert client.post(url, bad, content_type="application/json").status_code == 400
    ok = {
        "customer": cust.pk,
        "total": "1",  # ignored: totals are the server's
        "lines": [{"product": p.pk, "quantity": "3", "unit_price": "10", "tax_rate": "0"}],
    }
    r = client.post(url, ok, content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert Decimal(body["total"]) == Decimal("30") and body["status"] == "draft"
    pk = body["id"]
    r = client.post(
        f"{url}{pk}/transition/", {"status": "confirmed"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    assert [e["to_status"] for e in r.json()["events"]] == ["draft", "confirmed"]
    r = client.patch(
        f"{url}{pk}/",
        {"notes": "x", "version": r.json()["version"]},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert "cannot be edited" in r.content.decode()
    r = client.post(
        f"{url}{pk}/transition/", {"status": "completed"}, content_type="application/json"
    )
    assert r.status_code == 400


def test_order_page_shows_lines_and_timeline(client, rep):
    order = new_order(rep, lines=[line("12.5", "2")])
    acts.confirm_order(order, user=rep)
    client.force_login(rep)
    r = client.get(reverse("sales:salesorder_detail", args=[order.pk]))
    assert r.status_code == 200
    html = r.content.decode()
    assert order.number in html and 'data-event="confirmed"' in html
    assert 'data-transition="shipped"' in html


def test_confirm_over_the_limit_from_the_page_asks_for_approval(client, rep, admin_user):
    cust = make_customer(rep, 1, credit_limit=Decimal("10"))
    order = new_order(rep, cust, lines=[line("100")])
    client.force_login(rep)
    r = client.post(
        reverse("sales:salesorder_transition", args=[order.pk, "confirmed"]), follow=True
    )
    html = r.content.decode()
    assert "sent for approval" in html and "data-approval-link" in html
    assert 'data-credit-approval="pending"' in html and "data-transition=" not in html
    order.refresh_from_db()
    assert order.status == "draft" and order.credit_approval == "pending"


def test_price_and_tax_default_to_the_products(rep):
    order = new_order(rep)
    p = product("P-TAX", "80")  # the product keeps 13 % as 0.13
    added = acts.add_order_line(order, user=rep, product=p, quantity=Decimal("2"))
    assert (added.unit_price, added.tax_rate) == (Decimal("80"), Decimal("13"))
    order.refresh_from_db()
    assert order.total == Decimal("180.80")
