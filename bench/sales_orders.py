"""Benchmark: the monthly commission statement and the receivables ageing on PostgreSQL with many
order lines.

Run from the repository root (the database name must contain ``bench``; it is dropped and
recreated)::

    .venv/bin/python bench/sales_orders.py --lines 500000 \\
        --database-url postgres://postgres@127.0.0.1:5432/kehu_bench_orders

What it does: migrates, runs the demo generators for the org chart, the product catalogue and
``--customers`` customers (fixed seed), then writes server-side with ``INSERT ... SELECT
generate_series`` ``--lines / 5`` sales orders of five lines each over the last year (85 % booked,
the rest drafts or cancelled; totals summed from the lines), one payment on two booked orders in
three (all of a completed order's total, half otherwise), and three commission rules. Then it
times, ``--repeat`` times each (median and p95, SQL queries):

- ``statement()`` of the month for the employee with the most payments in it, and the
  statement page (HTML) and its CSV export for that employee as the administrator;
- the statements of every employee with payments in the month, one after the other;
- ``ageing()`` by customer, owner and department as the administrator, and by customer as a branch
  manager (department subtree scope), and the ageing page;
- the same ageing total with one hand-written SQL query, to compare time and check the figures
  reconcile (both must give the same total to the cent).

Markdown on stdout.
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

ROOT = Path(__file__).resolve().parents[1]


def setup(database_url: str) -> None:
    data_dir = tempfile.mkdtemp(prefix="kehu-bench-orders-")
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    os.environ["KEHU_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    for var in ("KEHU_DEBUG", "KEHU_TESTING", "KEHU_PRODUCTION", "REDIS_URL", "DATABASE_URL"):
        os.environ.pop(var, None)
    name = urlsplit(database_url).path.lstrip("/")
    if "bench" not in name:
        sys.exit("the database name must contain 'bench' (it is dropped and recreated)")
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    os.environ["DATABASE_URL"] = database_url
    sys.path.insert(0, str(ROOT))
    import django

    from kehu.core.startup import ensure_data_dir

    ensure_data_dir()
    django.setup()
    import logging

    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115


def timed(fn, repeat: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()  # warm
    times, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        queries = len(ctx.captured_queries)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times) * 1000, p95 * 1000, queries


GENERATE = """
CREATE TEMP TABLE bench_cust AS
  SELECT row_number() OVER (ORDER BY id) AS rn, id, owner_id, department_id
  FROM customers_customer WHERE deleted_at IS NULL;
CREATE TEMP TABLE bench_prod AS
  SELECT row_number() OVER (ORDER BY id) AS rn, id, list_price FROM system_product;
INSERT INTO sales_salesorder (created_at, updated_at, version, number, customer_id, currency,
    order_date, payment_due, status, subtotal, discount_total, tax_total, total, confirmed_at,
    notes, owner_id, department_id)
SELECT now(), now(), 1, 'SO-B' || lpad(i::text, 9, '0'), c.id, 'CNY',
    %(today)s::date - (i %% 365), %(today)s::date - (i %% 365) + 30,
    CASE WHEN i %% 20 = 0 THEN 'draft' WHEN i %% 20 = 1 THEN 'cancelled'
         WHEN i %% 20 < 6 THEN 'confirmed' WHEN i %% 20 < 9 THEN 'shipped'
         WHEN i %% 20 < 12 THEN 'delivered' ELSE 'completed' END,
    0, 0, 0, 0, now(), '', c.owner_id, c.department_id
FROM generate_series(1, %(orders)s) AS i
JOIN bench_cust c ON c.rn = (i * 7919) %% (SELECT count(*) FROM bench_cust) + 1;
INSERT INTO sales_salesorderline (created_at, updated_at, version, order_id, position,
    product_id, description, quantity, unit_price, discount_percent, tax_rate, line_total)
SELECT now(), now(), 1, o.id, p, pr.id, '', 1 + (o.id + p) %% 5, pr.list_price, 0, 0,
    (1 + (o.id + p) %% 5) * pr.list_price
FROM sales_salesorder o CROSS JOIN generate_series(1, 5) AS p
JOIN bench_prod pr ON pr.rn = (o.id * 31 + p * 7) %% (SELECT count(*) FROM bench_prod) + 1;
UPDATE sales_salesorder o SET subtotal = s.t, total = s.t
FROM (SELECT order_id, sum(line_total) AS t FROM sales_salesorderline GROUP BY order_id) s
WHERE s.order_id = o.id;
INSERT INTO sales_payment (created_at, updated_at, version, number, customer_id, order_id,
    amount, currency, paid_on, method, reference, note, owner_id, department_id)
SELECT now(), now(), 1, 'SK-B' || lpad(o.id::text, 9, '0'), o.customer_id, o.id,
    CASE WHEN o.status = 'completed' THEN o.total ELSE round(o.total / 2, 2) END, 'CNY',
    LEAST(%(today)s::date, o.order_date + 20), 'transfer', '', '', o.owner_id, o.department_id
