"""Factories of the pipeline area (the route matrix and the generic cases use them)."""

from __future__ import annotations

from decimal import Decimal

from kehu.core.testing import factory


@factory("sales.pipeline")
def pipeline(owner, n: int = 1, **kw):
    from kehu.sales.models import Pipeline, Stage

    obj = Pipeline(name=kw.pop("name", f"测试流程{owner.pk}-{n}"), position=n, **kw)
    obj.save()
    for i, (name, kind, prob) in enumerate(
        (("接洽", "open", 10), ("报价", "open", 50), ("赢单", "won", 100), ("输单", "lost", 0)),
        start=1,
    ):
        Stage(pipeline=obj, name=name, kind=kind, probability=prob, position=i * 10).save()
    return obj


@factory("sales.stage")
def stage(owner, n: int = 1, **kw):
    from kehu.sales.models import Stage

    parent = kw.pop("pipeline", None) or pipeline(owner, 1000 + n)
    obj = Stage(
        pipeline=parent,
        name=kw.pop("name", f"阶段{owner.pk}-{n}"),
        position=kw.pop("position", 100 + n),
        probability=kw.pop("probability", 30),
        **kw,
    )
    obj.save()
    return obj


@factory("sales.opportunity")
def opportunity(owner, n: int = 1, **kw):
    """A deal in the default pipeline's first stage with a new customer owned by ``owner``."""
    from kehu.customers.tests.factories import customer as make_customer
    from kehu.sales.actions.pipeline import default_pipeline, first_open_stage
    from kehu.sales.models import Opportunity

    cust = kw.pop("customer", None) or make_customer(
        owner, n, number=f"O{owner.pk:04d}{n:05d}", name=f"商机客户{owner.pk}-{n}"
    )
    pl = kw.pop("pipeline", None) or default_pipeline()
    obj = Opportunity(
        number=kw.pop("number", f"SJT{owner.pk:04d}{n:05d}"),
        name=kw.pop("name", f"商机{owner.pk}-{n}"),
        customer=cust,
        pipeline=pl,
        stage=kw.pop("stage", None) or first_open_stage(pl),
        amount=kw.pop("amount", Decimal("100000")),
        owner=owner,
        department=owner.department,
        **kw,
    )
    obj.save()
    return obj
