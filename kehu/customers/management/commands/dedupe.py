"""``kehu dedupe FILE``: likely duplicates in any CSV of people or companies; with ``--truth``
the matcher's precision, recall and F1 on labelled data. ``kehu dedupe --scan customers``
scans the CRM's own records (as the nightly job does)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kehu.customers import dedupe


class Command(BaseCommand):
    help = (
        "Find likely duplicates in a CSV of people or companies (columns recognised by common "
        "Chinese and English names; --map COLUMN=FIELD for others), or scan the CRM's "
        "customers or contacts (--scan)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", type=Path, help="CSV file (UTF-8)")
        parser.add_argument(
            "--id", dest="id_column", help="column of the record id (never compared)"
        )
        parser.add_argument("--truth", help="column of the true entity id: print P/R/F1")
        parser.add_argument(
            "--map", action="append", default=[], metavar="COLUMN=FIELD", help="map a column"
        )
        parser.add_argument("--ignore", action="append", default=[], metavar="COLUMN")
        parser.add_argument("--threshold", type=float, help="posterior probability (default 0.5)")
        parser.add_argument("--kind", choices=("individual", "company"), help="default: guessed")
        parser.add_argument("--json", action="store_true", help="pairs and clusters as JSON")
        parser.add_argument(
            "--scan", choices=("customers", "contacts"), help="scan the CRM's own records"
        )

    def handle(self, *args, **opts):
        if opts["scan"]:
            return self._scan(opts)
        if not opts["file"]:
            raise CommandError("give a CSV file, or --scan customers")
        mapping = {}
        for item in opts["map"]:
            column, sep, field = item.rpartition("=")
            if not sep or not column:
                raise CommandError(f"--map takes COLUMN=FIELD, not {item!r}")
            mapping[column] = field
        try:
            with opts["file"].open("rb") as fh:
                result = dedupe.run_file(
                    fh,
                    id_column=opts["id_column"],
                    truth=opts["truth"],
                    mapping=mapping,
                    ignore=opts["ignore"],
                    threshold=opts["threshold"],
                    kind=opts["kind"],
                )
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if opts["json"]:
            self.stdout.write(json.dumps(dedupe.as_json(result), ensure_ascii=False))
            return
        for line in dedupe.report_lines(result):
            self.stdout.write(line)
        for i, j, s in result.pairs[:50]:
            self.stdout.write(f"{result.ids[i]} ≈ {result.ids[j]}  {s.total:.3f}  {s.summary()}")

    def _scan(self, opts):
        from kehu.customers.actions.matching import scan_duplicates

        kind = "customer" if opts["scan"] == "customers" else "contact"
        result = scan_duplicates(kind=kind, full=True)
        if opts["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(", ".join(f"{k} {v:,}" for k, v in result.items()))
