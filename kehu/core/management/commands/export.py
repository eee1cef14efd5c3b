"""``kehu export``: a list (filtered as on its page) to CSV, XLSX or vCard, as one user sees it."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from kehu.core.context import acting_as
from kehu.core.export import TooManyRowsError, export_formats, export_to_file

from ._objects import find_user, object_type_named


class Command(BaseCommand):
    help = (
        "Export customers, contacts or any list as USER sees it (their data permissions and the "
        "export permission apply; the export is audited). Filters are the list page's query "
        "parameters: --filter q=华为 --filter city=上海."
    )

    def add_arguments(self, parser):
        parser.add_argument("object_type", help="customers, contacts, activities …")
        parser.add_argument("--user", required=True, help="username whose permissions apply")
        parser.add_argument("--format", default="csv", help="csv (default), xlsx, vcf …")
        parser.add_argument("--output", "-o", type=Path, help="file to write (default: ./NAME)")
        parser.add_argument(
            "--filter", action="append", default=[], metavar="KEY=VALUE", help="list filter"
        )
        parser.add_argument("--sort", default="", help="column to sort by, -column for reverse")
        parser.add_argument("--language", default="zh-hans", help="column headings: zh-hans, en")

    def handle(self, *args, **opts):
        ot = object_type_named(opts["object_type"])
        user = find_user(opts["user"])
        fmt = opts["format"].lower()
        if fmt not in ("csv", "xlsx") and fmt not in export_formats.get(ot.label, {}):
            extra = sorted(export_formats.get(ot.label, {}))
            raise CommandError(f"{ot.plural_name} export as: {', '.join(['csv', 'xlsx', *extra])}")
        filters = {}
        for item in opts["filter"]:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise CommandError(f"--filter takes KEY=VALUE, not {item!r}")
            filters[key] = value
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        path = opts["output"] or Path(f"{ot.name}-{stamp}.{fmt}")
        done = {"n": 0}

        def progress(n: int, total: int | None = None) -> None:
            if total is not None:
                done["total"] = total
            elif n - done["n"] >= 100_000:
                done["n"] = n
                self.stderr.write(f"  {n:,} / {done.get('total', 0):,} rows")

        with translation.override(opts["language"]), acting_as(user, request_id="cli-export"):
            try:
                n = export_to_file(
                    user=user,
                    object_type=ot,
                    fmt=fmt,
                    path=path,
                    filters=filters,
                    sort=opts["sort"],
                    progress=progress,
                )
            except (PermissionError, TooManyRowsError, ValueError) as exc:
                path.unlink(missing_ok=True)
                raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{n:,} {ot.plural_name} written to {path}"))
