"""Demo deal products: a few hundred open deals list what the customer is expected to buy
(priced from the customer's terms), so their amounts are the sums of their products."""

from __future__ import annotations

from kehu.core.demo import DemoContext, generator


@generator(122, "deal products")
def deal_products(ctx: DemoContext) -> None:
    from kehu.system.models import Product

    from ..actions.opportunity_lines import add_deal_line
    from ..models import Opportunity, OpportunityLine

    if OpportunityLine.objects.exists():
        return
    rng = ctx.rng
    products = list(Product.objects.filter(is_active=True).order_by("pk")[:60])
    deals = list(
        Opportunity.objects.filter(status=Opportunity.Status.OPEN)
        .select_related("customer")
        .order_by("pk")[: min(300, max(ctx.customers // 20, 20))]
    )
    if not products:
        return
    for deal in deals:
        if rng.random() < 0.4:
            continue  # some deals keep a typed amount, as in real life
        for product in rng.sample(products, k=rng.choice((1, 1, 2, 3))):
            add_deal_line(
                opportunity=deal,
                user=None,
                product=product,
                quantity=rng.choice((1, 2, 5, 10, 20, 50)),
                discount_percent=rng.choice((0, 0, 0, 5, 10)),
            )
