"""Factories of the competitors area (the route matrix and the generic cases use them)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from kehu.core.testing import factory


@factory("sales.competitor")
def competitor(owner, n: int = 1, **kw):
    from kehu.sales.models import Competitor

    obj = Competitor(
        name=kw.pop("name", f"竞争对手{owner.pk}-{n}"),
        website=kw.pop("website", "https://example.com"),
        strengths=kw.pop("strengths", "价格低"),
        **kw,
    )
    obj.save()
    return obj


@factory("sales.competitorproduct")
def competitor_product(owner, n: int = 1, **kw):
    from kehu.sales.models import CompetitorProduct

    obj = CompetitorProduct(
        competitor=kw.pop("competitor", None) or competitor(owner, 1000 + n),
        name=kw.pop("name", f"对手产品{owner.pk}-{n}"),
        price=kw.pop("price", Decimal("9800")),
        currency=kw.pop("currency", "CNY"),
        price_date=kw.pop("price_date", datetime.date(2026, 1, 1)),
        **kw,
    )
    obj.save()
    return obj


@factory("sales.intelligencenote")
def intelligence_note(owner, n: int = 1, **kw):
    from kehu.sales.models import IntelligenceNote

    obj = IntelligenceNote(
        title=kw.pop("title", f"情报{owner.pk}-{n}"),
        body=kw.pop("body", "对手在华东降价"),
        date=kw.pop("date", datetime.date(2026, 1, 1)),
        owner=owner,
        department=owner.department,
        **kw,
    )
    obj.save()
    return obj
