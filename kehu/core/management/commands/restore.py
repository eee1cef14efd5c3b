"""``kehu restore ARCHIVE``: put a ``kehu backup`` archive back (database and attachments)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kehu.core.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a kehu backup archive. Stop the web server and worker first. A database that "
        "already holds data is replaced only with --force, after a safety backup of it."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="a kehu-backup-*.tar.gz file")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that already holds data (a safety backup is made first)",
        )

    def handle(self, *args, **opts):
        try:
            result = restore_backup(opts["archive"], force=opts["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result["manifest"]
        if result["safety_backup"]:
            self.stdout.write(f"The replaced data was saved first to {result['safety_backup']}")
        if result["migrated"]:
            self.stdout.write(f"Applied {len(result['migrated'])} newer migrations.")
        for label, c in result["counts"].items():
            if c["expected"] or c["actual"]:
                mark = "" if c["expected"] == c["actual"] else "  <-- differs"
                self.stdout.write(f"  {label:<40} {c['actual']!s:>10}{mark}")
        self.stdout.write(f"  {'attachment files':<40} {result['media_files']:>10}")
        if result["mismatches"]:
            raise CommandError(
                "Restored, but these record counts differ from the backup's manifest: "
                + ", ".join(
                    f"{label} {result['counts'][label]['actual']} "
                    f"(expected {result['counts'][label]['expected']})"
                    for label in result["mismatches"]
                )
            )
        total = sum(c["expected"] for c in result["counts"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {result['archive']} (made {manifest['created_at']} by Kehu "
                f"{manifest['kehu_version']}): all {total} records and {result['media_files']} "
                "attachment files are back."
            )
        )
