"""The funnel, the forecast and the suggestions reconcile with the deals they are built from."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.customers.tests.factories import customer as make_customer
from kehu.sales import pipeline_reports as reports
from kehu.sales.actions.pipeline import default_pipeline, move_stage, save_opportunity
from kehu.sales.models import Opportunity, Stage

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def at(days: int) -> datetime.datetime:
    return T0 + datetime.timedelta(days=days)


def stages():
    p = default_pipeline()
    return {s.position: s for s in Stage.objects.filter(pipeline=p)}


def deal(user, n, amount, path, *, industry="", lost_reason="价格"):
    """A deal created at T0 that walks ``path``: [(stage position, day), ...]."""
    cust = make_customer(user, n, number=f"F{user.pk:03d}{n:04d}", name=f"漏斗客户{n}")
    if industry:
        cust.industry = industry
        cust.save()
    opp = Opportunity(name=f"漏斗{n}", customer=cust, amount=Decimal(amount))
    opp = save_opportunity(opp, user=user, now=T0)
    from kehu.core.audit import audited_bulk_update

    audited_bulk_update(Opportunity.objects.filter(pk=opp.pk), created_at=T0)
    st = stages()
    for position, day in path:
        opp = move_stage(
            user=user, opportunity=opp, stage=st[position], now=at(day), lost_reason=lost_reason
        )
    return opp


@pytest.fixture
def funnel_world(make_user):
    """Eight deals in the default pipeline (positions 10 20 30 40 won=50 lost=60):

    d1 100: 10 → 20 (d3) → 30 (d8) → 40 (d18) → won (d20)
    d2 200: 10 → 20 (d2) → 30 (d6) → lost (d10)
    d3 300: 10 → 20 (d4)                               (open in 20)
    d4 400: 10                                         (open in 10)
    d5 500: 10 → 30 (d5)  skipped 20                   (open in 30)
    d6 600: 10 → lost (d1)
    d7 700: 10 → 20 (d1) → won (d11)  skipped 30, 40
    d8 800: 10 → 20 (d2) → 10 (d4) → 20 (d10)          (moved back, open in 20)
    """
    user = make_user("salesperson", "a1")
    deals = [
        deal(user, 1, 100, [(20, 3), (30, 8), (40, 18), (50, 20)], industry="it"),
        deal(user, 2, 200, [(20, 2), (30, 6), (60, 10)], industry="it"),
        deal(user, 3, 300, [(20, 4)]),
        deal(user, 4, 400, []),
        deal(user, 5, 500, [(30, 5)]),
        deal(user, 6, 600, [(60, 1)]),
        deal(user, 7, 700, [(20, 1), (50, 11)], industry="it"),
        deal(user, 8, 800, [(20, 2), (10, 4), (20, 10)]),
    ]
    return user, deals


def test_funnel_numbers_reconcile_exactly(funnel_world):
    user, deals = funnel_world
    qs = Opportunity.objects.visible_to(user)
    f = reports.funnel(qs, default_pipeline())
    by = {r.stage.position: r for r in f.stages}
    # reached = got to the stage or further (lost deals count up to where they were)
    # (d7 skipped 30 and 40 but won: it counts for them; d2 was lost after 30: it counts to 30)
    assert [by[p].reached for p in (10, 20, 30, 40, 50)] == [8, 6, 4, 2, 2]
    assert by[20].reached_amount == Decimal(100 + 200 + 300 + 500 + 700 + 800)
    assert by[30].reached_amount == Decimal(100 + 200 + 500 + 700)
    assert [by[p].current for p in (10, 20, 30, 40, 50)] == [1, 2, 1, 0, 2]
    assert by[20].current_amount == Decimal(300 + 800)
    assert f.lost[0].current == 2 and f.lost[0].current_amount == Decimal(800)
    assert f.total == 8 and f.total_amount == Decimal(3600)
    assert f.won == 2 and f.won_amount == Decimal(800) and f.lost_count == 2
    assert f.win_rate == 0.5
    assert by[10].conversion == 6 / 8
    assert by[20].conversion == 4 / 6 and by[30].conversion == 2 / 4 and by[40].conversion == 1
    # days in stage: finished stays only
    # stage 10: d1 3, d2 2, d3 4, d5 5, d6 1, d7 1, d8 2, d8 again (4 → 10) 6  → 24 / 8
    assert by[10].avg_days == 24 / 8 and by[10].left == 8
    # stage 20: d1 5, d2 4, d7 10, d8 (2 → 4) 2 → 21 / 4
    assert by[20].avg_days == 21 / 4
    # stage 30: d1 10, d2 4 → 7; stage 40: d1 2
    assert by[30].avg_days == 7 and by[40].avg_days == 2
    assert by[50].avg_days is None


def test_funnel_scope_period_and_drill_down(client, funnel_world, make_user):
    user, deals = funnel_world
    other = make_user("salesperson", "b")
    deal(other, 99, 5000, [(20, 1)])
    pipeline = default_pipeline()
    everyone = Opportunity.objects.all()
    assert reports.funnel(everyone, pipeline).total == 9
    from kehu.system.models import Department

    a = Department.objects.get(code="A")  # Branch A with its teams: user's deals only
    assert reports.funnel(reports.scoped(everyone, department=a), pipeline).total == 8
    assert reports.funnel(reports.scoped(everyone, owner=other), pipeline).total == 1
    period = (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    assert reports.funnel(everyone, pipeline, period=period).total == 0
    # the page: same numbers, and each "reached" links to exactly those deals
    client.force_login(user)
    page = client.get(reverse("sales:funnel") + "?period=")
    assert page.status_code == 200
    rows = {r.stage.position: r for r in page.context["funnel"].stages}
    assert rows[30].reached == 4
    html = client.get(rows[30].reached_url).content.decode()
    for d in deals:
        assert (d.name in html) == (d.pk in {deals[0].pk, deals[1].pk, deals[4].pk, deals[6].pk})


def test_weighted_pipeline_and_forecast(make_user):
    user = make_user()
    cust = make_customer(user, 1, number="W0001", name="预测客户")
    st = stages()
    today = datetime.date(2026, 5, 15)

    def open_deal(n, amount, close, probability=None, position=10):
        opp = Opportunity(
            name=f"预测{n}",
            customer=cust,
            amount=Decimal(amount),
            expected_close=close,
            probability=probability,
            stage=st[position],
        )
        return save_opportunity(opp, user=user)

    open_deal(1, 1000, datetime.date(2026, 5, 20))  # 10 % → 100
    open_deal(2, 2000, datetime.date(2026, 5, 31), position=30)  # 50 % → 1000
    open_deal(3, 4000, datetime.date(2026, 7, 1), probability=80)  # → 3200
    open_deal(4, 9999, None)  # no date
    qs = Opportunity.objects.visible_to(user)
    rows, undated = reports.weighted_pipeline(
        qs, start=datetime.date(2026, 5, 1), end=datetime.date(2027, 4, 30)
    )
    assert [(r.start, r.count, r.amount, r.weighted) for r in rows] == [
        (datetime.date(2026, 5, 1), 2, Decimal(3000), Decimal(1100)),
        (datetime.date(2026, 7, 1), 1, Decimal(4000), Decimal(3200)),
    ]
    assert undated.count == 1 and undated.amount == Decimal(9999)
    quarters, _u = reports.weighted_pipeline(
        qs, start=datetime.date(2026, 4, 1), end=datetime.date(2027, 3, 31), by="quarter"
    )
    assert [(q.start, q.weighted) for q in quarters] == [
        (datetime.date(2026, 4, 1), Decimal(1100)),
        (datetime.date(2026, 7, 1), Decimal(3200)),
    ]
    # bookings: won amounts per month of closing
    for month, amount in ((1, 100), (2, 200), (3, 300), (4, 400)):
        opp = open_deal(10 + month, amount, None)
        move_stage(
            user=user,
            opportunity=opp,
            stage=st[50],
            now=datetime.datetime(2026, month, 10, tzinfo=datetime.UTC),
        )
    fc = reports.bookings_forecast(qs, months=6, horizon=3, today=today)
    assert [v for _m, v in fc.history] == [0, Decimal(100), Decimal(200), Decimal(300), 400, 0]
    # a straight line: Holt follows it (the running month, May, is left out of the fit)
    assert [round(float(v)) for _m, v in fc.forecast[:2]] == [500, 600]


def test_holt_on_a_line_and_on_short_series():
    values, _params = reports.holt([10, 20, 30, 40, 50], 3)
    assert [round(v) for v in values] == [60, 70, 80]
    assert reports.holt([5, 7], 2)[0] == [6.0, 6.0]
    assert reports.holt([], 2)[0] == [0.0, 0.0]
    assert min(reports.holt([50, 40, 30, 20, 10, 0], 4)[0]) == 0.0  # never negative


def test_suggestions_rank_by_similar_wins_and_load(make_user):
    manager = make_user("sales_manager", "a1")
    good = make_user("salesperson", "a1", display_name="甲")
    busy = make_user("salesperson", "a1", display_name="乙")
    st = stages()

    def closed(owner, n, won, industry, amount):
        cust = make_customer(owner, n, number=f"S{owner.pk:03d}{n:04d}", name=f"建议客户{n}")
        cust.industry = industry
        cust.save()
        opp = save_opportunity(
            Opportunity(name=f"建议{n}", customer=cust, amount=Decimal(amount)), user=owner
        )
        if won is not None:
            move_stage(user=owner, opportunity=opp, stage=st[50 if won else 60], lost_reason="价格")
        return opp

    for i in range(4):
        closed(good, i, True, "it", 500000)
    closed(good, 10, False, "retail", 30000)
    for i in range(20, 24):
        closed(busy, i, False, "it", 500000)
    for i in range(30, 35):
        closed(busy, i, None, "retail", 1000)  # open load
    target = closed(manager, 99, None, "it", 600000)
    out = reports.suggest_owners(Opportunity.objects.visible_to(manager), target)
    assert [s.person for s in out][:2] == [good, busy]
    top = out[0]
    assert top.industry_closed == 4 and top.industry_rate == (4 + 1) / (4 + 2)
    assert top.size_closed == 4 and top.open_deals == 0
    assert out[1].open_deals == 5 and out[1].load_factor == 0
    assert top.score == round(
        100 * (0.75 * (0.4 * 5 / 6 + 0.4 * 5 / 6 + 0.2 * 5 / 7) + 0.25 * 1), 1
    )


def test_pages_render_in_both_languages(client, funnel_world):
    user, _deals = funnel_world
    client.force_login(user)
    for lang in ("zh-hans", "en"):
        client.cookies["django_language"] = lang
        for name in ("sales:kanban", "sales:funnel", "sales:forecast", "sales:opportunity_list"):
            r = client.get(reverse(name))
            assert r.status_code == 200, (name, lang)
        r = client.get(reverse("sales:forecast") + "?by=quarter&owner=999999999")
        assert r.status_code == 404
        assert client.get(reverse("sales:funnel") + "?from=2026-02-30").status_code == 400
