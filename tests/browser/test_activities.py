"""Log a call with a commitment from the customer page (HTMX), find it on the 360° timeline and
in the calendar, and navigate the calendar without reloading the page."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kehu.core.context import acting_as
from kehu.customers import actions
from kehu.customers.models import Activity
from kehu.customers.tests.factories import contact, customer

pytestmark = pytest.mark.browser


def _history(owner, cust, primary):
    """A few earlier interactions so the timeline and the calendar look like real use."""
    now = timezone.localtime()
    rows = [
        ("visit", "上门拜访采购部", -20, "客户态度积极，下周给答复", ""),
        ("email", "发送产品目录和报价单", -12, "", ""),
        ("meeting", "技术方案评审会", -5, "已确认需求，等待内部审批", "承诺两周内安排工程师上门"),
        ("meeting", "季度业务回顾会", 3, "", ""),
        ("task", "准备投标文件", 6, "", ""),
    ]
    with acting_as(owner):
        for kind, subject, days, outcome, commitment in rows:
            start = (now + datetime.timedelta(days=days)).replace(
                hour=10, minute=0, second=0, microsecond=0
            )
            actions.log_activity(
                customer=cust,
                user=owner,
                kind=kind,
                subject=subject,
                start_at=start,
                end_at=start + datetime.timedelta(hours=1),
                outcome=outcome,
                contacts=[primary],
                commitment=commitment,
                commitment_due=(start + datetime.timedelta(days=10)).date() if commitment else None,
                location="客户会议室" if kind == "meeting" else "",
            )


def test_log_a_call_with_a_commitment_then_see_it_on_the_timeline_and_calendar(web, make_user):
    owner = make_user("salesperson", "a1", display_name="李娜")
    with acting_as(owner):
        cust = customer(owner, 1, name="杭州恒信科技有限公司")
        primary = contact(owner, 1, customer=cust, name="王建国", title="采购经理", is_primary=True)
    _history(owner, cust, primary)
    web.login(owner.username)
    page = web.page
    web.goto(cust.get_absolute_url())
    expect(page.locator("#timeline-list .timeline-entry").first).to_be_visible()
    assert page.locator("#timeline-list").inner_text().count("季度业务回顾会") == 1

    form = page.locator("#quick-activity")
    page.evaluate("window.__kehuNoReload = true")
    form.locator("select[name=kind]").select_option("call")
    form.locator("input[name=subject]").fill("电话沟通年度折扣")
    form.locator("select[name=contacts]").select_option(str(primary.pk))
    form.locator("textarea[name=outcome]").fill("客户同意下周签约")
    form.locator("input[name=commitment]").fill("答应给予5%的折扣")
    due = timezone.localdate() + datetime.timedelta(days=4)
    form.locator("input[name=commitment_due]").fill(due.isoformat())
    form.locator("button[type=submit]").click()

    expect(page.locator("#quick-activity .alert-success")).to_be_visible()
    entry = page.locator("#timeline-list .timeline-entry", has_text="电话沟通年度折扣")
    expect(entry).to_be_visible()
    expect(entry).to_contain_text("答应给予5%的折扣")
    assert page.evaluate("window.__kehuNoReload === true"), "the page was fully reloaded"
    logged = Activity.objects.get(subject="电话沟通年度折扣")
    assert logged.commitment_due == due and list(logged.contacts.all()) == [primary]
    assert logged.status == Activity.Status.DONE and logged.owner == owner

    # the kind filter narrows the timeline to one source
    page.locator("#timeline-kind").select_option("contacts")
    expect(page.locator("#timeline-list .timeline-entry")).to_have_count(1)
    page.locator("#timeline-kind").select_option("")
    expect(entry).to_be_visible()
    page.mouse.move(0, 0)
    web.screenshot("customer-timeline")

    # the calendar shows it on today's cell; week view and back without a reload
    web.goto("/customers/calendar/")
    today = page.locator(f"td.calendar-day[data-date='{timezone.localdate().isoformat()}']")
    expect(today.locator(".calendar-item", has_text="电话沟通年度折扣")).to_be_visible()
    web.screenshot("calendar-month")
    page.evaluate("window.__kehuNoReload = true")
    page.locator("[data-nav=week]").click()
    expect(page.locator(".calendar-card[data-view=week]")).to_be_visible()
    expect(page.locator("td.calendar-day")).to_have_count(7)
    web.screenshot("calendar-week")
    page.locator("[data-nav=next]").click()
    expect(page.locator(".calendar-item", has_text="电话沟通年度折扣")).to_have_count(0)
    page.locator("[data-nav=today]").click()
    expect(page.locator(".calendar-item:visible", has_text="电话沟通年度折扣")).to_be_visible()
    assert page.evaluate("window.__kehuNoReload === true")
    page.locator(".calendar-item:visible", has_text="电话沟通年度折扣").click()
    expect(page.locator("main h1")).to_have_text("电话沟通年度折扣")
    expect(page.locator(".activity-contacts")).to_contain_text("王建国")

    # the same pages in English
    web.switch_language("en")
    web.goto(cust.get_absolute_url())
    expect(page.locator("#timeline-list .timeline-entry").first).to_be_visible()
    web.screenshot("customer-timeline")
    web.goto("/customers/calendar/")
    expect(page.locator(".calendar-item:visible").first).to_be_visible()
    web.screenshot("calendar-month")
