"""The home dashboard in a real browser: a branch manager opens "my day", every card loads by
itself (HTMX), the counts link to the filtered list; on a phone the cards stack."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kehu.core.context import acting_as
from kehu.customers import actions
from kehu.customers.models import Activity
from kehu.customers.tests.factories import customer

pytestmark = pytest.mark.browser


def test_a_manager_s_day_loads_its_cards_and_links_to_the_lists(web, phone, make_user):
    manager = make_user("branch_manager", "a", display_name="周经理")
    seller = make_user("salesperson", "a1", display_name="王小明")
    now = timezone.localtime()
    with acting_as(manager):
        mine = customer(manager, 1, name="杭州恒信贸易")
        theirs = customer(seller, 2, name="宁波海港物流")
        actions.log_activity(
            customer=mine,
            user=manager,
            kind="visit",
            subject="上门拜访采购部",
            start_at=now.replace(hour=23, minute=0, second=0, microsecond=0),
            status=Activity.Status.PLANNED,
        )
        actions.log_activity(
            customer=mine,
            user=manager,
            kind="call",
            subject="回访报价",
            start_at=now - datetime.timedelta(days=2),
            status=Activity.Status.PLANNED,
        )
        actions.log_activity(
            customer=theirs,
            user=manager,
            kind="call",
            subject="确认样品",
            start_at=now - datetime.timedelta(days=1),
            commitment="周五前寄出样品",
            commitment_due=timezone.localdate(),
        )
    web.login(manager.username)
    page = web.page
    for key in ("my-day", "promises", "care", "team", "recent", "reminders"):
        expect(page.locator(f'[data-card="{key}"]')).to_be_visible()
    day = page.locator('[data-card="my-day"]')
    expect(day.get_by_text("上门拜访采购部")).to_be_visible()  # loaded by HTMX
    expect(day.locator('[data-count="overdue"]')).to_contain_text("1")
    expect(page.locator('[data-card="team"] [data-count="overdue"]')).to_contain_text("1")
    expect(page.locator('[data-card="promises"]')).to_contain_text("周五前寄出样品")
    web.settled()
    web.screenshot("dashboard-manager")
    person = page.locator('[data-card="team"] tbody tr').filter(has_text="周经理")
    with page.expect_navigation():
        person.get_by_role("link", name="周经理").click()
    expect(page.locator("main")).to_contain_text("上门拜访采购部")  # their activities this week
    page.go_back()
    day = page.locator('[data-card="my-day"]')
    expect(day.get_by_text("上门拜访采购部")).to_be_visible()
    with page.expect_navigation():
        day.locator('[data-count="overdue"]').click()
    expect(page.locator("main")).to_contain_text("回访报价")
    expect(page.locator("main")).not_to_contain_text("上门拜访采购部")

    phone.login(manager.username)
    expect(phone.page.locator('[data-card="my-day"]').get_by_text("上门拜访采购部")).to_be_visible()
    boxes = [
        phone.page.locator(f'[data-card="{key}"]').bounding_box() for key in ("my-day", "promises")
    ]
    assert boxes[0]["width"] > 340 and boxes[1]["y"] > boxes[0]["y"]  # stacked, full width
    phone.settled()
    phone.screenshot("dashboard-manager")


def test_on_a_phone_the_calendar_lists_days_and_a_customer_s_phone_is_a_call(phone, make_user):
    seller = make_user("salesperson", "a1", display_name="王小明")
    now = timezone.localtime()
    with acting_as(seller):
        cust = customer(seller, 1, name="杭州恒信贸易", phone="0571-8888 6666")
        actions.log_activity(
            customer=cust,
            user=seller,
            kind="visit",
            subject="上门拜访采购部并确认下季度的框架协议条款",
            start_at=now.replace(hour=23, minute=0, second=0, microsecond=0),
            status=Activity.Status.PLANNED,
        )
    phone.login(seller.username)
    page = phone.page
    phone.goto("/customers/calendar/")
    agenda = page.locator(".calendar-agenda")
    expect(agenda).to_be_visible()
    expect(page.locator(".calendar-grid")).to_be_hidden()
    item = agenda.get_by_text("上门拜访采购部并确认下季度的框架协议条款")
    expect(item).to_be_visible()
    box = item.bounding_box()
    assert box["width"] > 150  # the whole subject, not a cell's "…"
    phone.settled()
    phone.screenshot("calendar-agenda")
    phone.goto(f"/customers/customers/{cust.pk}/")
    expect(page.locator('a[href="tel:057188886666"]')).to_be_visible()
    form = page.locator("#quick-activity-card").bounding_box()
    fields = page.locator("#customer-fields").bounding_box()
    assert form["y"] < fields["y"]  # the log-activity form above the profile's fields
