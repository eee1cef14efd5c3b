"""``kehu demo``: fill the database with a deterministic, realistic Chinese company."""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from kehu.core.context import acting_as
from kehu.core.demo import DemoContext, run_generators


class Command(BaseCommand):
    help = "Load demo data (idempotent: an existing demo is left as it is)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=2000)
        parser.add_argument("--employees", type=int, default=250)
        parser.add_argument("--seed", type=int, default=20261123)

    def handle(self, *args, **opts):
        call_command("migrate", interactive=False, verbosity=0)
        start = time.monotonic()
        ctx = DemoContext(
            seed=opts["seed"],
            customers=opts["customers"],
            employees=opts["employees"],
            out=self.stdout.write,
        )
        with acting_as(None, request_id="demo"):
            run_generators(ctx)
        from kehu.core.providers import demo_password

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready in {time.monotonic() - start:.1f}s. "
                f"Log in as admin / {demo_password()} (also director, manager1 branch manager, lead11 sales manager, sales1 salesperson, service1)."
            )
        )
