"""KPIs and the balanced scorecard, against values worked out by hand in the comments."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kehu.analytics.kpis import (
    CAP,
    Period,
    attainment,
    is_behind,
    prorated_target,
    weighted_score,
)

D = Decimal
MARCH = Period(2026, 3, "month")
AFTER_MARCH = datetime.date(2026, 4, 15)


# --- the pure computation ------------------------------------------------------------------------


def test_periods():
    q1 = Period(2026, 1, "quarter")
    assert (q1.start, q1.end) == (datetime.date(2026, 1, 1), datetime.date(2026, 4, 1))
    assert Period(2026, 12, "month").end == datetime.date(2027, 1, 1)
    assert Period(2026, 1, "month").previous() == Period(2025, 12, "month")
    assert Period(2026, 1, "quarter").previous() == Period(2025, 4, "quarter")
    assert [p.key for p in Period(2026, 2, "month").last(3)] == ["2025-12", "2026-01", "2026-02"]
    assert Period.parse("2026-q2") == Period(2026, 2, "quarter")
    assert Period.parse("2026") == Period(2026, 1, "year")
    assert Period.parse("2026-03").label == "2026-03"
    for bad in ("2026-13", "2026-Q5", "x", "", "1800", "2026-Q"):
        with pytest.raises(ValueError):
            Period.parse(bad)
    # day 10 of a 30-day month: 10/30 has passed; before it nothing, after it all
    april = Period(2026, 4, "month")
    assert april.elapsed(datetime.date(2026, 4, 10)) == D(10) / D(30)
    assert april.elapsed(datetime.date(2026, 3, 31)) == 0
    assert april.elapsed(datetime.date(2026, 5, 1)) == 1
    assert Period.containing(datetime.date(2026, 8, 9), "quarter") == Period(2026, 3, "quarter")


def test_attainment_both_directions():
    assert attainment(80, 100) == D("80.0")
    assert attainment(D("4000"), D("5000")) == D("80.0")
    # lower is better: 5 complaints against a target of 4 is 4/5 = 80%
    assert attainment(5, 4, "lower") == D("80.0")
    assert attainment(2, 4, "lower") == D("200.0")
    assert attainment(0, 4, "lower") == CAP
    assert attainment(None, 100) is None
    assert attainment(50, None) is None
    assert attainment(50, 0) is None  # no meaningful share of nothing


def test_weighted_score_caps_each_kpi():
    # (3·120 + 1·40) / (3 + 1) = 400 / 4 = 100; the KPI without an attainment is left out
    assert weighted_score([(3, D(120)), (1, D(40)), (2, None)]) == D("100.0")
    # 200% counts as 150%: (150 + 50) / 2 = 100
    assert weighted_score([(1, D(200)), (1, D(50))]) == D("100.0")
    assert weighted_score([(1, None)]) is None
    assert weighted_score([(0, D(90))]) is None


def test_behind_uses_the_prorated_target_for_sums_only():
    third = D(10) / D(30)
    # revenue target 30,000 on day 10 of 30: 10,000 due; 7,000 is 70% -> behind
    assert prorated_target(30000, additive=True, elapsed=third) == D(10000)
    assert is_behind(7000, 30000, direction="higher", additive=True, elapsed=third)
    # 8,000 is 80%: not under 80
    assert not is_behind(8000, 30000, direction="higher", additive=True, elapsed=third)
    # a win rate of 30% against 50% is 60% whenever it is measured
    assert is_behind(30, 50, direction="higher", additive=False, elapsed=third)
    # nothing is behind before its period starts
    assert not is_behind(0, 50, direction="higher", additive=False, elapsed=D(0))


# --- the figures, from the database -------------------------------------------------------------


def _at(day: int, month: int = 3, hour: int = 10):
    return timezone.make_aware(datetime.datetime(2026, month, day, hour))


@pytest.fixture
def world(make_user, org):
    """Team A1: salesperson s1; team A2: salesperson s2; branch A: its manager.

    s1 in March 2026: orders 1,000 (C1) and 3,000 (C3) booked, 500 (C4) cancelled -> revenue
    4,000; in February C1 700 and C2 800 -> of C1 and C2 (bought in February) C1 bought again:
    retention 50%. Deals closed in March: 2 won of 4 -> win rate 50%; the won ones took 10 and
    30 days -> cycle 20 days. Activities done in March: 2 visits and 1 call -> contacts 3,
    visits 2 (a planned visit does not count). C1's March line: 10 × cost 60 against 1,000 ->
    margin 40%. s2 in March: 2,000 booked.
    """
    from kehu.analytics.kpi_models import KpiDefinition
    from kehu.customers.tests.factories import activity, customer
    from kehu.sales.models import Opportunity, SalesOrderLine
    from kehu.sales.tests.factories.orders import product, sales_order
    from kehu.sales.tests.factories.pipeline import opportunity

    s1 = make_user("salesperson", "a1")
    s2 = make_user("salesperson", "a2")
    boss = make_user("branch_manager", "a")
    cust = {n: customer(s1, 100 + n, registered_on=datetime.date(2026, 3, 5)) for n in (1, 2, 3, 4)}
    cust[2].registered_on = datetime.date(2026, 1, 5)
    cust[2].save()

    def order(owner, n, c, total, day, status="confirmed"):
        return sales_order(
            owner, n, customer=c, total=D(total), order_date=day, status=status, prefix=f"K{n}"
        )

    c1_march = order(s1, 1, cust[1], "1000", datetime.date(2026, 3, 3))
    order(s1, 2, cust[3], "3000", datetime.date(2026, 3, 20), status="completed")
    order(s1, 3, cust[4], "500", datetime.date(2026, 3, 21), status="cancelled")
    order(s1, 4, cust[1], "700", datetime.date(2026, 2, 10))
    order(s1, 5, cust[2], "800", datetime.date(2026, 2, 11))
    order(s2, 6, None, "2000", datetime.date(2026, 3, 12))
    SalesOrderLine(
        order=c1_march,
        product=product("P-KPI", cost=D("60")),
        quantity=D(10),
        unit_price=D(100),
        line_total=D(1000),
    ).save()

    for n, (status, created, closed) in enumerate(
        (
            ("won", _at(1), _at(11)),
            ("won", _at(20, 2), _at(22)),
            ("lost", _at(1), _at(5)),
            ("lost", _at(1), _at(6)),
        ),
        start=1,
    ):
        opp = opportunity(s1, 200 + n, customer=cust[1], created_at=created)
        opp.status = status
        opp.closed_at = closed
        opp.save()
    assert Opportunity.objects.filter(owner=s1, status="won").count() == 2

    for n, (kind, status) in enumerate(
        (("visit", "done"), ("visit", "done"), ("call", "done"), ("visit", "planned")), start=1
    ):
        activity(s1, 300 + n, customer=cust[1], kind=kind, status=status, start_at=_at(9 + n))

    defs = {d.code: d for d in KpiDefinition.objects.all()}
    return {"s1": s1, "s2": s2, "boss": boss, "defs": defs, "org": org}


def _target(definition, target, *, employee=None, department=None, period=MARCH, actual=None):
    from kehu.analytics.kpi_models import KpiTarget

    obj = KpiTarget(
        definition=definition,
        employee=employee,
        department=department if department is not None else getattr(employee, "department", None),
        period=period.kind,
        year=period.year,
        number=period.number,
        target=D(target),
        actual=actual,
    )
    obj.save()
    return obj


@pytest.mark.django_db
def test_default_kpis_are_seeded_in_four_perspectives():
    from kehu.analytics.kpi_models import KpiDefinition

    seeded = KpiDefinition.objects.all()
    assert {d.perspective for d in seeded} == {"financial", "customer", "process", "learning"}
    assert KpiDefinition.objects.get(code="REVENUE").weight == 3


@pytest.mark.django_db
def test_measures_against_hand_worked_values(world):
    from kehu.analytics.kpi_measures import COMPUTE

    s1, s2, boss, org = world["s1"], world["s2"], world["boss"], world["org"]
    start, end = MARCH.start, MARCH.end
    revenue = COMPUTE["revenue"](boss, start, end)
    assert revenue.employee(s1.pk) == D(4000)
    assert revenue.employee(s2.pk) == D(2000)
    assert revenue.departments([org["a"].pk, org["a1"].pk, org["a2"].pk]) == D(6000)
    assert revenue.departments([org["a1"].pk]) == D(4000)
    assert COMPUTE["retention_rate"](boss, start, end).employee(s1.pk) == D(50)
    assert COMPUTE["churn_rate"](boss, start, end).employee(s1.pk) == D(50)
    assert COMPUTE["win_rate"](boss, start, end).employee(s1.pk) == D(50)
    assert COMPUTE["sales_cycle_days"](boss, start, end).employee(s1.pk) == D(20)
    assert COMPUTE["activities"](boss, start, end).employee(s1.pk) == D(3)
    assert COMPUTE["visits"](boss, start, end).employee(s1.pk) == D(2)
    # C1, C3, C4 registered in March (C2 in January; s2's customer today)
    assert COMPUTE["new_customers"](boss, start, end).employee(s1.pk) == D(3)
    assert COMPUTE["gross_margin"](boss, start, end).employee(s1.pk) == D(40)
    # a salesperson may not see costs: no margin for them
    assert COMPUTE["gross_margin"](s1, start, end).employee(s1.pk) is None
    # s1 sees only their own orders: s2's sales are not in their figures
    assert COMPUTE["revenue"](s1, start, end).employee(s2.pk) == D(0)


@pytest.mark.django_db
def test_scorecard_attainment_score_and_department_rollup(world):
    from kehu.analytics.kpi_scorecard import find_subject, scorecard

    s1, s2, boss, defs = world["s1"], world["s2"], world["boss"], world["defs"]
    _target(defs["REVENUE"], "5000", employee=s1)
    _target(defs["REVENUE"], "5000", employee=s2)
    _target(defs["WIN_RATE"], "66.6666", employee=s1)
    _target(defs["VISITS"], "4", employee=s1)
    card = scorecard(boss, find_subject(boss, f"e{s1.pk}"), MARCH, today=AFTER_MARCH)
    rows = {r.definition.code: r for r in card.rows}
    assert rows["REVENUE"].attainment == D("80.0")  # 4,000 / 5,000
    assert rows["WIN_RATE"].attainment == D("75.0")  # 50 / 66.67
    assert rows["VISITS"].attainment == D("50.0")  # 2 / 4
    # (3·80 + 1·75 + 1·50) / 5 = 365 / 5 = 73
    assert card.score == D("73.0")
    # behind: under 80% of the whole target once the period is over
    assert {r.definition.code for r in card.behind} == {"WIN_RATE", "VISITS"}
    financial = next(p for p in card.perspectives if p[0] == "financial")
    assert financial[3] == D("80.0")
    # on 16 March (16/31 passed) the score weighs attainment against what is due by now:
    # revenue 4,000 ÷ 2,580.65 = 155% -> 150 (cap); win rate 50 ÷ 66.67 = 75% (a rate is due
    # in full); visits 2 ÷ 2.06 = 96.9%: (3·150 + 75 + 96.9) / 5 = 124.4
    mid = scorecard(boss, find_subject(boss, f"e{s1.pk}"), MARCH, today=datetime.date(2026, 3, 16))
    rows = {r.definition.code: r for r in mid.rows}
    assert (rows["REVENUE"].attainment, rows["REVENUE"].pace) == (D("80.0"), D("155.0"))
    assert rows["VISITS"].pace == D("96.9")
    assert mid.score == D("124.4")
    assert {r.definition.code for r in mid.behind} == {"WIN_RATE"}
    # branch A has no target of its own: its people's 5,000 + 5,000 against 6,000 booked
    branch = scorecard(
        boss, find_subject(boss, f"d{world['org']['a'].pk}"), MARCH, today=AFTER_MARCH
    )
    rows = {r.definition.code: r for r in branch.rows}
    assert (rows["REVENUE"].target, rows["REVENUE"].actual) == (D(10000), D(6000))
    assert rows["REVENUE"].attainment == D("60.0")
    # a rate does not add up: no derived target for the branch
    assert rows["WIN_RATE"].target is None
    # the trend reads only the subject's records, with the same result
    from kehu.analytics.kpi_scorecard import trend

    for subject, whole in ((card.subject, card), (branch.subject, branch)):
        last = trend(boss, subject, MARCH, today=AFTER_MARCH, n=2)[-1]
        assert [r.actual for r in last.rows] == [r.actual for r in whole.rows]
        assert last.score == whole.score


@pytest.mark.django_db
def test_manual_kpi_takes_the_actual_typed_on_the_target(world):
    from kehu.analytics.kpi_actions import save_kpi_definition
    from kehu.analytics.kpi_models import KpiDefinition
    from kehu.analytics.kpi_scorecard import find_subject, scorecard

    s1 = world["s1"]
    training = save_kpi_definition(
        KpiDefinition(code="TRAINING", name="培训学时", perspective="learning", measure="manual"),
        user=None,
    )
    assert (training.unit, training.direction) == ("score", "higher")
    _target(training, "16", employee=s1, actual=D(12))
    card = scorecard(s1, find_subject(s1, f"e{s1.pk}"), MARCH, today=AFTER_MARCH)
    row = next(r for r in card.rows if r.definition.code == "TRAINING")
    assert (row.actual, row.attainment) == (D(12), D("75.0"))


@pytest.mark.django_db
def test_subjects_follow_the_data_scope(world):
    from kehu.analytics.kpi_scorecard import subjects_for

    s1, boss, org = world["s1"], world["boss"], world["org"]
    employees, departments = subjects_for(s1)
    assert [e.pk for e in employees] == [s1.pk] and departments == []
    employees, departments = subjects_for(boss)
    assert {e.pk for e in employees} >= {s1.pk, world["s2"].pk, boss.pk}
    assert {d.pk for d in departments} == {org["a"].pk, org["a1"].pk, org["a2"].pk}
    branch = next(d for d in departments if d.pk == org["a"].pk)
    assert set(branch.tree) == {org["a"].pk, org["a1"].pk, org["a2"].pk}


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_number_of_people(world, make_user):
    from kehu.analytics.kpi_scorecard import subjects_for, team
    from kehu.sales.tests.factories.orders import sales_order

    boss = world["boss"]

    def count() -> int:
        employees, departments = subjects_for(boss)
        with CaptureQueriesContext(connection) as ctx:
            cards = team(boss, [*employees, *departments], MARCH, today=AFTER_MARCH)
        assert cards
        return len(ctx.captured_queries)

    before = count()
    for n in range(6):
        person = make_user("salesperson", "a2")
        sales_order(
            person, 900 + n, total=D(100), order_date=datetime.date(2026, 3, 2), status="confirmed"
        )
    assert count() == before


@pytest.mark.django_db
def test_scorecard_page_and_its_permissions(client, world):
    s1, s2, boss, defs = world["s1"], world["s2"], world["boss"], world["defs"]
    _target(defs["REVENUE"], "5000", employee=s1)
    url = reverse("analytics:kpi_scorecard")
    client.force_login(s1)
    page = client.get(url, {"period": "2026-03"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="kpi-table"' in html and "4,000" in html and "80.0%" in html
    assert "kpi-trend" in html
    # someone else's scorecard is not in a salesperson's scope
    assert client.get(url, {"subject": f"e{s2.pk}", "period": "2026-03"}).status_code == 404
    assert client.get(url, {"subject": f"d{world['org']['a1'].pk}"}).status_code == 404
    assert client.get(url, {"period": "2026-13"}).status_code == 400
    assert client.get(url, {"kind": "decade"}).status_code == 400
    client.force_login(boss)
    page = client.get(url, {"subject": f"d{world['org']['a'].pk}", "period": "2026-03"})
    assert page.status_code == 200
    assert 'id="kpi-team"' in page.content.decode()
    assert client.get(url, {"subject": f"e{s2.pk}", "period": "2026-Q1"}).status_code == 200


@pytest.mark.django_db
def test_target_rules(world):
    from django.core.exceptions import ValidationError

    from kehu.analytics.kpi_actions import save_kpi_target
    from kehu.analytics.kpi_models import KpiTarget

    s1, s2, defs = world["s1"], world["s2"], world["defs"]
    first = save_kpi_target(
        KpiTarget(definition=defs["REVENUE"], employee=s1, year=2026, number=3, target=D(1)),
        user=s1,
    )
    assert first.department == s1.department  # the employee's department, filled in
    with pytest.raises(ValidationError):  # one target per KPI, person and period
        save_kpi_target(
            KpiTarget(definition=defs["REVENUE"], employee=s1, year=2026, number=3, target=D(2)),
            user=s1,
        )
    with pytest.raises(ValidationError):  # a quarter 5
        save_kpi_target(
            KpiTarget(
                definition=defs["REVENUE"],
                employee=s1,
                period="quarter",
                year=2026,
                number=5,
                target=D(1),
            ),
            user=s1,
        )
    with pytest.raises(ValidationError):  # a computed KPI takes no typed actual
        save_kpi_target(
            KpiTarget(
                definition=defs["VISITS"],
                employee=s1,
                year=2026,
                number=3,
                target=D(1),
                actual=D(3),
            ),
            user=s1,
        )
    with pytest.raises(ValidationError):  # nobody's target
        save_kpi_target(
            KpiTarget(definition=defs["VISITS"], year=2026, number=3, target=D(1)), user=s1
        )
    with pytest.raises(ValidationError):  # outside the salesperson's scope
        save_kpi_target(
            KpiTarget(definition=defs["VISITS"], employee=s2, year=2026, number=3, target=D(1)),
            user=s1,
        )
    assert not KpiTarget.objects.filter(employee=s2).exists()


@pytest.mark.django_db
def test_alerts_when_behind_once_a_week(world):
    from kehu.analytics.kpi_alerts import notify_behind
    from kehu.core.models import Notification

    s1, boss, defs, org = world["s1"], world["boss"], world["defs"], world["org"]
    _target(defs["REVENUE"], "5000", employee=s1)  # 4,000: 80%, not behind
    _target(defs["VISITS"], "4", employee=s1)  # 2: 50%, behind
    _target(defs["CONTACTS"], "20", department=org["a1"])  # 3: 15%, behind
    last_day = datetime.date(2026, 3, 31)
    assert notify_behind(today=last_day) == 2
    mine = Notification.objects.filter(recipient=s1, kind="kpi_behind")
    assert mine.count() == 1 and str(defs["VISITS"]) in mine.get().title
    # the department's target goes to who may see it: the branch manager, not the salesperson
    assert Notification.objects.filter(recipient=boss, kind="kpi_behind").count() == 1
    assert notify_behind(today=last_day) == 0  # once a week
    # mid-month sums are pro-rated: on 10 March visits 4 × 10/31 = 1.29 due, 2 done: on track;
    # contacts 20 × 10/31 = 6.45 due, 3 done: 46%, behind
    Notification.objects.all().delete()
    assert notify_behind(today=datetime.date(2026, 3, 10)) == 1  # the department's contacts


@pytest.mark.django_db
def test_api_lists_targets_in_scope(client, world):
    s1, s2, defs = world["s1"], world["s2"], world["defs"]
    mine = _target(defs["REVENUE"], "5000", employee=s1)
    _target(defs["REVENUE"], "5000", employee=s2)
    client.force_login(s1)
    rows = client.get("/api/kpi-targets/").json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    created = client.post(
        "/api/kpi-targets/",
        {
            "definition": defs["VISITS"].pk,
            "employee": s2.pk,
            "year": 2026,
            "number": 3,
            "target": "4",
        },
        content_type="application/json",
    )
    assert created.status_code == 400
