"""The global search (pinyin, initials, phone in another format) and saved views on the
customer list, in a real browser, in Chinese and English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.customers import actions
from kehu.customers.models import Contact, Customer

pytestmark = pytest.mark.browser

LIST = "/customers/customers/"


@pytest.fixture
def book(admin_user):
    huawei = actions.save_customer(
        customer=Customer(
            name="北京华为技术有限公司", city="北京", phone="+86 10 8888-6666", email="Sales@HW.cn"
        ),
        user=admin_user,
    )
    actions.save_customer(
        customer=Customer(name="上海华为代理有限公司", city="上海"), user=admin_user
    )
    actions.save_customer(customer=Customer(name="杭州娃哈哈集团", city="杭州"), user=admin_user)
    actions.save_contact(
        contact=Contact(customer=huawei, name="华为张伟", mobile="138-0013-8000"), user=admin_user
    )
    return huawei


def search_box(page):
    return page.locator(".navbar-search input[name=q]")


def type_query(page, text: str) -> None:
    """Type into the top-bar box and wait until the dropdown answered this very query."""
    with page.expect_response(lambda r: "/search/?" in r.url and r.ok):
        search_box(page).fill(text)
    page.wait_for_load_state("networkidle")


def test_global_search_finds_by_pinyin_initials_and_phone(web, admin_user, book):
    web.login(admin_user.username)
    page = web.page
    hits = page.locator("#search-dropdown .search-hit")
    type_query(page, "beijinghuawei")
    expect(hits.first).to_contain_text("北京华为技术有限公司")
    # and its contact, found through the company's pinyin, below it
    expect(hits).to_have_count(2)
    expect(hits.last).to_contain_text("华为张伟")
    type_query(
        page, "华为"
    )  # 2 characters: both customers and the contact (whose name starts with it)
    expect(hits).to_have_count(3)
    expect(page.locator("#search-dropdown")).to_contain_text("北京华为技术有限公司")
    expect(page.locator("#search-dropdown")).to_contain_text("上海华为代理有限公司")
    expect(hits.last).to_contain_text("华为张伟")
    web.screenshot("search-dropdown", full_page=False)
    type_query(page, "010 8888 6666")  # the phone as someone else writes it
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text("北京华为技术有限公司")
    type_query(page, "+86 138 0013 8000")
    expect(hits.first).to_contain_text("华为张伟")
    type_query(page, "BJHW")
    expect(hits.first).to_contain_text("北京华为技术有限公司")
    with page.expect_navigation():
        hits.first.click()  # the company itself, ranked above its contact
    assert page.url.endswith(f"/customers/customers/{book.pk}/")
    # the full search page and the list's "all results"
    web.goto("/search/?q=hua+wei")
    expect(page.locator(".search-hit")).to_have_count(3)
    web.screenshot("search-page")
    web.switch_language("en")
    web.goto("/search/?q=hua+wei")
    expect(page.locator(".search-hit")).to_have_count(3)
    web.screenshot("search-page")
    type_query(page, "华为")
    expect(page.locator("#search-dropdown .search-hit")).to_have_count(3)
    web.screenshot("search-dropdown", full_page=False)


def test_saved_view_save_apply_default(web, admin_user, book):
    web.login(admin_user.username)
    page = web.page
    web.goto(LIST)
    rows = page.locator("#object-table tbody tr")
    expect(rows).to_have_count(3)
    query = page.locator(".filter-form input[name=q]")
    query.fill("huawei")
    query.press("Enter")
    expect(rows).to_have_count(2)
    page.locator("#saved-views-button").click()
    web.screenshot("saved-views-menu", full_page=False)
    page.locator("[data-save-view]").click()
    modal = page.locator("#save-view-modal")
    expect(modal).to_be_visible()
    modal.locator("input[name=name]").fill("华为客户")
    modal.locator("input[name=is_default]").check()
    web.screenshot("saved-view-modal", full_page=False)
    with page.expect_navigation():
        modal.locator("button[type=submit]").click()
    expect(page.locator(".saved-view-current")).to_have_text("华为客户")
    expect(rows).to_have_count(2)
    # the default view applies when the list is opened without parameters
    web.goto(LIST)
    assert "q=huawei" in page.url and "view=" in page.url
    expect(rows).to_have_count(2)
    web.screenshot("saved-view-applied")
    # Reset shows everything
    with page.expect_navigation():
        page.locator("a[data-reset]").click()
    expect(rows).to_have_count(3)
    web.goto("/views/?type=customers.customer")
    expect(page.locator(".saved-view-list input[name=name]")).to_have_value("华为客户")
    web.screenshot("saved-views-manage")
    web.switch_language("en")
    web.goto(LIST)
    page.locator("#saved-views-button").click()
    expect(page.locator(".saved-views-menu")).to_contain_text("华为客户")
    web.screenshot("saved-views-menu", full_page=False)
    web.goto("/views/?type=customers.customer")
    web.screenshot("saved-views-manage")
