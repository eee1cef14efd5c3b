"""Benchmark: lifecycle recompute, care-task generation and a handover at 100,000 customers.

Run from the repository root (SQLite in a temporary data directory by default)::

    .venv/bin/python bench/lifecycle.py --customers 100000
    .venv/bin/python bench/lifecycle.py --customers 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/kehu_bench_lifecycle

The PostgreSQL database must be named ``*bench*``; it is dropped and created again.

Data (seeded, reproducible): 1 department tree, 50 salespeople; ``--customers`` customers through
``bulk_create_audited`` (one creation audit row each, as the demo and imports write them) with a
status drawn from (""×6, active×2, dormant, lost) and a registration date up to 4 years back; one
contact for every other customer, half of them with a birthday (uniform over the year).

Measured (wall time, SQL queries, peak RSS of the process):

1. the first full recompute (most customers change stage: bulk update + audit + history rows),
2. a second full recompute (nothing changes: the nightly steady state),
3. ``generate_care_tasks`` for today (window: ``care_reminder_days`` = 3),
4. a handover of the largest book to three colleagues (round robin, customers + contacts).
"""

from __future__ import annotations

import argparse
import atexit
import datetime
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261123


def setup_django(url: str | None) -> None:
    data_dir = tempfile.mkdtemp(prefix="kehu-bench-lifecycle-")
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    os.environ["KEHU_DATA_DIR"] = data_dir
    if url:
        os.environ["DATABASE_URL"] = url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    for var in ("KEHU_DEBUG", "KEHU_TESTING", "KEHU_PRODUCTION", "REDIS_URL"):
        os.environ.pop(var, None)
    sys.path.insert(0, str(ROOT))
    if url:
        import psycopg

        name = url.rsplit("/", 1)[1]
        if "bench" not in name:
            raise SystemExit("the database name must contain 'bench'")
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    import django

    from kehu.core.startup import ensure_data_dir

    ensure_data_dir()  # the data directory and its secret key, as `kehu` makes them
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(label: str, fn) -> dict:
    from django.db import connection, reset_queries

    connection.force_debug_cursor = True
    reset_queries()
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    queries = len(connection.queries)
    connection.force_debug_cursor = False
    reset_queries()
    row = {"step": label, "seconds": elapsed, "queries": queries, "rss": rss_mb(), "result": result}
    print(f"{label}: {elapsed:.1f} s, {queries} queries, peak RSS {row['rss']:.0f} MB, {result}")
    return row


def generate(n: int) -> list:
    from kehu.core.actions import bulk_create_audited
    from kehu.customers.models import Contact, Customer
    from kehu.system.actions import create_department, create_employee, ensure_default_roles

    rng = random.Random(SEED)
    roles = ensure_default_roles()
    hq = create_department(name="总部", code="HQ")
    team = create_department(name="销售部", code="S", parent=hq)
    people = [
        create_employee(
            username=f"s{i:02d}", password=None, department=team, roles=[roles["salesperson"]]
        )
        for i in range(50)
    ]
    today = datetime.date.today()
    statuses = [""] * 6 + ["active", "active", "dormant", "lost"]
    batch = 5000
    for start in range(0, n, batch):
        objs = []
        for i in range(start, min(n, start + batch)):
            owner = people[min(int(rng.paretovariate(1.2)) - 1, 49)]
            objs.append(
                Customer(
                    number=f"B{i:08d}",
                    name=f"基准客户{i}",
                    owner=owner,
                    department=team,
                    status=rng.choice(statuses),
                    registered_on=today - datetime.timedelta(days=rng.randint(0, 1460)),
                )
            )
        created = bulk_create_audited(Customer, objs)
        contacts = [
            Contact(
                customer=c,
                name=f"联系人{c.number}",
                owner_id=c.owner_id,
                department=team,
                birthday=datetime.date(1970 + rng.randint(0, 30), 1, 1)
                + datetime.timedelta(days=rng.randint(0, 364))
                if rng.random() < 0.5
                else None,
            )
            for c in created[::2]
        ]
        Contact.objects.bulk_create(contacts, batch_size=2000)
    return people


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.db import connection
    from django.db.models import Count

    from kehu.customers import actions
    from kehu.customers.models import Customer
    from kehu.system.actions import hand_over

    print(f"database: {connection.vendor}, customers: {args.customers}")
    start = time.perf_counter()
    people = generate(args.customers)
    print(f"generated in {time.perf_counter() - start:.0f} s (peak RSS {rss_mb():.0f} MB)")
    measure("first recompute", lambda: actions.recompute_lifecycle())
    measure("second recompute (no change)", lambda: actions.recompute_lifecycle())
    measure("care tasks for today", lambda: actions.generate_care_tasks())
    biggest = (
        Customer.objects.values("owner").annotate(n=Count("id")).order_by("-n").first()["owner"]
    )
    leaver = next(p for p in people if p.pk == biggest)
    heirs = [p for p in people if p.pk != biggest][:3]
    measure(
        f"handover of {Customer.objects.filter(owner=leaver).count()} customers to 3",
        lambda: {
            k: sum(v.values()) for k, v in hand_over(employee=leaver, colleagues=heirs).items()
        },
    )
    stages = dict(
        Customer.objects.values("lifecycle_stage")
        .annotate(n=Count("id"))
        .values_list("lifecycle_stage", "n")
    )
    print(f"stages: {stages}")


if __name__ == "__main__":
    main()
