"""Demo orders, contracts and payments for the demo customers: a year of orders through every
status, contracts with payment plans, payments that never exceed what is owed, some receivables
overdue, commission rules and this year's targets. Deterministic for a seed."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from kehu.core.audit import audited_bulk_save
from kehu.core.demo import DemoContext, generator

STATUS_WEIGHTS = (
    ("draft", 8),
    ("confirmed", 22),
    ("shipped", 12),
    ("delivered", 13),
    ("completed", 38),
    ("cancelled", 7),
)
FLOW = ("confirmed", "shipped", "delivered", "completed")
NOTES = {
    "confirmed": "客户已盖章回传订单",
    "shipped": "顺丰物流，单号已发客户",
    "delivered": "客户签收",
    "completed": "验收完成",
    "cancelled": "客户预算调整，取消订单",
}


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


@generator(130, "sales orders, contracts and payments")
def orders(ctx: DemoContext) -> None:
    from kehu.customers.models import Customer
    from kehu.sales.actions import collections as coll
    from kehu.sales.actions import orders as acts
    from kehu.sales.models import Contract, OrderEvent, SalesOrder
    from kehu.system.models import Product, User

    if SalesOrder.objects.exists() or not Customer.objects.exists():
        return
    rng = ctx.rng
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    products = list(Product.objects.filter(is_active=True).order_by("code")[:60])
    if admin is None or not products:
        return
    today = timezone.localdate()
    customers = list(Customer.objects.order_by("pk").select_related("owner")[:400])
    rng.shuffle(customers)
    statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
    backdate_events: list[tuple[OrderEvent, datetime.datetime]] = []
    backdate_orders: dict[int, datetime.datetime] = {}
    n_orders = n_payments = 0
    for index, customer in enumerate(customers[:300]):
        for _k in range(rng.choice((1, 1, 2, 3))):
            day = today - datetime.timedelta(days=rng.randint(3, 360))
            lines = []
            for product in rng.sample(products, rng.randint(1, 4)):
                price = product.list_price or Decimal(rng.randint(50, 5000))
                lines.append(
                    {
                        "product": product,
                        "quantity": Decimal(rng.choice((1, 2, 3, 5, 10, 20))),
                        "unit_price": price,
                        "discount_percent": Decimal(rng.choice((0, 0, 0, 5, 10))),
                    }
                )
            order = SalesOrder(
                customer=customer,
                order_date=day,
                payment_due=day + datetime.timedelta(days=rng.choice((15, 30, 30, 45, 60))),
                owner_id=customer.owner_id,
                department_id=customer.department_id,
            )
            order = acts.save_order(order, user=customer.owner, lines=lines)
            n_orders += 1
            target = rng.choice(statuses)
            events = [(order.events.get(), _at(day, 9))]
            steps = () if target == "draft" else ("cancelled",) if target == "cancelled" else FLOW
            when = day
            for step in steps:
                if step == "completed" and target != "completed":
                    break
                if step in ("shipped", "delivered", "completed") and FLOW.index(step) > FLOW.index(
                    target
                ):
                    break
                when = min(today, when + datetime.timedelta(days=rng.randint(0, 6)))
                order = acts.move_order(order, step, user=admin, note=NOTES[step])
                event = order.events.order_by("-pk").first()
                events.append((event, _at(when, 10 + len(events))))
                if step == "confirmed":
                    backdate_orders[order.pk] = _at(when, 10)
            backdate_events.extend(events)
            if order.status in ("confirmed", "shipped", "delivered", "completed"):
                # completed: usually paid in full; earlier: partly; some left overdue
                share = {
                    "completed": rng.choice((1, 1, 1, Decimal("0.5"))),
                    "delivered": rng.choice((0, Decimal("0.3"), Decimal("0.5"), 1)),
                    "shipped": rng.choice((0, 0, Decimal("0.3"))),
                    "confirmed": rng.choice((0, 0, 0, Decimal("0.3"))),
                }[order.status]
                amount = (order.total * Decimal(share)).quantize(Decimal("0.01"))
                if amount > 0:
                    paid_on = min(
                        today, order.order_date + datetime.timedelta(days=rng.randint(5, 50))
                    )
                    coll.record_payment(
                        user=admin, order=order, amount=amount, paid_on=paid_on, reference="DEMO"
                    )
                    n_payments += 1
        if index % 100 == 99:
            ctx.out(f"  {index + 1} customers, {n_orders:,} orders")
    for event, at in backdate_events:
        event.at = at
    audited_bulk_save([e for e, _at2 in backdate_events], ["at"], record_values=False)
    confirmed = list(SalesOrder.objects.filter(pk__in=backdate_orders))
    for order in confirmed:
        order.confirmed_at = backdate_orders[order.pk]
    audited_bulk_save(confirmed, ["confirmed_at"], record_values=False)

    # contracts: a year each, a quarterly payment plan, the first instalments paid
    n_contracts = 0
    for customer in customers[300:360]:
        start = today - datetime.timedelta(days=rng.randint(30, 330))
        amount = Decimal(rng.randint(20, 200) * 1000)
        contract = acts.save_contract(
            Contract(
                title=rng.choice(
                    ("年度供货框架合同", "设备采购合同", "技术服务合同", "维保服务合同")
                ),
                customer=customer,
                start_date=start,
                end_date=start + datetime.timedelta(days=364),
                amount=amount,
                terms="货到验收后按计划付款；逾期按日万分之五计违约金。",
                owner_id=customer.owner_id,
                department_id=customer.department_id,
            ),
            user=customer.owner,
        )
        quarter = (amount / 4).quantize(Decimal("0.01"))
        plan = [(start + datetime.timedelta(days=91 * q), quarter) for q in range(3)]
        plan.append((start + datetime.timedelta(days=273), amount - 3 * quarter))
        acts.set_payment_plan(contract, user=admin, instalments=plan)
        if rng.random() < 0.85:
            contract = acts.activate_contract(contract, user=admin, signed_on=start)
            for inst in contract.instalments.order_by("due_date"):
                if inst.due_date > today or rng.random() < 0.25:
                    break  # later ones open; some overdue
                coll.record_payment(
                    user=admin,
                    instalment=inst,
                    amount=inst.amount if rng.random() < 0.8 else inst.amount / 2,
                    paid_on=min(today, inst.due_date + datetime.timedelta(days=rng.randint(0, 20))),
                )
                n_payments += 1
        n_contracts += 1
    ctx.out(f"  {n_orders:,} orders, {n_contracts} contracts, {n_payments:,} payments")


@generator(140, "commission rules and sales targets")
def commission_rules_and_targets(ctx: DemoContext) -> None:
    from kehu.sales.actions.commissions import save_rule
    from kehu.sales.actions.targets import save_target
    from kehu.sales.models import CommissionRule, SalesOrder, SalesTarget
    from kehu.system.models import Department, ProductCategory, Role, User

    if CommissionRule.objects.exists() or not SalesOrder.objects.exists():
        return
    rng = ctx.rng
    role = Role.objects.filter(name="salesperson").first()
    save_rule(CommissionRule(name="基础提成 1%", rate=Decimal("1")), user=None)
    if role is not None:
        save_rule(
            CommissionRule(name="销售员阶梯提成", role=role, tiers="0=2; 100000=3; 300000=4"),
            user=None,
        )
    category = ProductCategory.objects.order_by("path").filter(depth=0).first()
    if category is not None and role is not None:
        save_rule(
            CommissionRule(
                name=f"{category.name} 专项提成", role=role, category=category, rate=Decimal("5")
            ),
            user=None,
        )
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    owners = User.objects.filter(pk__in=SalesOrder.objects.values("owner_id").distinct()).order_by(
        "pk"
    )
    for user in owners[:40]:
        base = Decimal(rng.randint(50, 300) * 10000)
        save_target(
            SalesTarget(
                employee=user,
                period="quarter",
                year=today.year,
                number=quarter,
                booked_target=base,
                collected_target=(base * Decimal("0.8")).quantize(Decimal("1")),
            ),
            user=None,
        )
        save_target(
            SalesTarget(
                employee=user,
                period="month",
                year=today.year,
                number=today.month,
                booked_target=(base / 3).quantize(Decimal("1")),
                collected_target=(base / 4).quantize(Decimal("1")),
            ),
            user=None,
        )
    top = Department.objects.filter(depth=0).order_by("path").first()
    if top is not None:
        save_target(
            SalesTarget(
                department=top,
                period="year",
                year=today.year,
                number=1,
                booked_target=Decimal("20000000"),
                collected_target=Decimal("16000000"),
            ),
            user=None,
        )
