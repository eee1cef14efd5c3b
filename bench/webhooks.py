"""Benchmark: webhook deliveries per second to a receiver on loopback, with 1 and 2 workers.

Run from the repository root::

    .venv/bin/python bench/webhooks.py --deliveries 1000 --latency-ms 20 \\
        --database-url postgres://postgres@127.0.0.1:5432/kehu_bench_webhooks \\
        --broker redis://127.0.0.1:6379/14

What it does:

1. A fresh database (SQLite in a temporary data directory, or the PostgreSQL database of
   ``--database-url`` dropped and recreated; its name must contain ``bench``), migrated, with an
   administrator and one webhook endpoint pointing at a receiver this script runs on loopback
   (``http.server`` in threads; ``--latency-ms`` is how long it takes to answer, like a real
   receiver that does some work).
2. For 1 and then 2 worker processes (``kehu worker --concurrency 1`` each, on a queue of their
   own, ``KEHU_WEBHOOKS_ALLOW_PRIVATE=1`` so loopback is allowed): the workers are started and
   waited for, then ``--deliveries`` pending deliveries are created and their tasks sent, and the
   clock runs until every one is recorded as succeeded. Reports deliveries/s and the speed-up.

Each delivery does what production does: load the row, re-check the URL (DNS + address check),
sign, POST, record the answer.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(database_url: str, data_dir: str, broker: str) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ["KEHU_DATA_DIR"] = data_dir
    os.environ["CELERY_BROKER_URL"] = broker
    os.environ["KEHU_WEBHOOKS_ALLOW_PRIVATE"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    from kehu.core.startup import ensure_data_dir

    ensure_data_dir()
    import django

    django.setup()


def fresh_database(database_url: str) -> None:
    if not database_url:
        return
    from urllib.parse import urlsplit

    import psycopg

    name = urlsplit(database_url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit("the database name must contain 'bench' (it is dropped)")
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def start_workers(n: int, queue: str, log_dir: Path) -> list[subprocess.Popen]:
    procs = []
    for i in range(n):
        log = (log_dir / f"worker-{n}-{i}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "kehu.cli",
                    "worker",
                    "--concurrency",
                    "1",
                    "--queues",
                    queue,
                    "--hostname",
                    f"{queue}-{i}@%h",
                ],
                env=dict(os.environ, KEHU_QUEUE=queue, PYTHONUNBUFFERED="1"),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=ROOT,
            )
        )
    deadline = time.monotonic() + 90
    for i in range(n):
        path = log_dir / f"worker-{n}-{i}.log"
        while b" ready." not in path.read_bytes():
            if time.monotonic() > deadline:
                raise SystemExit(f"worker {i} did not start:\n{path.read_text()[-3000:]}")
            time.sleep(0.2)
    return procs


def stop(procs) -> None:
    import signal

    for p in procs:
        os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        p.wait(timeout=30)


def run(workers: int, deliveries: int, endpoint, log_dir: Path) -> float:
    from django.db import transaction

    from kehu.system.webhooks.delivery import deliver
    from kehu.system.webhooks.models import DeliveryStatus, WebhookDelivery

    queue = f"kehu-bench-webhooks-{uuid.uuid4().hex[:8]}"
    procs = start_workers(workers, queue, log_dir)
    try:
        with transaction.atomic():
            rows = WebhookDelivery.objects.bulk_create(
                WebhookDelivery(
                    endpoint=endpoint,
                    event="updated",
                    payload={
                        "event": "updated",
                        "object_type": "bench.row",
                        "id": i,
                        "object": f"row {i}",
                        "timestamp": "2026-12-03T08:00:00+08:00",
                        "changes": {"city": ["上海", "杭州"]},
                    },
                )
                for i in range(deliveries)
            )
        ids = [r.pk for r in rows]
        started = time.monotonic()
        for pk in ids:
            deliver.apply_async((pk,), queue=queue)
        done = WebhookDelivery.objects.filter(pk__in=ids, status=DeliveryStatus.SUCCEEDED)
        while done.count() < deliveries:
            time.sleep(0.05)
            if time.monotonic() - started > 900:
                raise SystemExit("deliveries did not finish in 15 minutes")
        elapsed = time.monotonic() - started
    finally:
        stop(procs)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="kehu-bench-webhooks-")
    fresh_database(args.database_url)
    setup_django(args.database_url, data_dir, args.broker)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from kehu.system.actions import create_employee, ensure_default_roles
    from kehu.system.tests.webhook_receiver import Receiver
    from kehu.system.webhooks.actions import save_endpoint
    from kehu.system.webhooks.models import WebhookEndpoint

    roles = ensure_default_roles()
    admin = create_employee(
        username="bench-admin",
        password="pw-Kehu-123",
        department=None,
        roles=[roles["administrator"]],
        is_superuser=True,
    )
    with Receiver(latency=args.latency_ms / 1000) as rx:
        endpoint = save_endpoint(
            endpoint=WebhookEndpoint(name="bench", url=rx.url, events=["updated"]), user=admin
        )
        db = "PostgreSQL" if args.database_url else "SQLite"
        print(
            f"{args.deliveries} deliveries, receiver latency {args.latency_ms:g} ms, {db}, "
            f"broker {args.broker.split(':')[0]}"
        )
        rates = {}
        for workers in (1, 2):
            elapsed = run(workers, args.deliveries, endpoint, Path(data_dir))
            rates[workers] = args.deliveries / elapsed
            print(f"  {workers} worker(s): {elapsed:6.2f} s  {rates[workers]:7.1f} deliveries/s")
        print(f"  speed-up 2 vs 1: {rates[2] / rates[1]:.2f}x   (receiver got {rx.count()})")


if __name__ == "__main__":
    main()
