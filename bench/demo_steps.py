"""Benchmark: ``kehu demo`` timed per generator, and how many demo records hold custom values.

Run from the repository root (a fresh SQLite database in a temporary data directory)::

    .venv/bin/python bench/demo_steps.py --customers 20000

It runs the same generators as ``kehu demo`` (same seed), each wrapped in a timer, and prints
the seconds per generator, the total, and the customers and contacts with custom values.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--customers", type=int, default=20000)
    p.add_argument("--seed", type=int, default=20261123)
    args = p.parse_args()
    os.environ["KEHU_DATA_DIR"] = tempfile.mkdtemp(prefix="kehu-bench-demo-")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    sys.path.insert(0, str(ROOT))
    import django

    from kehu.core.startup import ensure_data_dir

    ensure_data_dir()  # the data directory and its secret key, as `kehu` makes them
    django.setup()
    from django.core.management import call_command

    from kehu.core import demo
    from kehu.core.context import acting_as
    from kehu.core.registry import import_app_modules

    call_command("migrate", interactive=False, verbosity=0)
    import_app_modules("demo")
    times: dict[str, float] = {}

    def timed(name, fn):
        def run(ctx):
            t0 = time.perf_counter()
            fn(ctx)
            times[name] = time.perf_counter() - t0

        return run

    demo.GENERATORS[:] = [(o, n, timed(n, fn)) for o, n, fn in demo.GENERATORS]
    ctx = demo.DemoContext(
        seed=args.seed, customers=args.customers, employees=250, out=lambda s: None
    )
    t0 = time.perf_counter()
    with acting_as(None, request_id="demo"):
        demo.run_generators(ctx)
    total = time.perf_counter() - t0
    from kehu.customers.models import Contact, Customer

    for name, seconds in times.items():
        print(f"{name:45} {seconds:7.1f} s")
    print(f"{'total':45} {total:7.1f} s")
    print(
        f"customers {Customer.objects.count():,} (with custom values "
        f"{Customer.objects.exclude(custom={}).count():,}), contacts {Contact.objects.count():,} "
        f"(with custom values {Contact.objects.exclude(custom={}).count():,})"
    )
    print(f"data directory: {os.environ['KEHU_DATA_DIR']}")


if __name__ == "__main__":
    main()
