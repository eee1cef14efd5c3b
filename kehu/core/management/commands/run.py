"""``kehu run``: the web server (gunicorn, several processes) and a background worker together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start Kehu: migrate, then run the web server and a background worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("KEHU_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KEHU_PORT", "8000")))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("KEHU_WEB_WORKERS", "2"))
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start a background worker"
        )
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args, **opts):
        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
            from kehu.core.providers import ensure_setup

            ensure_setup()
        # Hashed, compressed copies for WhiteNoise (long-lived caching), embedded installs too;
        # made again only when the files changed (it costs half a minute of both cores).
        from kehu.core.staticfiles import collect_static_if_changed

        collect_static_if_changed()
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "kehu.wsgi:application",
                    "--bind",
                    f"{opts['host']}:{opts['port']}",
                    "--workers",
                    str(opts["workers"]),
                    "--timeout",
                    "120",
                    "--access-logfile",
                    "-",
                ]
            )
        ]
        if not opts["no_worker"]:
            procs.append(subprocess.Popen([sys.executable, "-m", "kehu.cli", "worker", "--beat"]))
        self.stdout.write(
            f"Kehu is running at http://{opts['host']}:{opts['port']}/  (Ctrl+C stops it)"
        )

        def stop(*_args):
            for p in procs:
                if p.poll() is None:
                    p.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        finally:
            stop()
            for p in procs:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
        return None
