"""Factories of the quotes area (the route matrix and the generic cases probe them)."""

from __future__ import annotations

from decimal import Decimal

from kehu.core.testing import factory


def product(n: int = 1, **kw):
    """A product with a list price of 100, a floor of 60 and 13 % tax (one per code)."""
    from kehu.system.models import Product
    from kehu.system.tests.factories_products import product as make_product

    code = kw.pop("code", f"QP{n:05d}")
    found = Product.objects.filter(code=code).first()
    if found is not None:
        return found
    kw.setdefault("list_price", Decimal("100"))
    kw.setdefault("floor_price", Decimal("60"))
    kw.setdefault("tax_rate", Decimal("0.13"))
    kw.setdefault("name", f"测试产品{n}")
    return make_product(None, n, code=code, **kw)


@factory("sales.quote")
def quote(owner, n: int = 1, **kw):
    from kehu.customers.tests.factories import customer
    from kehu.sales.models import Quote

    cust = kw.pop("customer", None) or customer(
        owner, n, number=f"Q{owner.pk:04d}{n:05d}", name=f"报价客户{owner.pk}-{n}"
    )
    obj = Quote(
        number=kw.pop("number", f"BJT{owner.pk:04d}{n:05d}"),
        title=kw.pop("title", f"报价{owner.pk}-{n}"),
        customer=cust,
        currency="CNY",
        owner=owner,
        department=owner.department,
        **kw,
    )
    obj.save()
    return obj


def quote_line(owner, n: int = 1, **kw):
    from kehu.sales.models import QuoteLine

    parent = kw.pop("quote", None) or quote(owner, n)
    obj = QuoteLine(
        quote=parent,
        position=kw.pop("position", 1),
        product=kw.pop("product", None) or product(n),
        quantity=kw.pop("quantity", Decimal("2")),
        unit_price=kw.pop("unit_price", Decimal("100")),
        tax_rate=kw.pop("tax_rate", Decimal("13")),
        line_total=kw.pop("line_total", Decimal("200")),
        **kw,
    )
    obj.save()
    return obj


@factory("sales.priceagreement")
def price_agreement(owner, n: int = 1, **kw):
    from kehu.customers.tests.factories import customer
    from kehu.sales.models import PriceAgreement

    cust = kw.pop("customer", None) or customer(
        owner, n, number=f"P{owner.pk:04d}{n:05d}", name=f"协议客户{owner.pk}-{n}"
    )
    obj = PriceAgreement(
        customer=cust,
        product=kw.pop("product", None) or product(n),
        price=kw.pop("price", Decimal("88")),
        **kw,
    )
    obj.save()
    return obj
