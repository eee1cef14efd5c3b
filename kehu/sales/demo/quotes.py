"""Demo quotes: priced like the real editor prices them (agreement, level, list price), some sent,
accepted, rejected or in a second version, and customers quoted two prices for the same
product by two salespeople (the price history warning)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from kehu.core.demo import DemoContext, generator

TITLES = ["年度采购报价", "设备升级方案报价", "备件补货报价", "服务续约报价", "新项目首批报价"]


@generator(120, "price agreements")
def price_agreements(ctx: DemoContext) -> None:
    """One-to-one prices for a few key accounts, a little under their level price."""
    from kehu.customers.models import Customer
    from kehu.system.models import Product

    from ..actions.quotes import default_price
    from ..models import PriceAgreement

    if PriceAgreement.objects.exists():
        return
    rng = ctx.rng
    products = list(Product.objects.filter(is_active=True).order_by("pk")[:60])
    customers = list(Customer.objects.order_by("pk")[:40])
    if not products or not customers:
        return
    rows = []
    today = timezone.localdate()
    for customer in customers[::4]:
        for product in rng.sample(products, k=min(2, len(products))):
            base = default_price(customer=customer, product=product).price
            price = max(product.floor_price, (base * Decimal("0.95")).quantize(Decimal("1")))
            rows.append(
                PriceAgreement(
                    customer=customer,
                    product=product,
                    price=price,
                    valid_from=today - datetime.timedelta(days=90),
                    valid_to=today + datetime.timedelta(days=275),
                    notes="年度框架协议",
                )
            )
    from kehu.core.audit import audited_bulk_create

    audited_bulk_create(PriceAgreement, rows)


@generator(121, "quotes")
def quotes(ctx: DemoContext) -> None:
    from kehu.customers.models import Customer
    from kehu.system.models import Product, User

    from ..actions.quotes import (
        accept_quote,
        default_price,
        new_version,
        reject_quote,
        save_quote,
    )
    from ..models import Quote

    if Quote.objects.exists():
        return
    rng = ctx.rng
    products = list(Product.objects.filter(is_active=True).order_by("pk")[:60])
    customers = list(
        Customer.objects.select_related("owner").order_by("pk")[: min(120, ctx.customers)]
    )
    if not products or not customers:
        return
    colleagues: dict[int, list[User]] = {}
    for user in User.objects.filter(is_active=True, department__isnull=False).order_by("pk"):
        colleagues.setdefault(user.department_id, []).append(user)
    today = timezone.localdate()
    for n, customer in enumerate(customers):
        if customer.owner is None:
            continue
        chosen = rng.sample(products, k=rng.choice((1, 2, 2, 3)))
        lines = []
        for p in chosen:
            discount = Decimal(rng.choice((0, 0, 0, 3, 5)))
            price = default_price(customer=customer, product=p).price
            if price * (100 - discount) / 100 < p.floor_price:
                discount = Decimal(0)  # the demo's salespeople stay above the floor
            lines.append(
                {
                    "product": p,
                    "quantity": str(rng.choice((1, 2, 5, 10, 20))),
                    "discount_percent": str(discount),
                }
            )
        quote = Quote(
            title=rng.choice(TITLES),
            customer=customer,
            owner=customer.owner,
            department_id=customer.department_id,
            valid_until=today + datetime.timedelta(days=rng.choice((15, 30, 45))),
            terms="报价有效期内价格不变；含税含运费；付款方式：预付 30%，验收后付清。",
        )
        quote = save_quote(quote=quote, lines=lines, user=None)
        roll = rng.random()
        if roll < 0.25:
            accept_quote(quote=quote, user=None)
        elif roll < 0.35:
            quote = reject_quote(quote=quote, user=None, reason="客户认为价格偏高")
            if rng.random() < 0.6:
                new_version(quote=quote, user=None)
        elif roll < 0.7:
            quote.status = Quote.Status.SENT
            quote.sent_at = timezone.now() - datetime.timedelta(days=rng.randrange(1, 20))
            quote.save()
        # "Two salespeople quoted two prices": a colleague quotes the first product again.
        others = [u for u in colleagues.get(customer.department_id, []) if u != customer.owner]
        if n % 10 == 0 and others:
            first = chosen[0]
            line = quote.lines.filter(product=first).first()
            price = (line.unit_price * Decimal("0.93")).quantize(Decimal("1"))
            price = max(price, first.floor_price)
            if line is not None and price != line.unit_price:
                colleague = rng.choice(others)
                save_quote(
                    quote=Quote(
                        title="电话询价报价",
                        customer=customer,
                        owner=colleague,
                        department_id=colleague.department_id,
                    ),
                    lines=[{"product": first, "quantity": "1", "unit_price": str(price)}],
                    user=None,
                )
