"""Benchmark: the home dashboard ("my day") of a branch manager at 1,000,000 customers (PostgreSQL).

Run from the repository root::

    .venv/bin/python bench/home.py --rows 1000000 \\
        --database-url postgres://postgres@127.0.0.1:5432/kehu_bench_home

What it does:

1. Builds (or reuses) the customer data of ``bench/list_page.py`` in the named database (its
   generator: 193 departments in 5 levels, 300 employees, ``--rows`` customers; the name must
   contain ``bench``), then adds its own: ``--activities`` activities per customer on average
   spread over the past year and the next three months (most past ones done, 2 % left planned,
   i.e. overdue; 5 % with a promise), open care tasks for 1 % of the customers and, for the
   manager, 200 audit entries (recent records). All server-side (``INSERT ... SELECT
   generate_series``), then ``VACUUM (ANALYZE)``. Reused on the next run when the counts match.
2. Rebuilds the team card's summary (``kehu.customers.teamfigures.refresh(full=True)``, timed).
3. Requests the home page and each of its cards (``/dashboard/<key>/``, what the page's HTMX
   loads) in-process with Django's test ``Client`` (``force_login``) as the branch manager of
   ``bench/list_page.py`` (subtree data scope on the region with the most customers) and as a
   salesperson (own records), ``--requests`` times each after ``--warmup``; reports median and
   p95 wall time and the SQL queries per request. "Page + cards" is the sum of the medians:
   the server time of everything the dashboard asks for.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = "1"

spec = importlib.util.spec_from_file_location("list_page", ROOT / "bench" / "list_page.py")
lp = importlib.util.module_from_spec(spec)
sys.modules["list_page"] = lp
spec.loader.exec_module(lp)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rows", type=int, default=1_000_000, help="customers")
    p.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/kehu_bench_home")
    p.add_argument("--activities", type=float, default=2.0, help="activities per customer")
    p.add_argument("--requests", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--regenerate", action="store_true")
    return p.parse_args()


ACTIVITY_INSERT = """
INSERT INTO customers_activity (
    created_at, updated_at, version, owner_id, department_id, kind, subject, description,
    customer_id, start_at, all_day, location, status, outcome, commitment, commitment_due,
    commitment_kept, commitment_reminded_for, reminder_minutes, remind_at, reminded_at,
    completed_at)
SELECT now(), now(), 1, c.owner_id, c.department_id,
       (ARRAY['call','visit','meeting','email','note','task'])[1 + (g %% 6)],
       '回访 ' || c.name, '', c.id, t.at, false, '', s.status, '',
       CASE WHEN s.promise THEN '按约定发送报价' ELSE '' END,
       CASE WHEN s.promise THEN (t.at + interval '1 day' * floor(random() * 30))::date END,
       false, NULL, NULL, NULL, NULL,
       CASE WHEN s.status = 'done' THEN t.at END
FROM generate_series(1, %(n)s) AS g
CROSS JOIN LATERAL (SELECT 1 + floor(random() * %(customers)s)::int AS cid, g AS gg) r
JOIN customers_customer c ON c.id = r.cid
CROSS JOIN LATERAL (SELECT now() - interval '365 days' * random()
                    + CASE WHEN random() < 0.2 THEN interval '455 days' * random()
                      ELSE interval '0' END AS at, r.gg) t
CROSS JOIN LATERAL (SELECT CASE WHEN t.at > now() OR random() < 0.02 THEN 'planned'
                           ELSE 'done' END AS status,
                           random() < 0.05 AS promise, t.gg) s
