"""A lead end to end in a real browser: a visitor leaves it on the public web form, the
salesperson it was given to converts it — the page warns of an existing customer — into a new
customer, contact and opportunity, and the customer's timeline shows the lead."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Customer
from kehu.sales.models import Opportunity
from kehu.sales.models.leads import Lead, WebForm

pytestmark = pytest.mark.browser


def test_web_form_lead_converted_end_to_end(web, make_user):
    sales = make_user("salesperson", "a1")
    other = make_user("salesperson", "b", display_name="周芷若")
    Customer(
        number="DUP0001",
        name="宁波恒信机械有限公司",
        phone="0574-88886666",
        owner=other,
        department=other.department,
    ).save()
    form = WebForm.objects.create(name="官网", title="联系我们", fallback_owner=sales)

    page = web.page
    web.goto(f"/sales/f/{form.key}/")
    page.locator("input[name=name]").fill("陈小春")
    page.locator("input[name=company]").fill("宁波恒信机械有限公司")
    page.locator("input[name=mobile]").fill("13812345678")
    page.locator("button[type=submit]").click()
    expect(page.locator("#thanks")).to_be_visible()
    lead = Lead.objects.get()
    assert lead.owner == sales

    web.login(sales.username)
    web.goto(lead.get_absolute_url())
    page.locator("a[data-action=convert]").click()
    warning = page.locator("#duplicate-warning")
    expect(warning).to_contain_text("周芷若")  # named by its owner only: not visible to sales
    expect(warning).not_to_contain_text("DUP0001")
    page.locator("input[name=customer_choice][value=new]").check()
    page.locator("input[name=amount]").fill("250000")
    page.locator("button[data-action=convert]").click()
    # the same company exists in another branch (撞单): no copy, its owner is named
    expect(page.locator("body")).to_contain_text("周芷若")
    lead.refresh_from_db()
    assert lead.status != "converted" and not Customer.objects.filter(owner=sales).exists()
    web.screenshot("lead-conversion-refused")

    lead.company = "宁波新辰精密机械有限公司"  # the caller corrects the company: a new one
    lead.save()
    web.goto(lead.get_absolute_url())
    page.locator("a[data-action=convert]").click()
    page.locator("input[name=customer_choice][value=new]").check()
    page.locator("input[name=amount]").fill("250000")
    with page.expect_navigation():
        page.locator("button[data-action=convert]").click()
    lead.refresh_from_db()
    assert lead.status == "converted"
    customer = lead.converted_customer
    assert page.url.endswith(customer.get_absolute_url())
    assert Opportunity.objects.get(customer=customer).amount == 250000
    expect(page.locator("body")).to_contain_text("线索已转换")
    expect(page.locator("#timeline, .timeline").first).to_contain_text("陈小春")
