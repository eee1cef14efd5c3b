"""Merge two customers choosing values per field, then undo it, in a real browser; screenshots
of the merge page, the undo preview, the recycle bin and the delete confirmation (zh and en)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.core import records
from kehu.customers import actions
from kehu.customers.models import Customer, CustomerMerge
from kehu.customers.tests.factories import contact, customer

pytestmark = pytest.mark.browser


def test_merge_two_customers_choosing_values_then_undo(web, admin_user):
    a = customer(admin_user, 1, name="华为技术有限公司", city="深圳", phone="0755-1234567")
    b = customer(admin_user, 2, name="华为技术(北京)", city="北京", email="bj@huawei.example")
    contact(admin_user, 3, customer=b, name="王经理")
    contact(admin_user, 4, customer=a, name="李总")
    web.login(admin_user.username)
    page = web.page

    web.goto(f"/customers/customers/merge/?ids={a.pk}&ids={b.pk}")
    expect(page.locator(".merge-table")).to_be_visible()
    expect(page.locator("#merge-moving")).to_contain_text("1")
    web.screenshot("merge-page")
    page.locator(f"input[name=value_city][value='{b.pk}']").check()
    page.locator(f"input[name=value_email][value='{b.pk}']").check()
    with page.expect_navigation():
        page.locator("#merge-submit").click()
    assert page.url.endswith(f"/customers/customers/{a.pk}/")
    expect(page.locator("#contacts")).to_contain_text("王经理")
    expect(page.locator("#aliases")).to_contain_text("华为技术(北京)")
    a.refresh_from_db()
    assert (a.city, a.email, a.phone) == ("北京", "bj@huawei.example", "0755-1234567")
    assert not Customer.objects.filter(pk=b.pk).exists()

    # an edit after the merge: kept by the undo and listed in its preview
    a.notes = "合并后补充的备注"
    actions.save_customer(customer=a, user=admin_user)
    page.locator("#merges a").first.click()
    expect(page.locator("#kept-edits")).to_contain_text("合并后补充的备注")
    expect(page.locator("#restored-values")).to_contain_text("深圳")
    web.screenshot("merge-undo-preview")
    with page.expect_navigation():
        page.locator("#undo-submit").click()
    a.refresh_from_db()
    assert (a.city, a.email, a.notes) == ("深圳", "", "合并后补充的备注")
    assert Customer.objects.get(pk=b.pk).contacts.get().name == "王经理"
    assert CustomerMerge.objects.get().undone_at is not None


def test_screenshots_in_both_languages(web, admin_user):
    a = customer(admin_user, 1, name="上海申通物流", city="上海")
    b = customer(admin_user, 2, name="申通物流(上海)", city="上海", phone="021-5555000")
    contact(admin_user, 3, customer=b, name="张主管")
    customer(admin_user, 4, name="申通快递华东分部", parent=a)
    gone = customer(admin_user, 5, name="已停业客户", city="杭州")
    contact(admin_user, 6, customer=gone, name="赵会计")
    records.soft_delete(obj=gone, user=admin_user)
    merged_a = customer(admin_user, 7, name="杭州西子电梯", city="杭州")
    merged_b = customer(admin_user, 8, name="西子电梯(杭州)", city="杭州", notes="展会名片")
    contact(admin_user, 9, customer=merged_b, name="钱工")
    merge = actions.merge_customers(
        survivor=merged_a, others=[merged_b], values={"notes": merged_b.pk}, user=admin_user
    )
    merged_a.refresh_from_db()
    merged_a.phone = "0571-88886666"
    actions.save_customer(customer=merged_a, user=admin_user)
    web.login(admin_user.username)
    for language in ("zh-hans", "en"):
        if language == "en":
            web.switch_language("en")
        web.goto(f"/customers/customers/merge/?ids={a.pk}&ids={b.pk}")
        web.screenshot("merge-page")
        web.goto(f"/customers/customers/merges/{merge.pk}/")
        web.screenshot("merge-undo-preview")
        web.goto("/customers/recycle-bin/")
        expect(web.page.locator("#recycle-bin")).to_contain_text("已停业客户")
        web.screenshot("recycle-bin")
        web.goto(f"/customers/customers/{a.pk}/delete/")
        expect(web.page.locator("#dependents")).to_be_visible()
        web.screenshot("delete-with-dependents")
