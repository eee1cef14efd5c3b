"""``kehu worker``: a Celery worker for background jobs (any extra arguments go to Celery)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run a background worker (Celery)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--concurrency", type=int, default=int(os.environ.get("KEHU_WORKER_CONCURRENCY", "2"))
        )
        parser.add_argument("--hostname", default=None)
        parser.add_argument("--queues", default=None)
        parser.add_argument(
            "--beat",
            action="store_true",
            help="also run the scheduler of periodic tasks (run it on one worker only)",
        )

    def handle(self, *args, **opts):
        from kehu.celery import app

        argv = ["worker", "--loglevel", "INFO", "--concurrency", str(opts["concurrency"])]
        if settings.CELERY_BROKER_URL.startswith("sqla+"):
            # The SQLite broker polls; one process avoids write contention on the broker file.
            argv = ["worker", "--loglevel", "INFO", "--pool", "solo"]
        if opts["hostname"]:
            argv += ["--hostname", opts["hostname"]]
        if opts["beat"]:
            argv += ["--beat", "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME]
        if opts["queues"]:
            argv += ["--queues", opts["queues"]]
        app.worker_main(argv)
