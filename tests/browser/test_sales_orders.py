"""Orders in a real browser: confirming an order over the customer's credit limit sends it for
approval (locked, with the figures on the request); the request is withdrawn, a partial payment
frees credit, the order is confirmed, and the receivables ageing shows what is still owed (zh and
en)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kehu.customers.models import Customer
from kehu.sales.actions import orders as acts
from kehu.sales.models import SalesOrder
from kehu.sales.tests.factories.orders import product

pytestmark = pytest.mark.browser


def _order(user, customer, price: str, *, due=None) -> SalesOrder:
    line = {
        "product": product(),
        "quantity": Decimal("1"),
        "unit_price": Decimal(price),
        "tax_rate": Decimal("0"),
    }
    order = SalesOrder(customer=customer, order_date=timezone.localdate(), payment_due=due)
    return acts.save_order(order, user=user, lines=[line])


def test_credit_limit_asks_for_approval_then_a_partial_payment_frees_credit(web, make_user):
    rep = make_user("salesperson", "a1", username="rep", display_name="销售小王")
    make_user("sales_manager", "a1", username="boss", display_name="经理老张")
    customer = Customer(
        number="CL0001",
        name="信用测试有限公司",
        credit_limit=Decimal("1000"),
        owner=rep,
        department=rep.department,
    )
    customer.save()
    overdue = timezone.localdate() - datetime.timedelta(days=40)
    first = acts.confirm_order(_order(rep, customer, "800", due=overdue), user=rep)
    second = _order(rep, customer, "500")
    web.login("rep")
    page = web.page

    web.goto(f"/sales/sales-orders/{second.pk}/")
    expect(page.locator("#credit-card .alert-danger")).to_be_visible()
    with page.expect_navigation():
        page.locator("button[data-transition=confirmed]").click()
    expect(page.locator(".alert-warning").first).to_contain_text("已提交审批")
    expect(page.locator("#order-status")).to_have_attribute("data-status", "draft")
    expect(page.locator("#credit-approval")).to_have_attribute("data-credit-approval", "pending")
    expect(page.locator("button[data-transition]")).to_have_count(0)  # locked
    web.screenshot("order-over-credit-limit")

    # the request shows the figures; the salesperson takes it back to collect money first
    with page.expect_navigation():
        page.locator("a[data-approval-link]").click()
    expect(page.locator("main")).to_contain_text("1000.00")  # the credit limit
    expect(page.locator("main")).to_contain_text("1300.00")  # 800 open + 500 this order
    web.screenshot("order-credit-approval-request")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="撤回").click()

    # a partial payment on the first order (the form proposes the open amount)
    web.goto(f"/sales/sales-orders/{first.pk}/")
    with page.expect_navigation():
        page.get_by_role("link", name="登记收款").click()
    expect(page.locator("#id_amount")).to_have_value("800")
    page.locator("#id_amount").fill("300")
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()
    web.goto(f"/sales/sales-orders/{first.pk}/")
    expect(page.locator("#order-open")).to_have_text("500.00")

    # now 500 open + 500 fits the limit of 1000
    web.goto(f"/sales/sales-orders/{second.pk}/")
    with page.expect_navigation():
        page.locator("button[data-transition=confirmed]").click()
    expect(page.locator("#order-status")).to_have_attribute("data-status", "confirmed")
    expect(page.locator("#order-timeline [data-event=confirmed]")).to_be_visible()
    web.screenshot("order-confirmed-timeline")

    web.goto("/sales/receivables/ageing/")
    row = page.locator("#ageing-table tbody tr", has_text=customer.name)
    # 500 left of the first order is 31-60 days late; the second is not yet due
    expect(row.locator("td")).to_have_text(
        [customer.name, "500.00", "–", "500.00", "–", "–", re.compile(r"1,?000\.00")]
    )
    web.screenshot("receivables-ageing")
    web.switch_language("en")
    expect(page.locator("h1")).to_have_text("Receivables ageing")
    expect(page.locator("#ageing-total")).to_have_text("1,000.00")
    web.screenshot("receivables-ageing")
