"""Benchmark: the sales funnel, the forecast and the kanban board on PostgreSQL.

Run from the repository root::

    .venv/bin/python bench/sales_pipeline.py --deals 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/kehu_bench_opps

What it does:

1. Creates the database if missing (its name must contain ``bench``: the script deletes the
   deals it made before), migrates it, and builds an org chart (HQ > 4 branches > 3 teams each,
   5 salespeople per team and a branch manager per branch), 5,000 customers, the default
   pipeline, and ``--deals`` opportunities with their stage history generated server-side by
   ``INSERT ... SELECT generate_series`` (a deterministic walk per deal: furthest stage, then won
   35 % / lost 20 % / open 45 %; every stay's days match its dates). Then ``VACUUM (ANALYZE)``.
   A later run reuses the data when the number of deals matches (``--regenerate`` rebuilds).
2. As the manager of branch B1 (data scope: the branch and its teams), times
   ``pipeline_reports.funnel`` for the branch subtree and the last full quarter and
   ``weighted_pipeline`` + ``bookings_forecast`` for the branch, against the same aggregates
   written by hand in SQL and run with psycopg (goal: at most 2x the raw SQL).
3. Times the kanban board's first render for that manager (``GET /sales/kanban/``, the branch's
   open deals, about 11 % of all deals) and a drag (``POST /sales/opportunities/<id>/move/``
   with ``Accept: application/json``, the JSON with the new column totals), in-process with
   Django's test client.

Prints a markdown report (median and p95 of ``--repeat`` runs after one warm-up).
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
TEAMS_PER_BRANCH = 3
BRANCHES = 4
PEOPLE_PER_TEAM = 5
CUSTOMERS = 5000


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--deals", type=int, default=100_000)
    p.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kehu_bench_opps"
        ),
    )
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--regenerate", action="store_true")
    return p.parse_args()


def ensure_database(url: str) -> str:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit("the database name must contain 'bench'")
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    data_dir = tempfile.mkdtemp(prefix="kehu-bench-")
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    os.environ["KEHU_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    for var in ("KEHU_DEBUG", "KEHU_TESTING", "KEHU_PRODUCTION", "REDIS_URL"):
        os.environ.pop(var, None)
    sys.path.insert(0, str(ROOT))
    import django

    from kehu.core.startup import ensure_data_dir

    ensure_data_dir()
    django.setup()
    import logging

    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- Data ----------------------------------------------------------------------------------------


def build_org():
    """The org chart and people, once (idempotent by department code)."""
    from kehu.system.actions import create_department, create_employee, ensure_default_roles
    from kehu.system.models import Department, User

    roles = ensure_default_roles()
    if Department.objects.filter(code="BHQ").exists():
        return
    hq = create_department(name="总部", code="BHQ")
    for b in range(1, BRANCHES + 1):
        branch = create_department(name=f"分公司{b}", code=f"BB{b}", parent=hq)
        create_employee(
            username=f"bm{b}", password=None, department=branch, roles=[roles["branch_manager"]]
        )
        for t in range(1, TEAMS_PER_BRANCH + 1):
            team = create_department(name=f"销售{b}-{t}组", code=f"BT{b}{t}", parent=branch)
            for s in range(1, PEOPLE_PER_TEAM + 1):
                create_employee(
                    username=f"s{b}{t}{s}",
                    password=None,
                    department=team,
                    roles=[roles["salesperson"]],
                )
    _ = User


def build_customers():
    from kehu.customers.models import Customer
    from kehu.system.models import User

    if Customer.objects.filter(number__startswith="BC").count() >= CUSTOMERS:
        return
    people = list(User.objects.filter(username__startswith="s").order_by("pk"))
    objs = []
    for i in range(CUSTOMERS):
        owner = people[i % len(people)]
        objs.append(
            Customer(
                number=f"BC{i:07d}",
                name=f"基准客户{i}",
                industry=("it", "manufacturing", "retail", "finance")[i % 4],
                owner=owner,
                department_id=owner.department_id,
            )
        )
    Customer.objects.bulk_create(objs, batch_size=2000)


GENERATE_DEALS = """
WITH people AS (
    SELECT array_agg(u.id ORDER BY u.id) AS ids, array_agg(u.department_id ORDER BY u.id) AS depts
    FROM system_user u WHERE u.username ~ '^s[0-9]+$'
), customers AS (
    SELECT array_agg(id ORDER BY id) AS ids FROM customers_customer WHERE number LIKE 'BC%%'
), g AS (
    SELECT i,
        (ARRAY[0,0,1,1,2,2,3,3,3])[1 + (i * 31) %% 9] AS furthest,
        CASE WHEN (i * 17) %% 20 < 7 THEN 'won' WHEN (i * 17) %% 20 < 11 THEN 'lost'
             ELSE 'open' END AS outcome,
        (2 + (i * 7) %% 19)::int AS step,
        now() - make_interval(days => (84 + (i * 7919) %% 456)::int, hours => (i %% 9)::int)
            AS created
    FROM generate_series(1::bigint, %(n)s) AS i
)
INSERT INTO sales_opportunity (
    created_at, updated_at, version, owner_id, department_id, number, name, customer_id,
    pipeline_id, stage_id, status, amount, currency, expected_close, source, next_step,
    competitors, lost_reason, description, stage_changed_at, closed_at)
