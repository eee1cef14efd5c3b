"""Demo customers: Chinese companies and individuals spread over the sales force."""

from __future__ import annotations

import datetime
from decimal import Decimal

from kehu.core.actions import bulk_create_audited
from kehu.core.demo import DemoContext, generator
from kehu.system.demo import person_name

from .actions import mnemonic_for
from .models import Customer

CITIES = [
    "北京",
    "上海",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "成都",
    "重庆",
    "武汉",
    "西安",
    "苏州",
    "天津",
    "长沙",
    "青岛",
    "厦门",
    "宁波",
]
WORDS = [
    "华",
    "恒",
    "信",
    "达",
    "通",
    "鑫",
    "源",
    "盛",
    "泰",
    "宏",
    "远",
    "博",
    "创",
    "星",
    "辰",
    "瑞",
    "安",
    "和",
    "新",
    "天",
    "海",
    "光",
    "明",
    "润",
    "德",
    "嘉",
    "丰",
    "永",
    "兴",
    "隆",
]
INDUSTRIES = [
    ("科技", "软件与信息服务"),
    ("电子", "电子制造"),
    ("机械", "装备制造"),
    ("贸易", "批发零售"),
    ("电力", "电力能源"),
    ("物流", "交通物流"),
    ("医药", "医药健康"),
    ("食品", "食品饮料"),
    ("建材", "建筑建材"),
    ("化工", "化工"),
]
LEVELS = ["A", "B", "C", "D"]


@generator(30, "customers")
def customers(ctx: DemoContext) -> None:
    rng = ctx.rng
    people = ctx.data.get("salespeople") or []
    if not people or Customer.objects.exists():
        return
    start = Customer.objects.count()
    batch: list[Customer] = []
    total = ctx.customers
    for i in range(total):
        owner = people[rng.randrange(len(people))]
        city = rng.choice(CITIES)
        if rng.random() < 0.85:
            word, industry = rng.choice(INDUSTRIES)
            name = f"{city}{rng.choice(WORDS)}{rng.choice(WORDS)}{word}有限公司"
            kind = Customer.Kind.COMPANY
        else:
            name, industry, kind = person_name(rng), ("", ""), Customer.Kind.INDIVIDUAL
            industry = ("", "")
        batch.append(
            Customer(
                number=f"C{start + i + 1:08d}",
                name=name,
                mnemonic=mnemonic_for(name),
                kind=kind,
                phone=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
                city=city,
                industry=industry[1] if isinstance(industry, tuple) else industry,
                level=rng.choice(LEVELS),
                credit_limit=Decimal(rng.choice((0, 50000, 100000, 200000, 500000))),
                registered_on=datetime.date(2020, 1, 1)
                + datetime.timedelta(days=rng.randrange(2000)),
                owner_id=owner.pk,
                department_id=owner.department_id,
            )
        )
        if len(batch) >= 5000:
            bulk_create_audited(Customer, batch)
            batch = []
            ctx.out(f"  {i + 1:,} / {total:,}")
    if batch:
        bulk_create_audited(Customer, batch)
