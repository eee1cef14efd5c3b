"""``kehu mail-gateway --port 2525``: the SMTP server the mail server relays the service mailbox
to (see docs/guide/service-email.md); runs until stopped (Ctrl-C, SIGTERM)."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Run the SMTP mail gateway: every message it receives opens a service request or is "
        "added to one (by In-Reply-To/References). Listens on loopback unless told otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=2525, help="port (default 2525)")

    def handle(self, *args, **opts):
        from kehu.service.gateway import start_gateway

        if not 0 < opts["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535")
        try:
            controller = start_gateway(host=opts["host"], port=opts["port"])
        except (OSError, RuntimeError) as exc:
            raise CommandError(f"cannot listen on {opts['host']}:{opts['port']}: {exc}") from exc
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_args: stop.set())
        self.stdout.write(f"Kehu mail gateway listening on {opts['host']}:{opts['port']}")
        self.stdout.flush()
        try:
            while not stop.wait(1):
                pass
        finally:
            controller.stop()
        self.stdout.write("Kehu mail gateway stopped")
