"""Factories of orders, contracts and payments (the route matrix probes each owned type)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from kehu.core.testing import factory


def category(code: str = "ORD", parent=None):
    from kehu.system.models import ProductCategory

    obj = ProductCategory.objects.filter(code=code).first()
    if obj is None:
        obj = ProductCategory(code=code, name=f"类别{code}", parent=parent)
        obj.save()
    return obj


def product(code: str = "P-ORD-1", price: str = "100", **kw):
    from kehu.system.models import Product

    obj = Product.objects.filter(code=code).first()
    if obj is None:
        obj = Product(
            code=code,
            name=kw.pop("name", f"产品{code}"),
            list_price=Decimal(price),
            category=kw.pop("category", None) or category(),
            **kw,
        )
        obj.save()
    return obj


def _customer(owner, n, prefix, **kw):
    from kehu.customers.tests.factories import customer

    return kw.pop("customer", None) or customer(
        owner, n, number=f"{prefix}{owner.pk:04d}{n:05d}", name=f"{prefix}客户{owner.pk}-{n}"
    )


@factory("sales.salesorder")
def sales_order(owner, n: int = 1, **kw):
    from kehu.sales.models import SalesOrder

    obj = SalesOrder(
        number=kw.pop("number", f"SO-T{owner.pk:04d}-{n:05d}-{kw.get('prefix', 'SO')}"),
        customer=_customer(owner, n, kw.pop("prefix", "SO"), **kw),
        currency=kw.pop("currency", "CNY"),
        order_date=kw.pop("order_date", datetime.date(2026, 1, 10)),
        owner=owner,
        department=owner.department,
        **{k: v for k, v in kw.items() if k != "customer"},
    )
    obj.save()
    return obj


@factory("sales.contract")
def contract(owner, n: int = 1, **kw):
    from kehu.sales.models import Contract

    obj = Contract(
        number=kw.pop("number", f"HT-T{owner.pk:04d}-{n:05d}"),
        title=kw.pop("title", f"合同{owner.pk}-{n}"),
        customer=_customer(owner, n, "HT", **kw),
        currency="CNY",
        start_date=kw.pop("start_date", datetime.date(2026, 1, 1)),
        end_date=kw.pop("end_date", datetime.date(2026, 12, 31)),
        amount=kw.pop("amount", Decimal("1000")),
        owner=owner,
        department=owner.department,
        **{k: v for k, v in kw.items() if k != "customer"},
    )
    obj.save()
    return obj


@factory("sales.payment")
def payment(owner, n: int = 1, **kw):
    from kehu.sales.models import Payment

    order = kw.pop("order", None) or sales_order(
        owner, n, status="confirmed", total=Decimal("500"), prefix="SK"
    )
    obj = Payment(
        number=kw.pop("number", f"SK-T{owner.pk:04d}-{n:05d}"),
        customer=order.customer,
        order=order,
        amount=kw.pop("amount", Decimal("100")),
        currency="CNY",
        paid_on=kw.pop("paid_on", datetime.date(2026, 1, 20)),
        owner=owner,
        department=owner.department,
        **kw,
    )
    obj.save()
    return obj


@factory("sales.commissionrule")
def commission_rule(owner, n: int = 1, **kw):
    from kehu.sales.models import CommissionRule

    obj = CommissionRule(
        name=kw.pop("name", f"提成规则{owner.pk}-{n}"), rate=kw.pop("rate", Decimal("2")), **kw
    )
    obj.save()
    return obj


@factory("sales.salestarget")
def sales_target(owner, n: int = 1, **kw):
    from kehu.sales.models import SalesTarget

    obj = SalesTarget(
        employee=kw.pop("employee", owner),
        period=kw.pop("period", "month"),
        year=kw.pop("year", 2026),
        number=kw.pop("number", (n - 1) % 12 + 1),
        booked_target=kw.pop("booked_target", Decimal("100000")),
        collected_target=kw.pop("collected_target", Decimal("80000")),
        **kw,
    )
    if n > 12:
        obj.year = 2026 + (n - 1) // 12
    obj.save()
    return obj
