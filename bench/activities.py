"""Benchmark: activities at demo scale — generation, the 360° timeline, the calendar, the .ics
feed, the activity list and the reminder job.

Run from the repository root (SQLite in a fresh temporary data directory)::

    .venv/bin/python bench/activities.py --customers 20000

or on PostgreSQL (the database name must contain ``bench``; it is dropped and recreated)::

    .venv/bin/python bench/activities.py --customers 20000 \\
        --database-url postgres://postgres@127.0.0.1:5432/kehu_bench_activities

What it does: migrates, runs the demo generators (org chart, products, ``--customers`` customers
with contacts, then about four activities per customer over a year) with a fixed seed and reports
the activity generator's rate; then requests pages in-process with Django's test ``Client``
(``force_login``) ``--repeat`` times each and reports median and p95 wall time and the number of
SQL queries: the customer page and its timeline (first page and ``--deep`` pages deep through
the "load more" cursors) for the customer with the most activities, the month calendar of a
salesperson (own activities) and of the administrator (everyone's, capped at 1,500), the
salesperson's subscription feed, and the activity list; finally the reminder job with
``--due`` reminders due at once. Markdown on stdout.
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


def setup(database_url: str | None) -> None:
    data_dir = tempfile.mkdtemp(prefix="kehu-bench-activities-")
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    os.environ["KEHU_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    for var in ("KEHU_DEBUG", "KEHU_TESTING", "KEHU_PRODUCTION", "REDIS_URL", "DATABASE_URL"):
        os.environ.pop(var, None)
    if database_url:
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

    ensure_data_dir()  # the data directory and its secret key, as `kehu` makes them
    django.setup()
    import logging

    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115


def measure(client, url: str, repeat: int, **params) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], 0
    client.get(url, params)  # warm caches (permissions, templates)
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            response = client.get(url, params, HTTP_HOST="localhost")
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            times.append(time.perf_counter() - t)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(ctx.captured_queries)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times) * 1000, p95 * 1000, queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--employees", type=int, default=250)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--deep", type=int, default=10)
    parser.add_argument("--due", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    setup(args.database_url)

    import datetime
    import re

    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from kehu.core.demo import GENERATORS, DemoContext, run_generators
    from kehu.customers import actions
    from kehu.customers.models import Activity, Customer
    from kehu.system.models import User

    call_command("migrate", verbosity=0)
    timings: dict[str, float] = {}
    from kehu.core.registry import import_app_modules

    import_app_modules("demo")
    for i, (order, name, fn) in enumerate(GENERATORS):

        def timed(ctx, fn=fn, name=name):
            t = time.perf_counter()
            fn(ctx)
            timings[name] = time.perf_counter() - t

        GENERATORS[i] = (order, name, timed)
    ctx = DemoContext(
        seed=args.seed, customers=args.customers, employees=args.employees, out=lambda s: None
    )
    run_generators(ctx)
    n_activities = Activity.objects.count()
    n_links = Activity.contacts.through.objects.count()

    print(f"## Activities at {args.customers:,} customers ({connection.vendor})\n")
    print(
        f"Generator: {n_activities:,} activities ({n_links:,} contact links, one audit row "
        f"each) in {timings['activities']:.1f} s = "
        f"{n_activities / timings['activities']:,.0f} activities/s\n"
    )

    admin = User.objects.get(username="admin")
    top_owner_id = (
        Activity.objects.values("owner_id").annotate(n=Count("id")).order_by("-n")[0]["owner_id"]
    )
    seller = User.objects.get(pk=top_owner_id)
    busiest = Activity.objects.values("customer_id").annotate(n=Count("id")).order_by("-n")[0]
    customer = Customer.objects.get(pk=busiest["customer_id"])
    # a long history for the timeline: 2,000 more activities on the busiest customer
    from kehu.core.actions import bulk_create_audited
    from kehu.core.audit import unaudited_write

    now = timezone.now()
    bulk_create_audited(
        Activity,
        [
            Activity(
                customer=customer,
                owner_id=customer.owner_id,
                department_id=customer.department_id,
                kind="call",
                subject=f"电话回访 {i}",
                start_at=now - datetime.timedelta(hours=4 * i + 1),
                status="done",
            )
            for i in range(2000)
        ],
    )
    timeline_rows = Activity.objects.filter(customer=customer).count()

    rows = []

    def row(label, who, url, **params):
        client = Client()
        client.force_login(who)
        median, p95, queries = measure(client, url, args.repeat, **params)
        rows.append((label, median, p95, queries))
        return client

    row("customer page (360°)", admin, customer.get_absolute_url())
    timeline_url = reverse("customers:customer_timeline", args=[customer.pk])
    client = row("timeline, first page (20 entries)", admin, timeline_url)
    html = client.get(timeline_url).content.decode()
    cursor = None
    for _ in range(args.deep):
        match = re.search(r"cursor=([^&\"]+)", html)
        if not match:
            break
        from urllib.parse import unquote

        cursor = unquote(match.group(1))
        html = client.get(timeline_url, {"cursor": cursor}).content.decode()
    if cursor:
        row(f"timeline, page {args.deep + 1} (load more)", admin, timeline_url, cursor=cursor)
    row("calendar month, salesperson (own)", seller, reverse("customers:calendar"))
    row("calendar month, admin (everyone, ≤1,500)", admin, reverse("customers:calendar"), owner="")
    row(
        "calendar week, admin (everyone)",
        admin,
        reverse("customers:calendar"),
        owner="",
        view="week",
    )
    token = actions.create_calendar_feed(user=seller)
    row(
        "subscription feed (.ics), salesperson",
        seller,
        reverse("customers:activity_feed", args=[token]),
    )
    row("activity list, admin", admin, reverse("customers:activity_list"))
    row(
        "activity list, open commitments, admin",
        admin,
        reverse("customers:activity_list"),
        open_commitments="true",
    )
    row("API list, admin", admin, "/api/activities/")

    print(
        f"Timeline customer: {timeline_rows:,} activities; salesperson {seller.username}: "
        f"{Activity.objects.filter(owner=seller).count():,} activities. "
        f"{args.repeat} requests each, in-process test client.\n"
    )
    print("| request | median ms | p95 ms | SQL queries |")
    print("| --- | ---: | ---: | ---: |")
    for label, median, p95, queries in rows:
        print(f"| {label} | {median:.1f} | {p95:.1f} | {queries} |")

    # the reminder job: --due reminders due at once, then a run with nothing due
    due = list(
        Activity.objects.filter(status="planned")
        .order_by("pk")
        .values_list("pk", flat=True)[: args.due]
    )
    with unaudited_write("bench set-up"):
        Activity.objects.filter(pk__in=due).update(
            remind_at=now - datetime.timedelta(minutes=1), reminded_at=None
        )
        Activity.objects.exclude(pk__in=due).update(reminded_at=now)
    t = time.perf_counter()
    sent = actions.send_activity_reminders()
    first = time.perf_counter() - t
    t = time.perf_counter()
    again = actions.send_activity_reminders()
    idle = time.perf_counter() - t
    t = time.perf_counter()
    commitments = actions.notify_overdue_commitments()
    overdue = time.perf_counter() - t
    print(
        f"\nReminder job: {sent:,} reminders in {first:.2f} s "
        f"({sent / first if first else 0:,.0f}/s); the next run (nothing due) {idle * 1000:.1f} ms "
        f"and sends {again}; overdue commitments: {commitments:,} notices in {overdue:.2f} s."
    )


if __name__ == "__main__":
    main()
