"""Benchmark: custom-field filters and list columns on the customer list and API.

Run from the repository root (SQLite in a temporary directory, or a PostgreSQL database whose name
contains ``bench``; it is created if missing and its customers are replaced)::

    .venv/bin/python bench/customfields.py --rows 100000
    .venv/bin/python bench/customfields.py --rows 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/kehu_bench_customfields

It defines four filterable custom fields on customers (choice and number shown as list columns,
plus a date and a text field), bulk-inserts ``--rows`` customers with seeded random values (about
80 % of the rows hold each value), then requests the list page and the API list as a superuser:
unfiltered, and filtered by each kind of custom field, ``--repeat`` times each. It prints the
median and p95 wall time and the SQL query count per request, and the same list page without
custom columns for comparison.
"""

from __future__ import annotations

import argparse
import atexit
import datetime
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
CHANNELS = [("wechat", "微信", "WeChat"), ("expo", "展会", "Trade show"), ("web", "官网", "Website"),
            ("referral", "转介绍", "Referral"), ("ads", "广告", "Advertising")]  # fmt: skip


def setup(url: str | None) -> None:
    data_dir = tempfile.mkdtemp(prefix="kehu-bench-cf-")
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    os.environ["KEHU_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    for var in ("KEHU_DEBUG", "KEHU_TESTING", "KEHU_PRODUCTION", "REDIS_URL", "DATABASE_URL"):
        os.environ.pop(var, None)
    if url:
        name = url.rsplit("/", 1)[1]
        if "bench" not in name:
            sys.exit("the database name must contain 'bench'")
        import psycopg

        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    import django

    from kehu.core.startup import ensure_data_dir

    ensure_data_dir()  # the data directory and its secret key, as `kehu` makes them
    django.setup()
    import logging

    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115


def generate(rows: int, seed: int):
    from django.core.management import call_command

    from kehu.customers.models import Contact, Customer
    from kehu.system.actions import create_department, create_employee, save_custom_field
    from kehu.system.models import CustomField, Department, User

    call_command("migrate", verbosity=0, interactive=False)
    Contact.objects.all().delete()
    Customer.objects.all().delete()
    CustomField.objects.all().delete()
    dept = Department.objects.filter(code="BENCH").first() or create_department(
        name="基准", code="BENCH"
    )
    user = User.objects.filter(username="bench").first() or create_employee(
        username="bench", password="pw-Kehu-123", department=dept, roles=[], is_superuser=True
    )
    specs = [
        ("channel", "客户来源渠道", "choice", True),
        ("budget", "年度预算", "number", True),
        ("first_visit", "首次拜访", "date", False),
        ("wechat_id", "微信号", "text", False),
    ]
    for code, label, kind, in_list in specs:
        save_custom_field(
            field=CustomField(
                object_type="customers.customer",
                code=code,
                label_zh=label,
                kind=kind,
                choices=[{"code": c, "label_zh": z, "label_en": e} for c, z, e in CHANNELS]
                if kind == "choice"
                else [],
                show_in_list=in_list,
                filterable=True,
            )
        )
    rng = random.Random(seed)
    start = datetime.date(2024, 1, 1)
    batch = []
    t0 = time.perf_counter()
    for i in range(rows):
        custom = {}
        if rng.random() < 0.8:
            custom["channel"] = rng.choice(CHANNELS)[0]
        if rng.random() < 0.8:
            custom["budget"] = rng.choice(
                [rng.randint(0, 10_000_000), round(rng.random() * 1e6, 2)]
            )
        if rng.random() < 0.8:
            custom["first_visit"] = (
                start + datetime.timedelta(days=rng.randint(0, 730))
            ).isoformat()
        if rng.random() < 0.8:
            custom["wechat_id"] = f"wx_{rng.randint(0, 10**8):08d}"
        batch.append(
            Customer(
                number=f"B{i:09d}",
                name=f"基准客户{i}",
                mnemonic=f"JZKH{i}",
                city="上海",
                owner=user,
                department=dept,
                custom=custom,
            )
        )
        if len(batch) == 5000:
            Customer.objects.bulk_create(batch)
            batch = []
    if batch:
        Customer.objects.bulk_create(batch)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE customers_customer")
    return user, time.perf_counter() - t0


def measure(client, url: str, repeat: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], 0
    client.get(url)  # warm
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - t0)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(ctx.captured_queries)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times) * 1000, p95 * 1000, queries


def sorts(client, repeat: int) -> None:
    """The first page sorted by each kind of custom field (list ``?sort=``, API ``?ordering=``),
    and by a standard column for comparison."""
    cases = [
        ("number ascending", "custom.budget"),
        ("number descending", "-custom.budget"),
        ("choice (by label)", "custom.channel"),
        ("date", "custom.first_visit"),
        ("text", "custom.wechat_id"),
        ("name (standard column)", "name"),
    ]
    print("| request | sort | median ms | p95 ms | queries |")
    print("| --- | --- | ---: | ---: | ---: |")
    for endpoint, param in (("/customers/customers/", "sort"), ("/api/customers/", "ordering")):
        for label, sort in cases:
            median, p95, queries = measure(client, f"{endpoint}?{param}={sort}", repeat)
            kind = "list page" if param == "sort" else "API list"
            print(f"| {kind} | {label} | {median:.0f} | {p95:.0f} | {queries} |", flush=True)
    print()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--only", choices=("filters", "sorts"), default=None, help="run one table only"
    )
    args = parser.parse_args()
    setup(args.database_url)
    from django.db import connection
    from django.test import Client

    user, gen_seconds = generate(args.rows, args.seed)
    client = Client()
    client.force_login(user)
    cases = [
        ("no filter", {}),
        ("choice = expo", {"custom__channel": "expo"}),
        ("number 100000..200000", {"custom__budget__gte": 100000, "custom__budget__lte": 200000}),
        (
            "date in March 2025",
            {"custom__first_visit__gte": "2025-03-01", "custom__first_visit__lte": "2025-03-31"},
        ),  # fmt: skip
        ("text contains 1234567", {"custom__wechat_id": "1234567"}),
    ]
    print(f"## Custom fields: {args.rows:,} customers on {connection.vendor}")
    print(f"\ngenerated in {gen_seconds:.1f} s (bulk insert, no audit)\n")
    if args.only != "filters":
        sorts(client, args.repeat)
    if args.only == "sorts":
        return
    print("| request | filter | median ms | p95 ms | queries |")
    print("| --- | --- | ---: | ---: | ---: |")
    for endpoint in ("/customers/customers/", "/api/customers/"):
        for label, params in cases:
            url = endpoint + ("?" + urlencode(params) if params else "")
            median, p95, queries = measure(client, url, args.repeat)
            kind = "list page" if endpoint.startswith("/customers") else "API list"
            print(f"| {kind} | {label} | {median:.0f} | {p95:.0f} | {queries} |")
    from kehu.system.actions import save_custom_field
    from kehu.system.models import CustomField

    for field in CustomField.objects.filter(show_in_list=True):
        field.show_in_list = False
        save_custom_field(field=field)
    median, p95, queries = measure(client, "/customers/customers/", args.repeat)
    print(f"| list page, no custom columns | no filter | {median:.0f} | {p95:.0f} | {queries} |")


if __name__ == "__main__":
    main()
