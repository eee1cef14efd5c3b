"""Custom fields in a real browser: an administrator defines a choice field “客户来源渠道”,
fills it on a new customer, and filters the customer list by it (HTMX), in Chinese and English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Customer
from kehu.system.models import CustomField

pytestmark = pytest.mark.browser

LIST = "/customers/customers/"


def rows(page):
    return page.locator("#object-table tbody tr")


def test_define_fill_and_filter_by_a_choice_field(web, admin_user, customers_for):
    customers_for(admin_user, 3)
    web.login(admin_user.username)
    page = web.page

    # 1. define the field on the set-up page
    web.goto("/system/customfields/add/")
    page.locator("select[name=object_type]").select_option("customers.customer")
    page.locator("input[name=code]").fill("source_channel")
    page.locator("input[name=label_zh]").fill("客户来源渠道")
    page.locator("input[name=label_en]").fill("Source channel")
    page.locator("select[name=kind]").select_option("choice")
    page.locator("textarea[name=choices_text]").fill(
        "wechat | 微信 | WeChat\nexpo | 展会 | Trade show\nweb | 官网 | Website"
    )
    page.locator("input[name=show_in_list]").check()
    page.locator("input[name=filterable]").check()
    web.screenshot("customfields-definition-form")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    field = CustomField.objects.get(code="source_channel")
    assert [c["code"] for c in field.choices] == ["wechat", "expo", "web"]
    web.goto("/system/customfields/")
    expect(page.locator("#object-table tbody")).to_contain_text("客户来源渠道")
    web.screenshot("customfields-definitions")

    # 2. fill it on a new customer
    web.goto(LIST + "add/")
    page.locator("input[name=name]").fill("渠道测试有限公司")
    channel = page.locator("select[name=custom__source_channel]")
    expect(channel.locator("option")).to_have_count(4)
    channel.select_option("expo")
    web.screenshot("customfields-customer-form")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    customer = Customer.objects.get(name="渠道测试有限公司")
    assert customer.custom == {"source_channel": "expo"}
    expect(page.locator(".detail-list")).to_contain_text("客户来源渠道")
    expect(page.locator(".detail-list")).to_contain_text("展会")

    # 3. filter the list by it (the list shows it as a column too)
    web.goto(LIST)
    expect(rows(page)).to_have_count(4)
    expect(page.locator("#object-table thead")).to_contain_text("客户来源渠道")
    page.locator(".filter-form select[name=custom__source_channel]").select_option("expo")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("渠道测试有限公司")
    expect(rows(page).first).to_contain_text("展会")
    assert "custom__source_channel=expo" in page.url
    web.screenshot("customfields-list-filtered")

    # 4. the same pages in English
    web.switch_language("en")
    web.goto(LIST + "?custom__source_channel=expo")
    expect(rows(page)).to_have_count(1)
    expect(page.locator("#object-table thead")).to_contain_text("Source channel")
    expect(rows(page).first).to_contain_text("Trade show")
    web.screenshot("customfields-list-filtered")
    web.goto("/system/customfields/")
    web.screenshot("customfields-definitions")
    web.goto(f"{LIST}{customer.pk}/edit/")
    expect(page.locator("label[for=id_custom__source_channel]")).to_contain_text("Source channel")
    web.screenshot("customfields-customer-form")
    web.goto("/system/customfields/order/")
    expect(page.locator("[data-code=source_channel]")).to_be_visible()
    web.screenshot("customfields-order")
    web.goto(f"/system/customfields/{field.pk}/edit/")
    expect(page.locator("textarea[name=choices_text]")).to_contain_text("expo | 展会 | Trade show")
    web.screenshot("customfields-definition-form")
    # deleting a field that records hold values of asks for a confirmation first
    web.goto(f"/system/customfields/{field.pk}/delete/")
    expect(page.locator("[data-holding='1']")).to_be_visible()
    web.screenshot("customfields-delete")
