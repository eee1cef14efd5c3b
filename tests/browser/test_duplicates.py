"""The duplicate review queue and the create-form warning, in a real browser (zh and en)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.customers.actions.matching import scan_duplicates
from kehu.customers.models import Customer, DuplicateCandidate

pytestmark = pytest.mark.browser


def _plant(owner):
    rows = [
        ("B0001", "北京华为技术有限公司", "010-12345678", "北京市海淀区中关村大街五号"),
        ("B0002", "華為技術（北京）", "+86 10 1234 5678", "海淀区中关村街5号"),
        ("B0003", "上海恒达贸易有限公司", "13900001111", ""),
        ("B0004", "恒達貿易(上海)", "+86 139 0000 1111", ""),
    ]
    for number, name, phone, address in rows:
        Customer(
            number=number,
            name=name,
            phone=phone,
            address=address,
            city="",
            owner=owner,
            department=owner.department,
        ).save()
    scan_duplicates(kind="customer", full=True)


def test_review_queue_dismiss_and_create_warning(web, admin_user):
    _plant(admin_user)
    assert DuplicateCandidate.objects.filter(status="open").count() == 2
    web.login(admin_user.username)
    web.goto("/customers/duplicates/")
    page = web.page
    cards = page.locator(".duplicate-card")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("北京华为技术有限公司")
    web.screenshot("duplicate-queue")
    page.evaluate("window.__kehuNoReload = true")
    first = cards.first
    first.locator("button[data-action=dismiss]").click()
    expect(page.locator(".duplicate-card[data-status=dismissed]")).to_have_count(1)
    assert page.evaluate("window.__kehuNoReload === true")  # swapped by HTMX, no reload
    assert DuplicateCandidate.objects.filter(status="dismissed").count() == 1

    web.goto("/customers/customers/add/")
    page.locator("input[name=name]").fill("华为技术（北京）有限公司")
    page.locator("input[name=phone]").fill("(010)12345678")
    with page.expect_navigation():
        page.locator("form.card button[type=submit]").click()
    expect(page.locator("#possible-duplicates")).to_be_visible()
    expect(page.locator("#possible-duplicates a")).to_have_count(2)
    web.screenshot("duplicate-create-warning")
    page.locator("#confirm-duplicates").check()
    with page.expect_navigation():
        page.locator("form.card button[type=submit]").click()
    assert "/customers/customers/" in page.url and "/add/" not in page.url
    assert Customer.objects.filter(name="华为技术（北京）有限公司").exists()

    web.switch_language("en")
    web.goto("/customers/duplicates/")
    expect(page.locator(".duplicate-card")).to_have_count(1)
    web.screenshot("duplicate-queue")
    web.goto("/customers/customers/add/")
    page.locator("input[name=name]").fill("Hengda Trading (Shanghai)")
    page.locator("input[name=phone]").fill("139-0000-1111")
    with page.expect_navigation():
        page.locator("form.card button[type=submit]").click()
    expect(page.locator("#possible-duplicates")).to_be_visible()
    web.screenshot("duplicate-create-warning")
