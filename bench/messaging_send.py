"""Benchmark: send personalised e-mails through the outbound messaging layer to a local SMTP
sink (aiosmtpd on loopback) with 1 and with 2 Celery workers, on PostgreSQL + Redis.

Run from the repository root (the database name must contain ``bench``; it is dropped and
recreated)::

    .venv/bin/python bench/messaging_send.py --messages 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/kehu_bench_messaging \\
        --broker redis://127.0.0.1:6379/14

What it does: migrates, starts the SMTP sink in its own process (counts, keeps nothing), then for
each worker count (``--workers 1,2``) creates a message with a personalised subject, text and HTML
body (name, company, a tracked link, the unsubscribe link and headers), queues ``--messages``
recipients, starts that many ``kehu worker --concurrency 1`` processes on a private queue, and
times from the dispatch to the last delivery marked sent. Reports messages per second (wall) and
the scaling factor; checks the sink received exactly one message per recipient. Markdown on
stdout and in ``bench/out/messaging_send.md``.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]


def _write_count(path: str, n: int) -> None:
    """Replace the count file atomically (a reader never sees it empty)."""
    tmp = f"{path}.tmp"
    Path(tmp).write_text(str(n))
    os.replace(tmp, path)


def sink_main(port: int, count_file: str) -> None:
    """The SMTP sink process: accepts everything, writes the running count to ``count_file``."""
    from aiosmtpd.controller import Controller

    state = {"n": 0, "last": 0.0}

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            state["n"] += len(envelope.rcpt_tos)
            now = time.monotonic()
            if now - state["last"] > 0.2:
                state["last"] = now
                _write_count(count_file, state["n"])
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        while True:
            time.sleep(0.2)
            _write_count(count_file, state["n"])
    finally:
        controller.stop()


def setup(database_url: str, data_dir: str) -> None:
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
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def start_workers(n: int, env: dict, log_dir: Path) -> list[subprocess.Popen]:
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
                    env["KEHU_QUEUE"],
                    "--hostname",
                    f"w{i}-{env['KEHU_QUEUE']}@%h",
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=ROOT,
            )  # fmt: skip
        )
    deadline = time.monotonic() + 120
    for i in range(n):
        path = log_dir / f"worker-{n}-{i}.log"
        while b" ready." not in path.read_bytes():
            if time.monotonic() > deadline or procs[i].poll() is not None:
                sys.exit(f"worker {i} did not start:\n{path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)
    return procs


def stop_workers(procs) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def run(workers: int, args, env: dict, log_dir: Path, sink_count) -> dict:
    from django.db import connection

    from kehu.system.messaging import actions
    from kehu.system.messaging.models import Delivery, DeliveryStatus, Message
    from kehu.system.messaging.tasks import dispatch_message

    with connection.cursor() as cur:
        cur.execute("TRUNCATE system_delivery, system_message RESTART IDENTITY CASCADE")
    message = actions.create_message(
        material=f"bench.{workers}.{uuid.uuid4().hex[:6]}",
        subject="{{ name }}, your December offer",
        text=(
            "Dear {{ name }} of {{ company }},\n\nOur December offer: {{ offer }}.\n\n"
            "Unsubscribe: {{ unsubscribe_url }}\n"
        ),
        html=(
            "<p>Dear {{ name }} of {{ company }},</p><p>Our December offer: <b>{{ offer }}</b>."
            '</p><p><a href="https://shop.example.com/december">See the offer</a></p>'
            '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
        ),
        from_address="news@kehu.test",
        sender="Marketing",
    )
    t0 = time.monotonic()
    result = actions.queue_deliveries(
        message=message,
        recipients=(
            {
                "address": f"customer{i}@example{i % 97}.com",
                "context": {
                    "name": f"客户{i}",
                    "company": f"公司{i % 1000}",
                    "offer": f"{i % 30}% off",
                },
            }
            for i in range(args.messages)
        ),
    )
    queue_time = time.monotonic() - t0
    assert result.queued == args.messages, result
    before = sink_count()
    procs = start_workers(workers, env, log_dir)
    try:
        t0 = time.monotonic()
        dispatch_message.delay(message.pk)
        sent = 0
        while True:
            time.sleep(1)
            sent = Delivery.objects.filter(message=message, status=DeliveryStatus.SENT).count()
            if sent >= args.messages:
                break
            if time.monotonic() - t0 > args.timeout:
                break
            if any(p.poll() is not None for p in procs):
                sys.exit("a worker died")
        elapsed = time.monotonic() - t0
    finally:
        stop_workers(procs)
    time.sleep(0.5)
    received = sink_count() - before
    counts = actions.message_counts(message)
    Message.objects.filter(pk=message.pk).delete()
    return {
        "workers": workers,
        "messages": args.messages,
        "sent": sent,
        "received": received,
        "statuses": counts,
        "queue_seconds": round(queue_time, 2),
        "send_seconds": round(elapsed, 2),
        "per_second": round(sent / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/kehu_bench_messaging"
    )
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--timeout", type=int, default=3600)
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sink-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        return sink_main(args.sink, args.sink_file)

    data_dir = tempfile.mkdtemp(prefix="kehu-bench-messaging-")
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    setup(args.database_url, data_dir)
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    count_file = Path(data_dir) / "sink-count"
    count_file.write_text("0")
    sink = subprocess.Popen(
        [sys.executable, __file__, "--sink", str(port), "--sink-file", str(count_file)],
        start_new_session=True,
    )
    atexit.register(lambda: sink.poll() is None and os.killpg(sink.pid, signal.SIGTERM))
    time.sleep(2)

    def sink_count() -> int:
        time.sleep(0.5)
        return int(count_file.read_text())

    queue = f"kehu-bench-mail-{uuid.uuid4().hex[:8]}"
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="kehu.settings",
        CELERY_BROKER_URL=args.broker,
        KEHU_QUEUE=queue,
        KEHU_EMAIL_HOST="127.0.0.1",
        KEHU_EMAIL_PORT=str(port),
        KEHU_MESSAGING_BATCH_SIZE=str(args.batch_size),
        KEHU_SITE_URL="https://crm.example.com",
        PYTHONUNBUFFERED="1",
    )
    from django.conf import settings

    settings.CELERY_BROKER_URL = args.broker
    from kehu.celery import app

    app.conf.update(broker_url=args.broker, task_default_queue=queue, task_always_eager=False)
    with os.popen("cat /proc/loadavg") as f:
        load_start = f.read().split()[:3]
    results = [run(int(n), args, env, Path(data_dir), sink_count) for n in args.workers.split(",")]
    with os.popen("cat /proc/loadavg") as f:
        load_end = f.read().split()[:3]
    base = results[0]["per_second"]
    lines = [
        f"# Sending {args.messages:,} personalised e-mails (batch size {args.batch_size})",
        "",
        f"Load average at start {' '.join(load_start)}, at end {' '.join(load_end)}; "
        f"{os.cpu_count()} CPUs.",
        "",
        "| Workers | Queue (s) | Send (s) | Messages/s | Scaling | Sent | Received by the sink |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['workers']} | {r['queue_seconds']} | {r['send_seconds']} | {r['per_second']} | "
            f"{r['per_second'] / base:.2f}x | {r['sent']:,} | {r['received']:,} |"
        )
    report = "\n".join(lines)
    print(report)
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "messaging_send.md").write_text(report + "\n")
    (out / "messaging_send.json").write_text(json.dumps(results, indent=2))
    for r in results:
        if r["received"] != r["sent"]:
            print(f"WARNING: the sink received {r['received']} for {r['sent']} sent")


if __name__ == "__main__":
    main()