FROM sales_salesorder o
WHERE o.status IN ('confirmed', 'shipped', 'delivered', 'completed') AND o.id %% 3 <> 0;
"""

RAW_AGEING = """
SELECT coalesce(sum(o.total - coalesce(p.paid, 0)), 0)
FROM sales_salesorder o
LEFT JOIN (SELECT order_id, sum(amount) AS paid FROM sales_payment GROUP BY order_id) p
  ON p.order_id = o.id
WHERE o.status IN ('confirmed', 'shipped', 'delivered', 'completed') AND o.contract_id IS NULL
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=500_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    setup(args.database_url)

    import datetime
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from kehu.core.demo import GENERATORS, DemoContext
    from kehu.core.registry import import_app_modules
    from kehu.sales.actions import collections as coll
    from kehu.sales.actions import commissions as comm
    from kehu.sales.models import CommissionRule, Payment, SalesOrderLine
    from kehu.system.models import Role, User

    out = []
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    import_app_modules("demo")
    ctx = DemoContext(seed=args.seed, customers=args.customers, employees=250, out=lambda s: None)
    for order, _name, fn in sorted(GENERATORS, key=lambda g: g[0]):
        if order <= 30:
            fn(ctx)
    t1 = time.perf_counter()
    today = timezone.localdate()
    orders = args.lines // 5
    with connection.cursor() as cur:
        cur.execute(GENERATE, {"today": today, "orders": orders})
        cur.execute("VACUUM ANALYZE")
    t2 = time.perf_counter()
    CommissionRule(name="all 1%", rate=Decimal("1")).save()
    role = Role.objects.get(name="salesperson")
    CommissionRule(name="sales tiers", role=role, tiers="0=2; 100000=3; 500000=4").save()
    product = SalesOrderLine.objects.values_list("product", flat=True).first()
    CommissionRule(name="one product", role=role, product_id=product, rate=Decimal("6")).save()

    month = today.replace(day=1) - datetime.timedelta(days=1)
    year, mon = month.year, month.month
    start, end = comm.month_range(year, mon)
    in_month = Payment.objects.filter(paid_on__gte=start, paid_on__lt=end)
    top = in_month.values("owner").annotate(n=Count("id")).order_by("-n").first()
    employee = User.objects.get(pk=top["owner"])
    admin = User.objects.filter(is_superuser=True).first()
    manager = User.objects.filter(roles__name="branch_manager").order_by("pk").first()

    counts = {
        "customers": ctx.customers,
        "orders": orders,
        "lines": SalesOrderLine.objects.count(),
        "payments": Payment.objects.count(),
        "payments in the month": in_month.count(),
        "employee's payments in the month": top["n"],
    }
    st = comm.statement(employee, year, mon)
    assert sum(line.amount for line in st.lines) == st.collected
    rows = []

    def row(label, fn):
        med, p95, q = timed(fn, args.repeat)
        rows.append(f"| {label} | {med:,.1f} | {p95:,.1f} | {q} |")

    row(
        f"statement() {year}-{mon:02d}, one employee ({len(st.lines):,} lines)",
        lambda: comm.statement(employee, year, mon),
    )
    client = Client()
    client.force_login(admin)
    url = reverse("sales:commission_statement")
    params = {"employee": employee.pk, "month": f"{year}-{mon:02d}"}
    row("statement page (HTML)", lambda: client.get(url, params, HTTP_HOST="localhost"))
    row(
        "statement CSV", lambda: client.get(url, {**params, "export": "csv"}, HTTP_HOST="localhost")
    )
    people = list(User.objects.filter(pk__in=in_month.values("owner")))
    row(
        f"statements of all {len(people)} employees paid in the month",
        lambda: [comm.statement(p, year, mon) for p in people],
    )
    for by in ("customer", "owner", "department"):
        row(f"ageing() by {by}, administrator", lambda by=by: coll.ageing(admin, by=by))
    if manager is not None:
        row(
            f"ageing() by customer, branch manager ({manager.department})",
            lambda: coll.ageing(manager),
        )
    row("ageing page", lambda: client.get(reverse("sales:ageing"), HTTP_HOST="localhost"))

    def raw():
        with connection.cursor() as cur:
            cur.execute(RAW_AGEING)
            return cur.fetchone()[0]

    row("hand-written SQL: total open receivables", raw)
    total = coll.ageing_totals(coll.ageing(admin)).total
    assert total == Decimal(raw()).quantize(Decimal("0.01")), (total, raw())

    out.append(
        f"Set-up: migrate + demo org/products/customers {t1 - t0:,.0f} s; "
        f"orders, lines and payments by SQL {t2 - t1:,.0f} s.\n"
    )
    out.append("| data | rows |\n|---|---:|")
    out += [f"| {k} | {v:,} |" for k, v in counts.items()]
    out.append("\n| measured | median ms | p95 ms | queries |\n|---|---:|---:|---:|")
    out += rows
    out.append(
        f"\nAgeing total (ORM) = hand-written SQL = {total:,.2f}; statement collected "
        f"{st.collected:,.2f}, commission {st.commission:,.2f}."
    )
    print("\n".join(out))


if __name__ == "__main__":
    main()
