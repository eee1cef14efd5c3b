"""Benchmark: merge with many related records and its undo; soft delete and purge in bulk.

Run from the repository root (SQLite in a fresh temporary data directory)::

    .venv/bin/python bench/recordops.py --contacts 2000 --customers 10000

or on PostgreSQL (an empty database whose name contains "bench"; it is migrated)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kehu_bench_recordops \\
        .venv/bin/python bench/recordops.py

Seeded data (``random.seed(42)``): three customers, each with ``--contacts`` contacts and ten
subsidiaries, merged into one (every contact and subsidiary moves, each move audited), then the
undo preview and the undo; and ``--customers`` customers with one contact each, deleted in one
``bulk_delete`` (soft, audited, contacts cascaded) and purged after the retention period.
Reports wall time and SQL query count per step.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=10000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if url and "bench" not in url.rsplit("/", 1)[-1]:
        sys.exit("the database name must contain 'bench'")
    os.environ.setdefault("KEHU_DATA_DIR", tempfile.mkdtemp(prefix="kehu-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    import django

    from kehu.core.startup import ensure_data_dir

    ensure_data_dir()  # the data directory and its secret key, as `kehu` makes them
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from kehu.core import records
    from kehu.core.actions import bulk_delete
    from kehu.core.audit import unaudited_write
    from kehu.core.context import acting_as
    from kehu.customers import actions
    from kehu.customers.models import Contact, Customer
    from kehu.system.actions import create_department, create_employee, ensure_default_roles

    random.seed(42)
    ensure_default_roles()
    dept = create_department(name="总部", code=f"B{random.randint(0, 10**6)}")
    admin = create_employee(
        username=f"bench{random.randint(0, 10**6)}",
        password="pw-Kehu-123",
        department=dept,
        roles=[],
        is_superuser=True,
    )
    results: list[tuple[str, float, int]] = []

    def step(name, fn):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            out = fn()
            elapsed = time.perf_counter() - start
        results.append((name, elapsed, len(ctx.captured_queries)))
        return out

    def customer(n, **kw):
        return Customer(
            number=f"BN{n:08d}",
            name=f"基准客户{n}",
            city=random.choice(["上海", "北京", "杭州"]),
            owner=admin,
            department=dept,
            **kw,
        )

    with acting_as(admin):
        trio = Customer.objects.bulk_create([customer(n) for n in range(3)])
        subs = [customer(100 + i, parent=trio[i % 3]) for i in range(30)]
        Customer.objects.bulk_create(subs)
        people = [
            Contact(
                customer=trio[i % 3],
                name=f"联系人{i}",
                mobile=f"139{random.randint(0, 10**8):08d}",
                owner=admin,
                department=dept,
            )
            for i in range(3 * args.contacts)
        ]
        Contact.objects.bulk_create(people, batch_size=2000)
        merge = step(
            f"merge 3 customers ({3 * args.contacts} contacts, 30 subsidiaries)",
            lambda: actions.merge_customers(
                survivor=trio[0], others=trio[1:], values={"city": trio[1].pk}, user=admin
            ),
        )
        moved = len(merge.moved)
        step("undo preview", lambda: actions.preview_undo(merge))
        step("undo", lambda: actions.undo_merge(merge=merge, user=admin))

        many = Customer.objects.bulk_create(
            [customer(10_000 + n) for n in range(args.customers)], batch_size=2000
        )
        Contact.objects.bulk_create(
            [Contact(customer=c, name=f"人{c.pk}", owner=admin, department=dept) for c in many],
            batch_size=2000,
        )
        ids = [c.pk for c in many]
        step(
            f"bulk soft delete {args.customers} customers (+{args.customers} contacts)",
            lambda: bulk_delete(Customer.objects.filter(pk__in=ids)),
        )
        old = timezone.now() - datetime.timedelta(days=40)
        with unaudited_write("bench set-up: deleted long ago"):
            Customer.all_objects.filter(pk__in=ids).update(deleted_at=old)
            Contact.all_objects.filter(customer_id__in=ids).update(deleted_at=old)
        step(
            f"purge {args.customers} customers after retention",
            lambda: records.purge_expired(model=Customer, retention_days=30),
        )
    vendor = connection.vendor
    print(f"\n### Record operations ({vendor}; {moved} related rows moved by the merge)\n")
    print("| step | wall time | SQL queries |\n| --- | ---: | ---: |")
    for name, elapsed, queries in results:
        print(f"| {name} | {elapsed:.2f} s | {queries} |")


if __name__ == "__main__":
    main()
