"""Demo data of the analytics module: the customer value scores, as the nightly job computes
them, so the customer page's value card and the customer value page have figures at once."""

from kehu.core.demo import DemoContext, generator


@generator(900, "customer value scores (RFM, ABC)")
def customer_values(ctx: DemoContext) -> None:
    from .refresh import refresh_customer_values

    refresh_customer_values()
