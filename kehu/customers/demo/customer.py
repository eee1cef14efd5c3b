"""Demo customers: Chinese companies and individuals spread over the sales force."""

from __future__ import annotations

import datetime
from decimal import Decimal

from kehu.core.actions import bulk_create_audited
from kehu.core.demo import DemoContext, generator
from kehu.system.demo import person_name

from ..actions import mnemonic_for
from ..models import Contact, Customer
from .customfields import contact_values, customer_values

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
# (name word, industry dictionary code)
INDUSTRIES = [
    ("科技", "it"),
    ("电子", "manufacturing"),
    ("机械", "manufacturing"),
    ("贸易", "retail"),
    ("电力", "energy"),
    ("物流", "logistics"),
    ("医药", "healthcare"),
    ("食品", "manufacturing"),
    ("建材", "construction"),
    ("证券", "finance"),
    ("教育", "education"),
]
LEVELS = ["A", "B", "B", "C", "C", "C", "D"]
TYPES = ["company"] * 6 + ["government", "institution", "reseller"]
STATUSES = ["active"] * 5 + ["prospect", "prospect", "vip", "dormant", "lost"]
RATINGS = ["AAA", "AA", "AA", "A", "A", "A", "B", "B", "C", ""]
TITLES = [
    ("采购经理", "采购部"),
    ("总经理", "总经办"),
    ("财务", "财务部"),
    ("技术总监", "技术部"),
    ("行政主管", "行政部"),
    ("销售总监", "销售部"),
    ("项目经理", "项目部"),
]
HOBBIES = ["", "", "高尔夫", "茶道", "摄影", "登山", "书法", "钓鱼"]
GROUP_SHARE = 100  # one group company per this many customers


def _contacts(rng, customers: list[Customer], ctx: DemoContext | None = None) -> list[Contact]:
    """One to three contacts per customer; the first one is the primary contact."""
    rows = []
    for customer in customers:
        for k in range(1 if customer.kind == Customer.Kind.INDIVIDUAL else rng.randint(1, 3)):
            title, dept = rng.choice(TITLES)
            birthday = None
            if rng.random() < 0.6:
                birthday = datetime.date(1965 + rng.randrange(35), 1, 1) + datetime.timedelta(
                    days=rng.randrange(365)
                )
            rows.append(
                Contact(
                    customer_id=customer.pk,
                    name=customer.name
                    if customer.kind == Customer.Kind.INDIVIDUAL
                    else person_name(rng),
                    gender=rng.choice(("male", "female")),
                    birthday=birthday,
                    work_department=dept,
                    title=title,
                    mobile=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
                    office_phone=customer.phone if k == 0 else "",
                    email=f"contact{customer.pk}-{k + 1}@example.cn",
                    hobbies=rng.choice(HOBBIES),
                    is_primary=k == 0,
                    owner_id=customer.owner_id,
                    department_id=customer.department_id,
                    custom=contact_values(ctx) if ctx is not None else {},
                )
            )
    return rows


@generator(30, "customers")
def customers(ctx: DemoContext) -> None:
    """Group companies first (so subsidiaries can point at them), then the rest in batches of
    5,000 with their contacts; deterministic for a seed."""
    rng = ctx.rng
    people = ctx.data.get("salespeople") or []
    if not people or Customer.objects.exists():
        return
    total = ctx.customers
    groups: list[int] = []
    batch: list[Customer] = []
    n_groups = max(1, total // GROUP_SHARE)

    def flush(done: int) -> None:
        created = bulk_create_audited(Customer, batch)
        if len(groups) < n_groups:
            groups.extend(c.pk for c in created)
        bulk_create_audited(Contact, _contacts(rng, created, ctx))
        batch.clear()
        ctx.out(f"  {done:,} / {total:,}")

    for i in range(total):
        owner = people[rng.randrange(len(people))]
        city = rng.choice(CITIES)
        word, industry = rng.choice(INDUSTRIES)
        parent_id = None
        if i < n_groups:
            name = f"{city}{rng.choice(WORDS)}{rng.choice(WORDS)}{word}集团有限公司"
            kind = Customer.Kind.COMPANY
        elif rng.random() < 0.85:
            name = f"{city}{rng.choice(WORDS)}{rng.choice(WORDS)}{word}有限公司"
            kind = Customer.Kind.COMPANY
            if groups and rng.random() < 0.1:
                parent_id = rng.choice(groups)
        else:
            name, industry, kind = person_name(rng), "", Customer.Kind.INDIVIDUAL
        company = kind == Customer.Kind.COMPANY
        obj = Customer(
            number=f"C{i + 1:08d}",
            name=name,
            mnemonic=mnemonic_for(name),
            kind=kind,
            customer_type=rng.choice(TYPES) if company else "individual",
            status=rng.choice(STATUSES),
            credit_rating=rng.choice(RATINGS) if company else "",
            phone=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
            city=city,
            postcode=f"{rng.randrange(100000, 860000):06d}" if company else "",
            website=f"https://www.c{i + 1}.example.cn" if company else "",
            industry=industry,
            level=rng.choice(LEVELS),
            parent_id=parent_id,
            finance_contact=person_name(rng) if company else "",
            credit_limit=Decimal(rng.choice((0, 50000, 100000, 200000, 500000))),
            registered_on=datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randrange(2000)),
            owner_id=owner.pk,
            department_id=owner.department_id,
        )
        custom = customer_values(ctx, company, obj.registered_on)  # a generator of its own
        obj.source = custom.pop("source", "")  # a field of its own (the dictionary's list)
        obj.custom = custom
        batch.append(obj)
        # The group companies go in a batch of their own: their ids are needed above.
        if i + 1 == n_groups or len(batch) >= 5000:
            flush(i + 1)
    if batch:
        flush(total)
