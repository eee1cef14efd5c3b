"""The parent-company picker found by pinyin and chosen with the keyboard, then a file attached
on the customer page, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.core.models import Attachment
from kehu.customers import actions
from kehu.customers.models import Customer

pytestmark = pytest.mark.browser


def test_pick_a_parent_by_pinyin_and_attach_a_file(web, admin_user, tmp_path):
    group = actions.save_customer(
        customer=Customer(name="北京辰星机械集团", number="G0000001", city="北京"), user=admin_user
    )
    actions.save_customer(customer=Customer(name="上海辰光食品", city="上海"), user=admin_user)
    child = actions.save_customer(customer=Customer(name="辰星天津分公司"), user=admin_user)
    web.login(admin_user.username)
    page = web.page
    web.goto(f"/customers/customers/{child.pk}/edit/")
    box = page.locator("#id_parent")
    box.click()
    box.press_sequentially("bjcx")  # fires "input" per character, as typing does
    options = page.locator(".picker-option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("北京辰星机械集团")
    expect(options.first).to_contain_text("G0000001 · 北京")
    web.screenshot("picker-open", full_page=False)
    box.press("Enter")  # chooses; does not submit the form
    expect(page.locator(".picker-list")).to_be_hidden()
    expect(box).to_have_value("北京辰星机械集团")
    expect(page.locator("input[type=hidden][name=parent]")).to_have_value("G0000001")
    with page.expect_navigation():
        page.locator("form button[type=submit].btn-primary").first.click()
    child.refresh_from_db()
    assert child.parent_id == group.pk

    # the attachments card on the customer page: choose a file, the card refreshes
    expect(page.locator("#attachments-card")).to_contain_text("暂无附件")
    file = tmp_path / "报价单.pdf"
    file.write_bytes(b"%PDF-1.4 quote")
    page.locator("#attachments-card input[type=file]").set_input_files(str(file))
    expect(page.locator("#attachments-card .attachment-row")).to_contain_text("报价单.pdf")
    expect(page.locator("#attachments-card .alert-success")).to_be_visible()
    web.settled()
    web.screenshot("attachments-card", full_page=False)
    assert Attachment.objects.get().name == "报价单.pdf"