SELECT
    g.created, g.created, 1,
    p.ids[1 + g.i %% array_length(p.ids, 1)], p.depts[1 + g.i %% array_length(p.ids, 1)],
    'BENCH' || lpad(g.i::text, 8, '0'), '基准商机' || g.i,
    c.ids[1 + (g.i * 13) %% array_length(c.ids, 1)],
    %(pipeline)s,
    CASE g.outcome WHEN 'won' THEN %(won)s WHEN 'lost' THEN %(lost)s
         ELSE (%(open)s::bigint[])[1 + g.furthest] END,
    g.outcome,
    (ARRAY[30000,50000,80000,120000,200000,350000,500000,800000,1200000])[1 + (g.i * 13) %% 9],
    'CNY',
    CASE WHEN g.outcome = 'open'
         THEN (now() + make_interval(days => ((g.i * 3) %% 200)::int))::date
         ELSE (g.created + make_interval(days => g.step * (g.furthest + 1)))::date END,
    '', '', '', CASE WHEN g.outcome = 'lost' THEN '价格太高' ELSE '' END, '',
    g.created + make_interval(days => g.step * (g.furthest + CASE WHEN g.outcome = 'open'
                                                   THEN 0 ELSE 1 END)),
    CASE WHEN g.outcome = 'open' THEN NULL
         ELSE g.created + make_interval(days => g.step * (g.furthest + 1)) END
FROM g, people p, customers c
"""

GENERATE_HISTORY = """
WITH o AS (
    SELECT id, amount, owner_id, created_at, status,
        substr(number, 6)::bigint AS i
    FROM sales_opportunity WHERE number LIKE 'BENCH%%'
), w AS (
    SELECT o.*, (ARRAY[0,0,1,1,2,2,3,3,3])[1 + (i * 31) %% 9] AS furthest,
        (2 + (i * 7) %% 19)::int AS step
    FROM o
)
INSERT INTO sales_stagehistory (
    created_at, updated_at, version, opportunity_id, from_stage_id, to_stage_id, changed_at,
    changed_by_id, days_in_previous, amount)
SELECT
    w.created_at + make_interval(days => w.step * k), now(), 1, w.id,
    CASE WHEN k = 0 THEN NULL ELSE (%(open)s::bigint[])[k] END,
    CASE WHEN k <= w.furthest THEN (%(open)s::bigint[])[k + 1]
         WHEN w.status = 'won' THEN %(won)s ELSE %(lost)s END,
    w.created_at + make_interval(days => w.step * k),
    w.owner_id,
    CASE WHEN k = 0 THEN NULL ELSE w.step END,
    w.amount
