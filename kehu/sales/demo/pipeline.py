"""Demo deals: a year of opportunities through every stage of the default pipeline for the demo
customers, with a consistent stage history (won and lost deals have ``closed_at``; every stay's
days match its dates); deterministic for a seed."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from kehu.core.actions import bulk_create_audited
from kehu.core.demo import DemoContext, generator

PROJECTS = [
    "ERP升级项目",
    "生产线自动化改造",
    "年度耗材采购",
    "仓储管理系统",
    "设备维保服务",
    "CRM实施",
    "数据中心扩容",
    "安防监控改造",
    "办公网络升级",
    "MES系统二期",
    "检测设备采购",
    "年度框架协议",
]
COMPETITORS = ["用友", "金蝶", "浪潮", "华为", "西门子", "本地代理商", ""]
LOST_REASONS = ["价格太高", "选择了竞争对手", "预算取消", "项目延期无限期", "客户内部决策变化"]
NEXT_STEPS = [
    "下周安排技术交流",
    "提交修改后的报价",
    "约采购经理面谈",
    "准备样品试用",
    "等待客户内部审批",
    "发送合同草稿",
]
SOURCES = ["展会", "老客户介绍", "官网咨询", "电话营销", "合作伙伴"]
AMOUNTS = [30_000, 50_000, 80_000, 120_000, 200_000, 350_000, 500_000, 800_000, 1_200_000]


@generator(100, "pipeline and deals")
def deals(ctx: DemoContext) -> None:
    """About one deal for two customers over the last year, each walked through the stages:
    a third won, a fifth lost, the rest still open (some stalled)."""
    from kehu.customers.models import Customer

    from ..actions.pipeline import default_pipeline, take_opportunity_numbers
    from ..models import Opportunity, Stage, StageHistory

    pipeline = default_pipeline()
    if Opportunity.objects.exists() or not Customer.objects.exists():
        return
    rng = ctx.rng
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
    open_stages = [s for s in stages if s.kind == Stage.Kind.OPEN]
    won = next(s for s in stages if s.kind == Stage.Kind.WON)
    lost = next(s for s in stages if s.kind == Stage.Kind.LOST)
    now = timezone.now().replace(second=0, microsecond=0)
    customers = list(
        Customer.objects.order_by("pk").values_list("pk", "name", "owner_id", "department_id")
    )
    plans = []
    for pk, name, owner_id, department_id in customers:
        for _i in range(rng.choice((0, 0, 1, 1, 1, 2))):
            plans.append((pk, name, owner_id, department_id))
    numbers = iter(take_opportunity_numbers(len(plans)))
    total = 0
    for start in range(0, len(plans), 2000):
        chunk = plans[start : start + 2000]
        opps, walks = [], []
        for customer_id, customer_name, owner_id, department_id in chunk:
            # where the deal gets to: furthest open stage, then won / lost / still open; deals
            # still open are recent ones (a few of them stalled), closed ones span the year
            furthest = rng.choice((0, 0, 1, 1, 2, 2, 3, 3, 3))
            outcome = rng.choices(("won", "lost", "open"), weights=(35, 20, 45))[0]
            if outcome == "open":  # walked backwards from now: the last stay is mostly short
                steps = [rng.randint(1, 20) for _p in range(furthest)]
                stay = rng.choice((0, 1, 2, 3, 5, 7, 8, 10, 12, 15, 20, 35))
                age = sum(steps) + stay
            else:
                age = rng.randint(0, 365)
            created = now - datetime.timedelta(days=age, hours=rng.randint(0, 9))
            when = created
            walk = [(None, open_stages[0], created)]
            for pos in range(1, furthest + 1):
                step = rng.randint(2, 30) if outcome != "open" else steps[pos - 1]
                when = when + datetime.timedelta(days=step, hours=rng.randint(0, 8))
                if when > now:
                    break
                walk.append((walk[-1][1], open_stages[pos], when))
            if outcome != "open":
                when = when + datetime.timedelta(days=rng.randint(2, 30))
                if when <= now:
                    walk.append((walk[-1][1], won if outcome == "won" else lost, when))
            last_stage, since = walk[-1][1], walk[-1][2]
            amount = Decimal(rng.choice(AMOUNTS) * rng.choice((1, 1, 1.5, 2)))
            closed = since if last_stage.kind != Stage.Kind.OPEN else None
            expected = (closed or created + datetime.timedelta(days=rng.randint(30, 150))).date()
            opp = Opportunity(
                number=next(numbers),
                name=f"{customer_name[:20]}{rng.choice(PROJECTS)}",
                customer_id=customer_id,
                pipeline=pipeline,
                stage=last_stage,
                status={"won": "won", "lost": "lost"}.get(last_stage.kind, "open"),
                amount=amount,
                currency="CNY",
                expected_close=expected,
                source=rng.choice(SOURCES),
                next_step=rng.choice(NEXT_STEPS) if closed is None else "",
                competitors=rng.choice(COMPETITORS),
                lost_reason=rng.choice(LOST_REASONS) if last_stage.kind == Stage.Kind.LOST else "",
                stage_changed_at=since,
                closed_at=closed,
                owner_id=owner_id,
                department_id=department_id,
                created_at=created,
            )
            opps.append(opp)
            walks.append(walk)
        created_opps = bulk_create_audited(Opportunity, opps)
        history = []
        for opp, walk in zip(created_opps, walks, strict=True):
            previous_at = None
            for from_stage, to_stage, at in walk:
                history.append(
                    StageHistory(
                        opportunity_id=opp.pk,
                        from_stage=from_stage,
                        to_stage=to_stage,
                        changed_at=at,
                        changed_by_id=opp.owner_id,
                        days_in_previous=(at - previous_at).days if previous_at else None,
                        amount=opp.amount,
                        created_at=at,
                    )
                )
                previous_at = at
        bulk_create_audited(StageHistory, history)
        total += len(opps)
    ctx.out(f"  {total:,} deals in {pipeline}")
