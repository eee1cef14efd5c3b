"""Handover of a leaving employee's customers to two colleagues, the lifecycle badge and history
on the customer page, the lifecycle overview and the care page, in a real browser (zh and en)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kehu.core.models import Notification
from kehu.customers import actions
from kehu.customers.models import Contact, Customer

pytestmark = pytest.mark.browser


def test_hand_over_an_employees_customers_to_two_colleagues(
    web, admin_user, make_user, customers_for
):
    leaver = make_user("salesperson", "a1", username="leaver", display_name="离职员工")
    heir1 = make_user("salesperson", "a2", username="heir1", display_name="接手甲")
    heir2 = make_user("salesperson", "b", username="heir2", display_name="接手乙")
    customers_for(leaver, 7, prefix="H")
    web.login(admin_user.username)
    page = web.page
    web.goto("/system/handover/")
    web.screenshot("handover-empty")

    # choosing the employee shows what they own (HTMX, no reload)
    web.pick("id_employee", "lizhi", leaver.pk)
    owned = page.locator("#handover-owned [data-handover=customers] .badge")
    expect(owned).to_have_text("7")
    web.settled()
    web.pick("id_handover_to", "jieshoujia", heir1.pk)
    web.pick("id_handover_to", "jieshouyi", heir2.pk)
    page.locator("#split-choices input[value=round_robin]").check()
    with page.expect_navigation():
        page.locator("#handover-preview").click()
    rows = page.locator("#handover-preview-table tbody tr[data-handover=customers] td")
    expect(rows).to_have_text(["7", "4", "3"])
    web.screenshot("handover-preview")
    assert Customer.objects.filter(owner=leaver).count() == 7  # the preview moved nothing

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("#handover-execute button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("7")
    expect(page.locator("#handover-owned [data-handover=customers] .badge")).to_have_text("0")
    assert Customer.objects.filter(owner=heir1).count() == 4
    assert Customer.objects.filter(owner=heir2).count() == 3
    assert Notification.objects.filter(recipient__in=[heir1, heir2], kind="handover").count() == 2
    web.screenshot("handover-done")

    web.switch_language("en")
    web.pick("id_employee", "jieshoujia", heir1.pk)
    expect(page.locator("#handover-owned [data-handover=customers] .badge")).to_have_text("4")
    web.settled()
    web.pick("id_handover_to", "jieshouyi", heir2.pk)
    page.locator("#split-choices input[value=all_to_one]").check()
    with page.expect_navigation():
        page.locator("#handover-preview").click()
    expect(page.locator("#handover-preview-card")).to_contain_text("Preview")
    web.screenshot("handover-preview")


def test_lifecycle_badge_history_overview_and_care(web, admin_user, make_user):
    owner = make_user("salesperson", "a1", display_name="王销售")
    today = timezone.localdate()
    statuses = ["lost", "dormant", "", "", "active", "", "lost", ""]
    customers = []
    for n, status in enumerate(statuses, start=1):
        c = Customer(
            number=f"L{n:04d}",
            name=f"生命周期客户{n}",
            owner=owner,
            department=owner.department,
            status=status,
            kind=Customer.Kind.INDIVIDUAL if n == 3 else Customer.Kind.COMPANY,
            birthday=today + datetime.timedelta(days=2) if n == 3 else None,
        )
        actions.save_customer(customer=c, user=owner)
        customers.append(c)
    for n in range(3):
        Contact.objects.create(
            customer=customers[4],
            name=f"联系人{n}",
            owner=owner,
            department=owner.department,
            birthday=today + datetime.timedelta(days=1) if n == 0 else None,
        )
    actions.recompute_lifecycle()
    star = customers[1]
    actions.override_lifecycle_stage(
        customer=star, stage="maturity", reason="战略客户", user=admin_user
    )
    actions.generate_care_tasks()

    web.login(admin_user.username)
    page = web.page
    for language in ("zh-hans", "en"):
        if language == "en":
            web.switch_language("en")
        web.goto(f"/customers/customers/{star.pk}/")
        expect(page.locator("#stage-badge")).to_have_attribute("data-stage", "maturity")
        expect(page.locator("#lifecycle-history li")).to_have_count(2)
        page.locator("#care-card").wait_for()
        web.screenshot("customer-lifecycle")
        web.goto("/customers/lifecycle/")
        page.locator("[data-chart=lifecycle-chart][data-rendered]").wait_for()
        expect(page.locator("#lifecycle-stages tbody tr[data-stage=termination] a")).to_have_text(
            "2"
        )
        web.screenshot("lifecycle")
        web.goto("/customers/care/")
        expect(page.locator("#care-table tbody tr[data-status=open]")).to_have_count(2)
        web.screenshot("care")

    # override from the customer page, through the HTMX card
    web.goto(f"/customers/customers/{customers[0].pk}/")
    form = page.locator("#lifecycle-override")
    form.locator("select[name=stage]").select_option("recovery")
    form.locator("input[name=reason]").fill("Came back after a call")
    form.locator("button[type=submit]").click()
    expect(page.locator("#lifecycle-badge")).to_have_attribute("data-stage", "recovery")
    expect(page.locator("#lifecycle-history")).to_contain_text("Came back after a call")
    # done from the care page, without a reload
    web.goto("/customers/care/")
    first = page.locator("#care-table tbody tr[data-status=open]").first
    first.locator("button[data-op=done]").click()
    expect(page.locator("#care-table tbody tr[data-status=done]")).to_have_count(1)
