"""The customer list (HTMX filter, sort, keyset pages), detail, create/edit, stale edits, CSV
export and the salesperson's data scope, in a real browser."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Customer

pytestmark = pytest.mark.browser

LIST = "/customers/customers/"


def rows(page):
    return page.locator("#object-table tbody tr")


def first_cells(page) -> list[str]:
    """The first (linked) column of every row: the customer numbers."""
    return [
        t.strip() for t in page.locator("#object-table tbody td.cell-title > a").all_inner_texts()
    ]


def mark_page(page) -> None:
    """A marker that survives HTMX swaps and disappears on a full page load."""
    page.evaluate("window.__kehuNoReload = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__kehuNoReload === true"), "the page was fully reloaded"


def test_list_filters_by_city_with_htmx_and_sorts(web, admin_user, customers_for):
    all_numbers = [c.number for c in customers_for(admin_user, 9, cities=("上海", "北京", "杭州"))]
    web.login(admin_user.username)
    web.goto(LIST)
    page = web.page
    expect(rows(page)).to_have_count(9)
    assert page.locator("[data-count]").get_attribute("data-count") == "9"
    web.screenshot("customer-list")

    mark_page(page)
    city = page.locator(".filter-form input[name=city]")
    city.fill("北京")
    city.press("Enter")
    expect(rows(page)).to_have_count(3)
    assert_not_reloaded(page)
    assert "city=" in page.url
    for text in page.locator("#object-table tbody tr").all_inner_texts():
        assert "北京" in text
    web.screenshot("customer-list-filtered")

    # sort by number, ascending then descending, still without reloading
    sort = page.locator("#object-table thead a[href*='sort=number']")
    sort.click()
    expect(
        page.locator("#object-table thead a[href*='sort=-number'] .bi-caret-up-fill")
    ).to_have_count(1)
    numbers = first_cells(page)
    assert numbers == sorted(numbers) and len(numbers) == 3
    page.locator("#object-table thead a[href*='sort=-number']").click()
    expect(page.locator("#object-table thead .bi-caret-down-fill")).to_have_count(1)
    assert first_cells(page) == sorted(numbers, reverse=True)
    assert_not_reloaded(page)
    assert "sort=-number" in page.url and "city=" in page.url

    # filtering again keeps the sort; the search box filters as one types
    city.fill("杭州")
    city.press("Enter")
    expect(page.locator("#object-table tbody td > a").first).to_have_text(
        sorted((c for c in all_numbers if c[-1] in "258"), reverse=True)[0]
    )
    assert "sort=-number" in page.url
    city.fill("")
    page.locator(".filter-form input[name=q]").press_sequentially("客户004", delay=20)
    expect(rows(page)).to_have_count(1)
    assert_not_reloaded(page)

    # a filter that matches nothing shows the empty state
    city.fill("拉萨")
    city.press("Enter")
    expect(page.locator("#object-table [data-empty]")).to_be_visible()
    web.screenshot("customer-list-empty")

    # the reset link brings back everything
    with page.expect_navigation():
        page.locator(".filter-form [data-reset]").click()
    expect(rows(page)).to_have_count(9)


def test_list_pages_forward_and_back_and_opens_detail(web, admin_user, customers_for):
    customers_for(admin_user, 65)
    web.login(admin_user.username)
    web.goto(LIST)
    page = web.page
    expect(rows(page)).to_have_count(50)
    assert page.locator("[data-count]").get_attribute("data-count") == "65"
    first_page = first_cells(page)
    mark_page(page)
    prev = page.locator("#object-table a[rel=prev]")
    assert "disabled" in prev.locator("xpath=..").get_attribute("class")

    page.locator("#object-table a[rel=next]").click()
    expect(rows(page)).to_have_count(15)
    second_page = first_cells(page)
    assert not set(first_page) & set(second_page)
    assert "after=" in page.url
    assert "disabled" in page.locator("#object-table a[rel=next]").locator(
        "xpath=.."
    ).get_attribute("class")
    web.screenshot("customer-list-page2")

    page.locator("#object-table a[rel=prev]").click()
    expect(rows(page)).to_have_count(50)
    assert first_cells(page) == first_page
    assert_not_reloaded(page)

    # open the detail page of the first row
    first = page.locator("#object-table tbody tr").first.locator("td a").first
    number = first.inner_text().strip()
    with page.expect_navigation():
        first.click()
    customer = Customer.objects.get(number=number)
    assert page.locator("main h1").inner_text().strip() == customer.name
    assert number in page.locator("main dl").inner_text()
    web.screenshot("customer-detail")
    web.switch_language("en")
    web.screenshot("customer-detail")


def test_create_with_validation_error_then_edit(web, admin_user):
    web.login(admin_user.username)
    web.goto(LIST)
    page = web.page
    web.screenshot("customer-list-none")
    with page.expect_navigation():
        page.locator(".page-header a[href$='/customers/customers/add/']").click()
    page.locator("#id_number").fill("K-0001")
    page.locator("#id_city").fill("深圳")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    name_error = page.locator("#id_name").locator("xpath=ancestor::div[contains(@class,'col')][1]")
    expect(name_error.locator(".invalid-feedback")).to_have_text("此字段为必填项。")
    assert page.locator("#id_number").input_value() == "K-0001"  # kept what was typed
    assert not Customer.objects.exists()
    web.screenshot("customer-form-error")

    page.locator("#id_name").fill("深圳远景科技有限公司")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    customer = Customer.objects.get(number="K-0001")
    assert page.url.endswith(f"/customers/customers/{customer.pk}/")
    expect(page.locator(".alert-success")).to_contain_text("深圳远景科技有限公司")
    assert customer.owner == admin_user and customer.mnemonic == "SZYJKJYXGS"

    with page.expect_navigation():
        page.locator(f"a[href$='/customers/customers/{customer.pk}/edit/']").click()
    web.screenshot("customer-form")
    page.locator("#id_city").fill("广州")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    customer.refresh_from_db()
    assert customer.city == "广州" and customer.version == 2
    assert "广州" in page.locator("main dl").inner_text()
    web.switch_language("en")
    with page.expect_navigation():
        page.locator(f"a[href$='/customers/customers/{customer.pk}/edit/']").click()
    web.screenshot("customer-form")


def test_stale_edit_is_refused_and_keeps_the_other_change(web, admin_user, customers_for):
    (customer,) = customers_for(admin_user, 1)
    web.login(admin_user.username)
    web.goto(f"/customers/customers/{customer.pk}/edit/")
    page = web.page

    other = Customer.objects.get(pk=customer.pk)  # someone else saves in between
    other.phone = "010-88886666"
    other.save()

    page.locator("#id_city").fill("成都")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_contain_text("其他人已修改")
    customer.refresh_from_db()
    assert customer.phone == "010-88886666" and customer.city != "成都"
    web.screenshot("customer-form-stale")

    # "Reload" opens the current record: the other change is there, and saving now works
    with page.expect_navigation():
        page.locator("[data-reload]").click()
    assert page.locator("#id_phone").input_value() == "010-88886666"
    page.locator("#id_city").fill("成都")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    customer.refresh_from_db()
    assert (customer.phone, customer.city) == ("010-88886666", "成都")


def test_csv_export_downloads_the_list(web, admin_user, customers_for):
    customers_for(admin_user, 5)
    web.login(admin_user.username)
    web.goto(LIST)
    page = web.page
    number = first_cells(page)[0]
    with page.expect_download() as info:
        page.locator("a[data-export=csv]").click()
    download = info.value
    assert download.suggested_filename.startswith("customer-")
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(io.StringIO(f.read())))
    customer = Customer.objects.get(number=number)
    assert len(table) == 6
    assert table[1][:2] == [customer.number, customer.name]


def test_salesperson_sees_only_own_customers(web, make_user, customers_for):
    me = make_user("salesperson")
    colleague = make_user("salesperson")
    mine = customers_for(me, 3, prefix="M")
    theirs = customers_for(colleague, 4, prefix="T")
    web.login(me.username)
    web.goto(LIST)
    page = web.page
    expect(rows(page)).to_have_count(3)
    assert sorted(first_cells(page)) == sorted(c.number for c in mine)
    web.goto(f"/customers/customers/{theirs[0].pk}/", status=404)
    web.goto(f"/customers/customers/{theirs[0].pk}/edit/", status=404)
    web.goto(f"/customers/customers/{mine[0].pk}/")
    assert page.locator("main h1").inner_text().strip() == mine[0].name
