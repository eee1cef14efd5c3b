"""Drag a deal on the kanban board to another stage: the stage changes, the column counts follow,
the change is in the audit trail and the stage history; a lost stage asks for the reason."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from kehu.core.context import acting_as
from kehu.core.models import AuditLog
from kehu.customers.tests.factories import customer
from kehu.sales.actions.pipeline import default_pipeline, save_opportunity
from kehu.sales.models import Opportunity, Stage, StageHistory

pytestmark = pytest.mark.browser


def test_drag_a_deal_to_another_stage(web, make_user):
    owner = make_user("salesperson", "a1", display_name="李娜")
    pipeline = default_pipeline()
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
    with acting_as(owner):
        cust = customer(owner, 1, name="杭州恒信科技有限公司")
        deal = save_opportunity(
            Opportunity(name="恒信ERP升级项目", customer=cust, amount=Decimal(350000)), user=owner
        )
        other = save_opportunity(
            Opportunity(name="恒信年度耗材采购", customer=cust, amount=Decimal(80000)), user=owner
        )
    web.login(owner.username)
    page = web.page
    web.goto("/sales/kanban/")
    source = page.locator(f'.deal-card[data-deal="{deal.pk}"]')
    target = page.locator(f'.kanban-col[data-stage="{stages[2].pk}"]')
    expect(source).to_be_visible()
    source.drag_to(target.locator("[data-drop]"))
    expect(page.locator("#kanban-ok")).to_be_visible()
    expect(target.locator("[data-count]")).to_have_text("1")
    expect(page.locator(f'.kanban-col[data-stage="{stages[0].pk}"] [data-count]')).to_have_text("1")
    deal.refresh_from_db()
    assert deal.stage == stages[2]
    history = StageHistory.objects.filter(opportunity=deal).latest("changed_at")
    assert (history.from_stage, history.to_stage, history.changed_by) == (
        stages[0],
        stages[2],
        owner,
    )
    audit = AuditLog.objects.filter(
        content_type__model="opportunity", object_id=str(deal.pk), action="update"
    ).latest("timestamp")
    assert audit.user == owner and ("stage" in audit.changes or "stage_id" in audit.changes)
    # the lost column (off-screen to the right: the card's "Move to" menu) asks why; cancelling
    # snaps the card back and changes nothing
    lost = page.locator(f'.kanban-col[data-stage="{stages[-1].pk}"]')
    card = page.locator(f'.deal-card[data-deal="{other.pk}"]')

    def move_to_lost():
        card.locator(".deal-menu").click()
        card.locator(f'[data-move-to="{stages[-1].pk}"]').click()

    move_to_lost()
    expect(page.locator("#lost-modal")).to_be_visible()
    page.locator("#lost-modal .btn-outline-secondary").click()
    expect(
        page.locator(f'.kanban-col[data-stage="{stages[0].pk}"] .deal-card[data-deal="{other.pk}"]')
    ).to_be_visible()
    other.refresh_from_db()
    assert other.status == "open"
    # with a reason it is lost
    move_to_lost()
    page.locator("#lost-reason").fill("价格太高")
    page.locator("#lost-form button[type=submit]").click()
    expect(lost.locator("[data-count]")).to_have_text("1")
    other.refresh_from_db()
    assert other.status == "lost" and other.lost_reason == "价格太高"
    web.screenshot("sales-kanban-after-drag")