FROM w, generate_series(0, 4) AS k
WHERE k <= w.furthest OR (k = w.furthest + 1 AND w.status <> 'open')
"""


def build_deals(n: int, regenerate: bool) -> dict:
    from django.db import connection

    from kehu.sales.actions.pipeline import default_pipeline
    from kehu.sales.models import Opportunity, Stage

    pipeline = default_pipeline()
    have = Opportunity.objects.filter(number__startswith="BENCH").count()
    if have == n and not regenerate:
        log(f"{n:,} deals present, not regenerating")
        return {}
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
    params = {
        "n": n,
        "pipeline": pipeline.pk,
        "open": [s.pk for s in stages if s.kind == "open"],
        "won": next(s.pk for s in stages if s.kind == "won"),
        "lost": next(s.pk for s in stages if s.kind == "lost"),
    }
    timings = {}
    with connection.cursor() as cur:
        t = time.perf_counter()
        cur.execute(
            "DELETE FROM sales_stagehistory WHERE opportunity_id IN "
            "(SELECT id FROM sales_opportunity WHERE number LIKE 'BENCH%%')"
        )
        cur.execute("DELETE FROM sales_opportunity WHERE number LIKE 'BENCH%%'")
        cur.execute("SET synchronous_commit = off")
        cur.execute(GENERATE_DEALS, params)
        timings["deals"] = time.perf_counter() - t
        t = time.perf_counter()
        cur.execute(GENERATE_HISTORY, params)
        timings["history"] = time.perf_counter() - t
    connection.commit() if not connection.get_autocommit() else None
    with connection.cursor() as cur:
        t = time.perf_counter()
        cur.execute("VACUUM (ANALYZE) sales_opportunity")
        cur.execute("VACUUM (ANALYZE) sales_stagehistory")
        timings["vacuum"] = time.perf_counter() - t
    return timings


# --- Raw SQL of the same numbers -----------------------------------------------------------------

RAW_FUNNEL = [
    """SELECT f.furthest, count(*), sum(o.amount) FROM sales_opportunity o
       JOIN system_department d ON d.id = o.department_id
       LEFT JOIN LATERAL (SELECT max(s.position) AS furthest FROM sales_stagehistory h
                          JOIN sales_stage s ON s.id = h.to_stage_id
                          WHERE h.opportunity_id = o.id AND s.kind <> 'lost') f ON true
       WHERE o.pipeline_id = %(pipeline)s AND d.path LIKE %(path)s
         AND o.created_at >= %(lo)s AND o.created_at < %(hi)s
       GROUP BY f.furthest""",
    """SELECT o.stage_id, count(*), sum(o.amount),
              sum(o.amount * coalesce(o.probability, s.probability) / 100)
       FROM sales_opportunity o JOIN system_department d ON d.id = o.department_id
       JOIN sales_stage s ON s.id = o.stage_id
       WHERE o.pipeline_id = %(pipeline)s AND d.path LIKE %(path)s
         AND o.created_at >= %(lo)s AND o.created_at < %(hi)s
       GROUP BY o.stage_id""",
    """SELECT h.from_stage_id, avg(h.days_in_previous), count(*) FROM sales_stagehistory h
       JOIN sales_opportunity o ON o.id = h.opportunity_id
       JOIN system_department d ON d.id = o.department_id
       WHERE o.pipeline_id = %(pipeline)s AND d.path LIKE %(path)s
         AND o.created_at >= %(lo)s AND o.created_at < %(hi)s AND h.from_stage_id IS NOT NULL
       GROUP BY h.from_stage_id""",
]

RAW_FORECAST = [
    """SELECT date_trunc('month', o.expected_close), count(*), sum(o.amount),
              sum(o.amount * coalesce(o.probability, s.probability) / 100)
       FROM sales_opportunity o JOIN system_department d ON d.id = o.department_id
       JOIN sales_stage s ON s.id = o.stage_id
       WHERE o.status = 'open' AND d.path LIKE %(path)s
         AND o.expected_close BETWEEN %(start)s AND %(end)s
       GROUP BY 1 ORDER BY 1""",
    """SELECT count(*), sum(o.amount) FROM sales_opportunity o
       JOIN system_department d ON d.id = o.department_id
       WHERE o.status = 'open' AND d.path LIKE %(path)s AND o.expected_close IS NULL""",
    """SELECT date_trunc('month', o.closed_at AT TIME ZONE 'Asia/Shanghai'), sum(o.amount)
       FROM sales_opportunity o JOIN system_department d ON d.id = o.department_id
       WHERE o.status = 'won' AND d.path LIKE %(path)s
         AND o.closed_at >= %(since)s AND o.closed_at < %(until)s
       GROUP BY 1""",
]


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _i in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def stats(ms: list[float]) -> tuple[float, float]:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return statistics.median(ms), p95


def main() -> None:
    args = parse_args()
    ensure_database(args.database_url)
    setup_django(args.database_url)
    import datetime

    import psycopg
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from kehu.core.context import acting_as
    from kehu.sales import pipeline_reports as reports
    from kehu.sales.actions.pipeline import default_pipeline
    from kehu.sales.models import Opportunity, Stage
    from kehu.system.models import Department, User

    log("migrating")
    call_command("migrate", verbosity=0, interactive=False)
    log("org and customers")
    build_org()
    build_customers()
    log(f"deals: {args.deals:,}")
    gen = build_deals(args.deals, args.regenerate)
    if gen:
        log("generated: " + ", ".join(f"{k} {v:.1f} s" for k, v in gen.items()))
    manager = User.objects.get(username="bm1")
    branch = Department.objects.get(code="BB1")
    pipeline = default_pipeline()
    today = timezone.localdate()
    q_end = reports.quarter_start(today) - datetime.timedelta(days=1)
    q_start = reports.quarter_start(q_end)
    lo, hi = reports.day_bounds(q_start, q_end)
    visible = Opportunity.objects.visible_to(manager)
    scoped = reports.scoped(visible, department=branch)
    n_total = Opportunity.objects.count()
    n_branch = scoped.count()
    n_open = scoped.filter(status="open").count()
    n_quarter = reports.cohort(scoped, pipeline, period=(q_start, q_end)).count()
    log(f"{n_total:,} deals, branch {n_branch:,} ({n_open:,} open), quarter cohort {n_quarter:,}")

    results = {}
    results["funnel (ORM)"] = timed(
        lambda: reports.funnel(scoped, pipeline, period=(q_start, q_end)), args.repeat
    )
    fc_start = today.replace(day=1)
    fc_end = reports.add_months(fc_start, 12) - datetime.timedelta(days=1)

    def forecast():
        reports.weighted_pipeline(scoped, start=fc_start, end=fc_end)
        reports.bookings_forecast(scoped, today=today)

    results["forecast (ORM)"] = timed(forecast, args.repeat)

    settings = connection.settings_dict
    pg = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        autocommit=True,
        cursor_factory=psycopg.ClientCursor,
    )
    first = reports.add_months(today.replace(day=1), -23)
    since, until = reports.day_bounds(
        first, reports.add_months(today.replace(day=1), 1) - datetime.timedelta(days=1)
    )
    raw_params = {
        "pipeline": pipeline.pk,
        "path": branch.path + "%",
        "lo": lo,
        "hi": hi,
        "start": fc_start,
        "end": fc_end,
        "since": since,
        "until": until,
    }

    def raw(statements):
        def run():
            for sql in statements:
                pg.execute(sql, raw_params).fetchall()

        return run

    results["funnel (raw SQL)"] = timed(raw(RAW_FUNNEL), args.repeat)
    results["forecast (raw SQL)"] = timed(raw(RAW_FORECAST), args.repeat)

    # the board and a drag, through the whole request path
    client = Client()
    client.force_login(manager)
    results["kanban first render"] = timed(
        lambda: client.get("/sales/kanban/").status_code == 200 or sys.exit("kanban failed"),
        args.repeat,
    )
    stages = list(Stage.objects.filter(pipeline=pipeline, kind="open").order_by("position"))
    deal = scoped.filter(status="open", stage=stages[0]).order_by("pk").first()
    state = {"to": 1}

    def drag():
        target = stages[state["to"]]
        r = client.post(
            f"/sales/opportunities/{deal.pk}/move/",
            {"stage": target.pk},
            HTTP_ACCEPT="application/json",
        )
        if r.status_code != 200:
            sys.exit(f"move failed: {r.content[:200]}")
        state["to"] = 1 - state["to"]

    with acting_as(manager):
        results["kanban drag (move + column totals)"] = timed(drag, args.repeat)

    print(f"\n### Sales pipeline on PostgreSQL — {n_total:,} deals\n")
    print(
        f"Branch B1 subtree: {n_branch:,} deals, {n_open:,} open; funnel cohort (created "
        f"{q_start} – {q_end}): {n_quarter:,} deals. Median / p95 of {args.repeat} runs, ms.\n"
    )
    print("| measure | median ms | p95 ms |")
    print("|---|---:|---:|")
    for name, ms in results.items():
        med, p95 = stats(ms)
        print(f"| {name} | {med:.1f} | {p95:.1f} |")
    for what in ("funnel", "forecast"):
        orm = stats(results[f"{what} (ORM)"])[0]
        sql = stats(results[f"{what} (raw SQL)"])[0]
        print(f"\n{what}: ORM / raw SQL = {orm / sql:.2f}x (goal ≤ 2x)")


if __name__ == "__main__":
    main()
