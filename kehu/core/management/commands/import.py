"""``kehu import``: a CSV/XLSX/vCard file into customers or contacts, as one user — the same
engine as the import page (validation, duplicate check, per-row error report, audit)."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from kehu.core import imports
from kehu.core.context import acting_as
from kehu.core.models import ImportRun

from ._objects import find_user, object_type_named


class Command(BaseCommand):
    help = (
        "Import a file as USER (their permissions apply; every record is audited under one batch). "
        "Columns are matched by their headings; --map HEADING=field overrides one. A bad row is "
        "reported and never stops the good rows. Exit status 1 when some rows were refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("object_type", help="customers or contacts")
        parser.add_argument("file", type=Path, help=".csv, .xlsx or .vcf")
        parser.add_argument("--user", required=True, help="username whose permissions apply")
        parser.add_argument(
            "--mode",
            default="skip",
            choices=ImportRun.Mode.values,
            help="existing records: skip (default), update, or create new ones anyway",
        )
        parser.add_argument("--encoding", default="", help="CSV encoding (default: detected)")
        parser.add_argument(
            "--map", action="append", default=[], metavar="HEADING=FIELD", help="column mapping"
        )
        parser.add_argument("--dry-run", action="store_true", help="check the rows, write nothing")
        parser.add_argument("--errors", type=Path, help="where to write the error report")
        parser.add_argument("--language", default="zh-hans", help="messages: zh-hans, en")

    def handle(self, *args, **opts):
        ot = object_type_named(opts["object_type"])
        if ot.label not in imports.importers:
            names = ", ".join(sorted(label.split(".")[-1] for label in imports.importers))
            raise CommandError(f"{ot.plural_name} cannot be imported; importable: {names}.")
        user = find_user(opts["user"])
        importer = imports.get_importer(ot.label)
        if not imports.allowed(importer, user):
            raise CommandError(f"{user.username} may not import {ot.plural_name}.")
        path: Path = opts["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        with translation.override(opts["language"]), acting_as(user, request_id="cli-import"):
            try:
                run = self.prepare(importer, user, path, opts)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            if opts["dry_run"]:
                outcome = imports.execute(run, dry_run=True)
                self.report(outcome.counts, outcome.total, dry_run=True)
                for row in outcome.problems[:50]:
                    self.stdout.write(f"  row {row.number}: {'; '.join(row.errors)}")
                return
            state = {"shown": 0}

            def progress(n: int, _total=None) -> None:
                if n - state["shown"] >= 10_000:
                    state["shown"] = n
                    self.stderr.write(f"  {n:,} rows read")

            run = imports.run_import(run, progress=progress)
            self.report(
                {
                    "created": run.created,
                    "updated": run.updated,
                    "skipped": run.skipped,
                    "duplicate": run.duplicates,
                    "error": run.errors,
                },
                run.total_rows,
                dry_run=False,
            )
            self.stdout.write(f"  audit batch {run.batch}")
            if run.error_file:
                target = opts["errors"] or path.with_name(run.error_name)
                with run.error_file.open("rb") as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
                self.stdout.write(f"  error report: {target}")
            if run.errors or run.duplicates:
                raise SystemExit(1)

    def prepare(self, importer, user, path: Path, opts) -> ImportRun:
        with path.open("rb") as fh:
            run = imports.create_run(
                user=user,
                label=importer.label,
                upload=File(fh, name=path.name),
                encoding=opts["encoding"],
                mode=opts["mode"],
            )
        mapping = list(run.mapping)
        fields = {f.name for f in importer.all_fields()}
        for item in opts["map"]:
            heading, sep, field = item.partition("=")
            if not sep or heading not in run.headers:
                raise CommandError(f"--map {item!r}: no column headed {heading!r} in the file")
            if field and field not in fields:
                raise CommandError(
                    f"--map {item!r}: unknown field; one of {', '.join(sorted(fields))}"
                )
            mapping[run.headers.index(heading)] = field
        run = imports.set_mapping(run=run, mapping=mapping, mode=opts["mode"])
        for heading, field in zip(run.headers, run.mapping, strict=False):
            self.stdout.write(f"  {heading} → {field or '(not imported)'}")
        return run

    def report(self, counts: dict[str, int], total: int, *, dry_run: bool) -> None:
        what = "would be" if dry_run else "were"
        parts = [f"{counts.get(k, 0):,} {k}" for k in ("created", "updated", "skipped")]
        self.stdout.write(
            self.style.SUCCESS(f"{total:,} rows read: {', '.join(parts)} {what} written")
            + f"; {counts.get('duplicate', 0):,} duplicates in the file, "
            f"{counts.get('error', 0):,} rows with errors"
        )
