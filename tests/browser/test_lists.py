"""The shared list features on the customer list, in a real browser: the column chooser (and
the list remembering it), mass update of two selected rows, and an inline edit of one cell."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.core.models import ListSettings
from kehu.customers.models import Customer

pytestmark = pytest.mark.browser

LIST = "/customers/customers/"


def header(page) -> list[str]:
    return [t.strip() for t in page.locator("#object-table thead th[scope=col]").all_inner_texts()]


def test_column_chooser_mass_update_and_inline_edit(web, admin_user, customers_for):
    first, second, third = customers_for(admin_user, 3, cities=("上海", "北京", "杭州"))
    web.login(admin_user.username)
    web.goto(LIST)
    page = web.page
    expect(page.locator("#object-table tbody tr")).to_have_count(3)
    assert "助记码" not in header(page) and "电话" in header(page)

    # Column chooser: the mnemonic on, the phone off; the list remembers it.
    page.locator("#columns-button").click()
    menu = page.locator("[data-columns-form]")
    menu.locator("input[name=cols][value=mnemonic]").check()
    menu.locator("input[name=cols][value=phone]").uncheck()
    menu.locator("button[type=submit]:not([data-columns-reset])").click()
    web.settled()
    expect(page.locator("#object-table thead")).to_contain_text("助记码")
    assert "电话" not in header(page)
    assert ListSettings.objects.get(user=admin_user).columns[-1] == "mnemonic"
    web.goto(LIST)  # opened bare: the chosen columns again
    assert "助记码" in header(page) and "电话" not in header(page)
    expect(page.locator("#object-table tbody")).to_contain_text(first.mnemonic)
    web.screenshot("list-columns")

    # Mass update: two rows selected, one field, one value.
    page.locator(f"input[name=pk][value='{first.pk}']").check()
    page.locator(f"input[name=pk][value='{second.pk}']").check()
    page.locator("[data-mass-field]").select_option("city")
    page.locator("[data-mass-value=city]").locator("input, select").first.fill("深圳")
    with page.expect_navigation():
        page.locator("[data-mass-apply]").click()
    expect(page.locator(".alert-success")).to_contain_text("2")
    cities = dict(Customer.objects.values_list("pk", "city"))
    assert (cities[first.pk], cities[second.pk], cities[third.pk]) == ("深圳", "深圳", "杭州")
    web.screenshot("list-mass-update")

    # Inline edit: the pencil of the third row's city, a new value, saved in place.
    version = Customer.objects.get(pk=third.pk).version
    cell = page.locator(f"td[data-cell=city][data-pk='{third.pk}']")
    cell.hover()
    cell.locator("[data-cell-edit]").click()
    editor = cell.locator("[data-cell-form]")
    editor.locator("input:not([type=hidden]), select").first.fill("南京")
    editor.locator("button[type=submit]").click()
    expect(cell.locator(".cell-saved")).to_have_text("南京")
    web.settled()
    third.refresh_from_db()
    assert third.city == "南京" and third.version == version + 1
    assert Customer.objects.get(pk=first.pk).city == "深圳"
    web.screenshot("list-inline-edit")
