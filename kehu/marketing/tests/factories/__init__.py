"""Factories of the marketing records for the generic test cases and the permission matrix."""

from __future__ import annotations

import datetime
from decimal import Decimal

from kehu.core.testing import factory


@factory("marketing.marketingplan")
def marketing_plan(owner, n: int = 1, **kw):
    from kehu.marketing.models import MarketingPlan

    obj = MarketingPlan(
        name=kw.pop("name", f"市场计划{owner.pk}-{n}"),
        start_date=kw.pop("start_date", datetime.date(2026, 1, 1)),
        end_date=kw.pop("end_date", datetime.date(2026, 12, 31)),
        budget=kw.pop("budget", Decimal("100000")),
        owner=owner,
        department=owner.department,
        **kw,
    )
    obj.save()
    return obj


@factory("marketing.campaign")
def campaign(owner, n: int = 1, **kw):
    from kehu.marketing.models import Campaign

    obj = Campaign(
        number=kw.pop("number", f"HDT{owner.pk:04d}{n:05d}"),
        name=kw.pop("name", f"营销活动{owner.pk}-{n}"),
        kind=kw.pop("kind", Campaign.Kind.EVENT),
        start_date=kw.pop("start_date", datetime.date(2026, 3, 1)),
        end_date=kw.pop("end_date", datetime.date(2026, 3, 31)),
        budget=kw.pop("budget", Decimal("50000")),
        owner=owner,
        department=owner.department,
        **kw,
    )
    obj.save()
    return obj


@factory("marketing.segment")
def segment(owner, n: int = 1, **kw):
    from kehu.marketing.models import Segment

    obj = Segment(
        name=kw.pop("name", f"客户细分{owner.pk}-{n}"),
        query=kw.pop("query", "kind=company"),
        owner=owner,
        department=owner.department,
        **kw,
    )
    obj.save()
    return obj
