"""Demo service data: SLA policies, agent profiles, service contracts and installed goods for a
few hundred customers, and a year of requests (complaints among them) with realistic SLA
outcomes: most answered and resolved in time, some late, some still open or waiting. Written in
bulk (a few seconds), deterministic for a seed."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from kehu.core.audit import audited_bulk_create
from kehu.core.demo import DemoContext, generator

#: (level, priority, response h, resolution h)
POLICIES = [
    (level, priority, Decimal(r) * f, Decimal(s) * f)
    for level, f in (("gold", Decimal("0.5")), ("silver", Decimal("1")), ("", Decimal("2")))
    for priority, r, s in (("urgent", 1, 4), ("high", 2, 8), ("normal", 4, 16), ("low", 8, 40))
]
SUBJECTS = {
    "installation": ["新设备安装调试", "产线搬迁后重新调试", "上门安装预约"],
    "fault": ["设备无法开机", "运行中报警 E23", "打印机卡纸频繁", "传感器读数异常"],
    "usage": ["如何导出月度报表", "参数设置咨询", "操作培训需求"],
    "billing": ["发票抬头错误", "服务费账单核对"],
    "delivery": ["配件未按时送达", "物流破损"],
    "other": ["其他咨询"],
}
COMPLAINTS = ["维修人员迟到", "问题反复出现未解决", "客服态度不好", "配件等待时间太长"]
REQUESTS = 2400


@generator(140, "service contracts, installed goods and a year of service requests")
def service(ctx: DemoContext) -> None:
    from kehu.core.numbering import take_numbers
    from kehu.customers.models import Customer
    from kehu.service.actions.requests import LEVEL_FLOOR, PRIORITY_RANK
    from kehu.service.actions.sla import add_working_minutes
    from kehu.service.models import (
        AgentProfile,
        InstalledProduct,
        ServiceContract,
        ServiceRequest,
        SlaPolicy,
    )
    from kehu.system.models import Product, User

    if ServiceRequest.objects.exists() or not Customer.objects.exists():
        return
    rng = ctx.rng
    products = list(Product.objects.filter(is_active=True).order_by("code")[:40])
    agents = list(
        User.objects.filter(roles__name="service_agent", is_active=True).order_by("pk")[:60]
    )
    if not products or not agents:
        return
    now = timezone.now()
    today = timezone.localdate()

    audited_bulk_create(
        SlaPolicy,
        [
            SlaPolicy(
                name=f"{level or 'none'}-{priority}",
                level=level,
                priority=priority,
                response_hours=r,
                resolution_hours=s,
            )
            for level, priority, r, s in POLICIES
        ],
    )
    targets = {(lv, p): (int(r * 60), int(s * 60)) for lv, p, r, s in POLICIES}
    categories = list(SUBJECTS)
    profiles = []
    for agent in agents:
        profiles.append(
            AgentProfile(
                user=agent,
                categories=",".join(sorted(rng.sample(categories, rng.randint(1, 3)))),
                languages=rng.choice(("zh", "zh", "zh,en")),
                level=rng.randint(1, 5),
                availability=rng.choice(("online", "online", "online", "away", "off")),
                max_load=rng.choice((8, 10, 12, 15)),
            )
        )
    profiles = audited_bulk_create(AgentProfile, profiles)
    through = AgentProfile.products.through
    through.objects.bulk_create(
        [
            through(agentprofile_id=p.pk, product_id=pr.pk)
            for p in profiles
            for pr in rng.sample(products, min(3, len(products)))
        ]
    )

    customers = list(Customer.objects.order_by("pk").select_related("owner")[:600])
    rng.shuffle(customers)
    with_contract = customers[:150]
    numbers = take_numbers(
        "FW{YYYY}-{seq:5}",
        len(with_contract),
        queryset=ServiceContract.objects.all(),
        field="number",
        label="service.contract",
    )
    contracts = audited_bulk_create(
        ServiceContract,
        [
            ServiceContract(
                number=number,
                customer=c,
                level=rng.choice(("gold", "silver", "silver", "bronze")),
                start_date=today - datetime.timedelta(days=rng.randint(200, 500)),
                end_date=today + datetime.timedelta(days=rng.randint(-60, 400)),
                owner_id=c.owner_id,
                department_id=c.department_id,
            )
            for number, c in zip(numbers, with_contract, strict=True)
        ],
    )
    contract_of = {k.customer_id: k for k in contracts}
    installed = []
    serial = 100000
    for c in customers[:400]:
        for _k in range(rng.randint(1, 3)):
            serial += 1
            day = today - datetime.timedelta(days=rng.randint(30, 900))
            installed.append(
                InstalledProduct(
                    customer=c,
                    product=rng.choice(products),
                    serial_number=f"SN{serial}",
                    installed_on=day,
                    warranty_end=day + datetime.timedelta(days=365),
                    owner_id=c.owner_id,
                    department_id=c.department_id,
                )
            )
    installed = audited_bulk_create(InstalledProduct, installed)
    goods_of: dict[int, list] = {}
    for item in installed:
        goods_of.setdefault(item.customer_id, []).append(item)

    numbers = take_numbers(
        "SR{YYYY}{MM}-{seq:5}",
        REQUESTS,
        queryset=ServiceRequest.objects.all(),
        field="number",
        label="service.request",
    )
    rows = []
    for number in numbers:
        c = rng.choice(customers[:400])
        created = now - datetime.timedelta(days=rng.randint(0, 364), minutes=rng.randint(0, 1440))
        complaint = rng.random() < 0.08
        category = rng.choice(categories)
        priority = rng.choice(("low", "normal", "normal", "normal", "high", "urgent"))
        item = rng.choice(goods_of[c.pk]) if goods_of.get(c.pk) and rng.random() < 0.7 else None
        contract = contract_of.get(c.pk)
        entitled, level, note = "none", "", "无服务合同或保修"
        if contract and contract.start_date <= created.date() <= contract.end_date:
            entitled, level, note = "contract", contract.level, f"合同 {contract.number}"
        elif item and item.warranty_end >= created.date():
            entitled, note = "warranty", f"序列号 {item.serial_number} 在保修期内"
        floor = LEVEL_FLOOR.get(level) or ("high" if complaint else None)
        if floor and PRIORITY_RANK[floor] > PRIORITY_RANK[priority]:
            priority = floor
        response_t, resolution_t = targets.get((level, priority), targets[("", priority)])
        agent = rng.choice(agents)
        req = ServiceRequest(
            number=number,
            customer=c,
            channel=rng.choice(("phone", "phone", "email", "portal", "web")),
            type="complaint" if complaint else "request",
            category=category,
            priority=priority,
            product=item.product if item else None,
            serial_number=item.serial_number if item else "",
            installed_product=item,
            subject=rng.choice(COMPLAINTS if complaint else SUBJECTS[category]),
            agent=agent,
            routing_reason=f"{agent} 负责该类别（演示数据）",
            entitlement=entitled,
            entitlement_note=note,
            contract=contract if entitled == "contract" else None,
            service_level=level,
            response_target=response_t,
            resolution_target=resolution_t,
            first_response_due=add_working_minutes(created, response_t),
            resolution_due=add_working_minutes(created, resolution_t),
            created_at=created,
            owner_id=c.owner_id,
            department_id=c.department_id,
            status="assigned",
        )
        # outcomes: the response takes 20–130 % of its target, the resolution 30–140 %
        age_days = (now - created).days
        responded = add_working_minutes(created, int(response_t * rng.uniform(0.2, 1.3)))
        if responded < now:
            req.first_response_at = responded
            req.response_met = responded <= req.first_response_due
            req.status = "in_progress"
        resolved = add_working_minutes(created, int(resolution_t * rng.uniform(0.3, 1.4)))
        if resolved < now and (age_days > 3 or rng.random() < 0.5):
            req.resolved_at = resolved
            req.resolution_met = resolved <= req.resolution_due
            req.status = "closed" if age_days > 10 else "resolved"
            req.closed_at = resolved if req.status == "closed" else None
            req.resolution = "已处理，客户确认"
        elif req.status == "in_progress" and rng.random() < 0.2:
            req.status = "waiting"
            req.paused_at = responded
        rows.append(req)
    audited_bulk_create(ServiceRequest, rows)
    ctx.data["service_requests"] = len(rows)
