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
