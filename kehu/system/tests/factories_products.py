"""Test factories: products (see kehu.core.testing.factory)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from kehu.core.testing import factory

_seq = itertools.count(1)


@factory("system.productcategory")
def product_category(owner=None, n=1, **kw):
    from kehu.system.actions import save_product_category
    from kehu.system.models import ProductCategory

    i = next(_seq)
    kw.setdefault("code", f"CAT{n}-{i}")
    kw.setdefault("name", f"类别 {n}-{i}")
    return save_product_category(category=ProductCategory(**kw), user=owner)


@factory("system.product")
def product(owner=None, n=1, **kw):
    from kehu.system.actions import product_amount_decimals, save_product
    from kehu.system.models import Product

    # The parameters row is created (and its cache warmed) on first read: do it before a test
    # counts the queries of the pages that read it.
    product_amount_decimals()
    product_amount_decimals()
    i = next(_seq)
    if "category" not in kw:
        kw["category"] = product_category(owner, n)
    kw.setdefault("code", f"P{n}-{i}")
    kw.setdefault("name", f"产品 {n}-{i}")
    kw.setdefault("unit", "台")
    kw.setdefault("list_price", Decimal("1000"))
    kw.setdefault("floor_price", Decimal("800"))
    kw.setdefault("cost", Decimal("600"))
    return save_product(product=Product(**kw), user=owner)


def level_price(owner, product, level="A", price=Decimal("900")):
    from kehu.system.actions import save_price_list_item
    from kehu.system.models import PriceListItem

    return save_price_list_item(
        item=PriceListItem(product=product, customer_level=level, price=price), user=owner
    )
