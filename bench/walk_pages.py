"""Server time of the pages of a user's walk (issue 16: none slower than 1 s at the demo size).

Run against a demo database (``manage.py demo --customers 20000`` in a private KEHU_DATA_DIR):

    KEHU_DATA_DIR=/tmp/demo .venv/bin/python bench/walk_pages.py --user admin --repeat 3

Each page is fetched with Django's test client as the user (one warm-up, then ``--repeat``
timed requests); prints the median and the slowest in milliseconds and the query count.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--user", default="admin")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from kehu.customers.models import Customer

    user = get_user_model().objects.get(username=args.user)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    customer = Customer.objects.visible_to(user).order_by("-pk").first()
    pages = [
        ("login", reverse("core:login"), False),
        ("home", "/", True),
        ("customer list", reverse("customers:customer_list"), True),
        ("customer page", customer.get_absolute_url(), True),
        ("leads", reverse("sales:lead_list"), True),
        ("opportunities", reverse("sales:opportunity_list"), True),
        ("kanban", reverse("sales:kanban"), True),
        ("quotes", reverse("sales:quote_list"), True),
        ("orders", reverse("sales:salesorder_list"), True),
        ("import page", reverse("core:import_start", args=["customers.customer"]), True),
        ("audit", reverse("core:audit_log"), True),
    ]
    anonymous = Client(HTTP_HOST="localhost")
    print("| page | status | median ms | max ms | queries |\n|---|---|---|---|---|")
    for name, url, logged_in in pages:
        c = client if logged_in else anonymous
        c.get(url)
        times = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as q:
                start = time.perf_counter()
                response = c.get(url)
                times.append((time.perf_counter() - start) * 1000)
        print(
            f"| {name} (`{url}`) | {response.status_code} | {statistics.median(times):.0f} "
            f"| {max(times):.0f} | {len(q)} |"
        )


if __name__ == "__main__":
    main()
