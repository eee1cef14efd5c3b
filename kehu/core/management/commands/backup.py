"""``kehu backup``: one archive with the database, the attachments and a manifest."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kehu.core.backup import BackupError, make_backup


class Command(BaseCommand):
    help = (
        "Write kehu-backup-YYYYmmdd-HHMMSS.tar.gz (database, attachments, manifest) to "
        "KEHU_BACKUP_DIR or --dest. Safe while Kehu is running."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dest", type=Path, help="directory for the archive")

    def handle(self, *args, **opts):
        try:
            path, manifest = make_backup(opts["dest"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        counts: dict[str, int] = manifest["counts"]
        for label, n in sorted(counts.items()):
            if n:
                self.stdout.write(f"  {label:<40} {n:>10}")
        self.stdout.write(
            f"  {'attachment files':<40} {manifest['media_files']:>10}"
            f"  ({manifest['media_bytes'] / 2**20:.1f} MB)"
        )
        size = path.stat().st_size / 2**20
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written: {path} ({size:.1f} MB, {sum(counts.values())} records, "
                f"{manifest['engine']})"
            )
        )
        # The path alone on the last line, for scripts: ``kehu backup | tail -1``.
        self.stdout.write(str(path))