"""


def activity_columns(pg) -> set[str]:
    return {
        r[0]
        for r in pg.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'customers_activity'"
        ).fetchall()
    }


def generate(pg, args) -> dict:
    timings = {}
    n = int(args.rows * args.activities)
    t0 = time.perf_counter()
    with pg.transaction():
        for key, value in lp.GENERATOR_SESSION.items():
            pg.execute(f"SET LOCAL {key} = '{value}'")
        pg.execute("TRUNCATE customers_activity, customers_caretask RESTART IDENTITY CASCADE")
        indexes = pg.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = "
            "'customers_activity' AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conname = i.indexname)"
        ).fetchall()
        for name, _d in indexes:
            pg.execute(f'DROP INDEX "{name}"')
        pg.execute("SET CONSTRAINTS ALL IMMEDIATE")  # checked now: the indexes follow
        pg.execute(ACTIVITY_INSERT, {"n": n, "customers": args.rows})
        for _n, definition in indexes:
            pg.execute(definition)
    timings[f"{n:,} activities"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with pg.transaction():
        pg.execute(
            "INSERT INTO customers_caretask (created_at, updated_at, version, owner_id, "
            "department_id, customer_id, kind, title, due_on, status, note, occasion_key) "
            "SELECT now(), now(), 1, c.owner_id, c.department_id, c.id, 'birthday', "
            "c.name || ' 生日', current_date + (random() * 10)::int, 'open', '', '' "
            "FROM customers_customer c WHERE c.id % 100 = 7"
        )
    timings["care tasks"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for table in ("customers_activity", "customers_caretask"):
        pg.execute(f"VACUUM (ANALYZE) {table}")
    timings["VACUUM (ANALYZE)"] = time.perf_counter() - t0
    pg.execute(
        "INSERT INTO kehu_bench_meta VALUES ('home_version', %s), ('home_activities', %s) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        [VERSION, str(n)],
    )
    return timings


def home_data_current(pg, args) -> bool:
    meta = lp.meta_get(pg)
    n = int(args.rows * args.activities)
    return meta.get("home_version") == VERSION and meta.get("home_activities") == str(n)


def audit_for(user, customers: list) -> None:
    """Recent records for the user: 200 audited edits of customers in their scope."""
    from kehu.core.models import AuditLog

    AuditLog.objects.bulk_create(
        [
            AuditLog.build(c, AuditLog.Action.UPDATE, {"city": ["上海", "北京"]}, user=user)
            for c in customers
        ]
    )


def measure(client, path: str, args) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for _ in range(args.warmup):
        assert client.get(path).status_code == 200, path
    times, queries = [], []
    for _ in range(args.requests):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            r = client.get(path)
            times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (path, r.status_code)
        queries.append(len(ctx.captured_queries))
    times.sort()
    return {
        "path": path,
        "median": statistics.median(times),
        "p95": times[max(0, int(len(times) * 0.95) - 1)],
        "queries": max(queries),
    }


def main() -> None:
    args = parse_args()
    name = lp.database_name(args.database_url)
    if lp.ensure_database(args.database_url, name):
        lp.log(f"created database {name}")
    lp.setup_django(args.database_url)
    import psycopg
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    pg = psycopg.connect(lp.conninfo(args.database_url), autocommit=True)
    timings = {}
    if args.regenerate or not lp.data_is_current(pg, args.rows, args.seed):
        lp.log(f"generating {args.rows:,} customers (bench/list_page.py's generator)")
        timings |= lp.generate(pg, args.rows, args.seed)
    if args.regenerate or not home_data_current(pg, args):
        lp.log("generating activities and care tasks")
        timings |= generate(pg, args)
    if timings:
        lp.log("generated: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))

    from django.conf import settings
    from django.test import Client

    from kehu.core.registry import dashboard_cards
    from kehu.customers.models import Activity, Customer
    from kehu.system.models import User

    settings.ALLOWED_HOSTS = ["*"]
    manager = User.objects.get(username="bench_branch")
    seller_id = int(lp.meta_get(pg)["salesperson"])
    seller = User.objects.get(pk=seller_id)
    facts = {}
    for who, user in (("branch manager", manager), ("salesperson", seller)):
        facts[who] = {
            "customers in scope": Customer.objects.visible_to(user).count(),
            "activities in scope": Activity.objects.visible_to(user).count(),
        }
    from kehu.core.models import AuditLog

    if not AuditLog.objects.filter(user=manager).exists():
        audit_for(manager, list(Customer.objects.visible_to(manager).order_by("-pk")[:200]))
    # The team card reads a summary (kehu.customers.teamfigures): the generators write with
    # plain SQL (no audit trail), so rebuild it once, timed (what the hourly beat task costs).
    from kehu.customers.teamfigures import refresh

    t0 = time.perf_counter()
    refresh(full=True)
    rebuild = time.perf_counter() - t0
    lp.log(f"team figures rebuilt in {rebuild:.1f} s")
    results = []
    for who, user in (("branch manager", manager), ("salesperson", seller)):
        client = Client()
        client.force_login(user)
        session = client.session
        session["kehu_recent"] = [
            ["customers.customer", pk]
            for pk in Customer.objects.visible_to(user)
            .order_by("pk")
            .values_list("pk", flat=True)[:10]
        ]
        session.save()
        client.cookies["django_language"] = "zh-hans"
        rows = [measure(client, "/", args)]
        for card in dashboard_cards(user):
            if card.lazy:
                rows.append(measure(client, f"/dashboard/{card.key}/", args))
        results.append((who, user, rows))
        lp.log(f"{who}: done")

    out = [
        f"# Home dashboard at {args.rows:,} customers (PostgreSQL)",
        "",
        f"{args.requests} timed requests per line after {args.warmup} untimed ones.",
        "",
    ]
    out.append(f"Team figures (the team card's summary): full rebuild {rebuild:.1f} s.")
    out.append("")
    for who, fact in facts.items():
        out.append(
            f"- {who}: {fact['customers in scope']:,} customers and "
            f"{fact['activities in scope']:,} activities in scope"
        )
    for who, _user, rows in results:
        out += [
            "",
            f"## {who}",
            "",
            "| request | median ms | p95 ms | queries |",
            "| --- | ---: | ---: | ---: |",
        ]
        for r in rows:
            out.append(f"| `{r['path']}` | {r['median']:.1f} | {r['p95']:.1f} | {r['queries']} |")
        total = sum(r["median"] for r in rows)
        out.append(f"| page + cards | {total:.1f} | | {sum(r['queries'] for r in rows)} |")
    text = "\n".join(out)
    print(text)
    (ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "out" / "home.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
