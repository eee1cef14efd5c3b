"""Demo campaigns of every type over the last year, with members who responded, actual costs, a
yearly marketing plan, and the demo leads' campaigns (by name) so the ROI page has a story."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from kehu.core.demo import DemoContext, generator

#: name, type, channel, budget (the first six are the campaigns the demo leads name)
CAMPAIGNS = [
    ("上海工博会", "trade_show", "国家会展中心（上海）", 380000),
    ("深圳高交会", "trade_show", "深圳会展中心", 260000),
    ("广交会", "trade_show", "广州琶洲展馆", 300000),
    ("官网在线咨询", "advertising", "官网", 40000),
    ("百度推广", "advertising", "百度搜索", 180000),
    ("微信朋友圈广告", "advertising", "微信", 120000),
    ("智能制造新品发布研讨会", "event", "上海浦东香格里拉", 150000),
    ("春季新品邮件", "email", "客户邮件列表", 8000),
    ("老客户回访电话", "telemarketing", "呼叫中心", 30000),
    ("年终感恩直邮", "direct_mail", "顺丰", 45000),
]
COSTS = {
    "trade_show": ["venue", "material", "travel", "gifts"],
    "advertising": ["media", "agency"],
    "event": ["venue", "material", "gifts", "agency"],
    "email": ["agency"],
    "telemarketing": ["agency", "other"],
    "direct_mail": ["material", "other"],
}
RESPONSES = ["索取资料", "预约拜访", "来电咨询", "报名参加", "要求报价", "转介绍同事"]


@generator(150, "campaigns and marketing plan")
def campaigns(ctx: DemoContext) -> None:
    from kehu.core.audit import audited_bulk_create
    from kehu.customers.models import Customer
    from kehu.system.models import User

    from ..actions.campaigns import add_cost, save_campaign, save_plan
    from ..models import Campaign, CampaignMember, MarketingPlan

    if Campaign.objects.exists():
        return
    rng = ctx.rng
    owner = User.objects.filter(is_active=True, department__isnull=False).order_by("pk").first()
    if owner is None:
        return
    today = timezone.localdate()
    year_start = today.replace(month=1, day=1)
    plan = save_plan(
        MarketingPlan(
            name=f"{today.year} 年度市场计划",
            start_date=year_start,
            end_date=today.replace(month=12, day=31),
            goal="提升品牌在华东、华南制造业客户中的知名度；全年获取 1500 条有效线索。",
            budget=Decimal("1600000"),
            revenue_goal=Decimal("20000000"),
            lead_goal=1500,
            owner=owner,
        ),
        user=None,
    )
    customers = list(Customer.objects.order_by("pk").values_list("pk", "name", "email")[:3000])
    for n, (name, kind, channel, budget) in enumerate(CAMPAIGNS):
        start = today - datetime.timedelta(days=30 + 33 * n + rng.randrange(10))
        end = start + datetime.timedelta(days=rng.choice((3, 5, 14, 30)))
        status = "completed" if end < today else "active"
        campaign = save_campaign(
            Campaign(
                name=name,
                kind=kind,
                channel=channel,
                status=status,
                start_date=start,
                end_date=end,
                budget=Decimal(budget),
                expected_revenue=Decimal(budget * rng.choice((5, 8, 10))),
                plan=plan if start >= year_start else None,
                location=channel if kind == "event" else "",
                owner=owner,
            ),
            user=None,
        )
        if kind == "event":
            from ..actions.events import open_registration

            campaign = open_registration(campaign=campaign, user=None)
        for category in COSTS[kind]:
            add_cost(
                campaign=campaign,
                user=None,
                amount=Decimal(budget) * Decimal(rng.randrange(15, 45)) / 100,
                date=start,
                category=category,
            )
        if kind in ("event", "email", "telemarketing", "direct_mail") and customers:
            picked = rng.sample(customers, k=min(len(customers), rng.randrange(40, 160)))
            members = []
            for pk, cname, email in picked:
                roll = rng.random()
                status = "sent"
                responded = None
                if roll < 0.25:
                    status = "responded" if roll < 0.2 else "converted"
                    responded = timezone.make_aware(
                        datetime.datetime.combine(
                            start + datetime.timedelta(days=rng.randrange(0, 7)),
                            datetime.time(10, rng.randrange(60)),
                        )
                    )
                elif roll < 0.28:
                    status = "unsubscribed"
                if kind == "event" and status in ("sent", "responded"):
                    status = "attended" if roll < 0.6 else "registered"
                    responded = responded or timezone.make_aware(
                        datetime.datetime.combine(start, datetime.time(9, rng.randrange(60)))
                    )
                members.append(
                    CampaignMember(
                        campaign=campaign,
                        customer_id=pk,
                        name=cname[:200],
                        email=email or "",
                        status=status,
                        response=rng.choice(RESPONSES) if responded else "",
                        responded_at=responded,
                    )
                )
            audited_bulk_create(CampaignMember, members)
