"""Saved pivot reports (保存的报表): keep a report under a name, open it again, and have it
e-mailed as CSV every day, week or month.

A report is only the pivot page's query string (checked by :class:`PivotRequest` when saved
and again when run); opening or sending it runs :func:`run_pivot` *as its owner*, so a report
sent by e-mail holds exactly what the owner's page would show, never more. The owner is the
only recipient: a colleague with another scope gets their own report, not the owner's figures.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.core.errors import BadInput

from .models import SavedReport
from .pivot import PivotRequest, run_pivot

#: Parameters of the pivot page a report keeps (the drill-down filters ``f_*`` too).
KEPT = ("measure", "rows", "columns", "from", "to")
VIEW = "sales.view_salesorder"  # as the pivot page
MAX_WINDOW = 3660


def clean_report_query(query: str) -> str:
    """The pivot parameters of ``query`` only, checked: a bad one is a ``ValidationError``."""
    data = QueryDict(query.lstrip("?"))
    kept = QueryDict(mutable=True)
    for key in data:
        if key in KEPT or key.startswith("f_"):
            values = [v for v in data.getlist(key) if v.strip()]
            if values:
                kept.setlist(key, values)
    try:
        PivotRequest.from_query(kept)
    except BadInput as exc:
        raise ValidationError({"query": str(exc)}) from None
    return kept.urlencode()


def check_report(report: SavedReport, *, user) -> None:
    """A name, unique among the user's reports; a sane rolling window; a known schedule."""
    report.name = (report.name or "").strip()
    if not report.name:
        raise ValidationError({"name": _("Give the report a name.")})
    if len(report.name) > 100:
        raise ValidationError({"name": _("Keep the name under 100 characters.")})
    if report.window_days is not None and not 1 <= report.window_days <= MAX_WINDOW:
        raise ValidationError(
            {
                "window_days": _("The rolling period lies between 1 and %(n)s days.")
                % {"n": MAX_WINDOW}
            }
        )
    if report.schedule not in SavedReport.Schedule.values:
        raise ValidationError({"schedule": _("Choose how often to send it.")})
    if report.schedule and not user.email:
        raise ValidationError(
            {"schedule": _("Your profile has no e-mail address to send the report to.")}
        )
    clash = SavedReport.objects.filter(user=user, name=report.name).exclude(pk=report.pk)
    if clash.exists():
        raise ValidationError({"name": _("You already have a report with this name.")})


@transaction.atomic
def do_save_report(
    *,
    user,
    name: str,
    query: str,
    schedule: str = "",
    window_days: int | None = None,
    language: str = "zh-hans",
) -> SavedReport:
    """Keep the pivot page's current report under ``name`` for ``user``."""
    report = SavedReport(
        user=user,
        name=name,
        query=clean_report_query(query),
        schedule=schedule,
        window_days=window_days,
        language="en" if language.startswith("en") else "zh-hans",
    )
    check_report(report, user=user)
    report.save()
    return report


@transaction.atomic
def do_delete_report(*, report: SavedReport, user) -> None:
    if report.user_id != user.pk:
        raise PermissionDenied(_("Only the person who saved a report may delete it."))
    report.delete()


def report_request(report: SavedReport, today: datetime.date) -> PivotRequest:
    """The report's pivot, its period rolled to the last ``window_days`` up to ``today``."""
    query = PivotRequest.from_query(QueryDict(report.query))
    if report.window_days:
        query.date_from = today - datetime.timedelta(days=report.window_days - 1)
        query.date_to = today
    return query


def pivot_csv(pivot) -> str:
    """The pivot as CSV text (BOM first, for Excel), exactly the rows and columns shown."""
    from kehu.core.cells import plain

    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    head = [str(pivot.row_dim.label)]
    head += [label for _v, label in pivot.columns] if pivot.col_dim else []
    writer.writerow([plain(h) for h in [*head, _("Total")]])
    for row in pivot.table():
        cells = row["cells"] if pivot.col_dim else []
        numbers = [*cells, row["total"]]
        writer.writerow(
            [plain(row["label"]), *[_csv_number(v, pivot.measure.money) for v in numbers]]
        )
    return out.getvalue()


def _csv_number(value, money: bool) -> str:
    """Money with the system's amount decimals (SQLite sums come back as 300 or 350.00)."""
    if value is None:
        return ""
    if money:
        from kehu.sales.actions.orders import amount_places

        return f"{Decimal(value):.{amount_places()}f}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def is_due(report: SavedReport, now: datetime.datetime) -> bool:
    """Daily once a day; weekly on Mondays; monthly on the 1st — each at most once that day."""
    today = timezone.localdate(now)
    if not report.schedule:
        return False
    if report.last_sent_at and timezone.localdate(report.last_sent_at) >= today:
        return False
    if report.schedule == SavedReport.Schedule.WEEKLY:
        return today.weekday() == 0
    if report.schedule == SavedReport.Schedule.MONTHLY:
        return today.day == 1
    return True


def do_send_report(report: SavedReport, *, now: datetime.datetime | None = None) -> bool:
    """E-mail the report as CSV to its owner, in the owner's language; False when the owner
    can no longer open reports (left, or lost the permission) or has no address."""
    from django.core.mail import EmailMessage

    now = now or timezone.now()
    owner = report.user
    if not owner.is_active or not owner.email or not owner.has_perm(VIEW):
        return False
    with translation.override(report.language):
        pivot = run_pivot(owner, report_request(report, timezone.localdate(now)))
        body = _(
            "Your saved report “%(name)s” as of %(day)s is attached (what you may see, as on "
            "the Sales reports page)."
        ) % {"name": report.name, "day": timezone.localdate(now).isoformat()}
        mail = EmailMessage(
            subject=_("Report: %(name)s") % {"name": report.name}, body=body, to=[owner.email]
        )
        mail.attach(
            f"kehu-report-{timezone.localdate(now):%Y%m%d}.csv", pivot_csv(pivot), "text/csv"
        )
        mail.send()
    report.last_sent_at = now
    report.save(update_fields=["last_sent_at"])
    return True


def send_due_reports(*, now: datetime.datetime | None = None) -> int:
    """Send every report whose day it is (the hourly task); returns how many went out."""
    now = now or timezone.now()
    sent = 0
    for report in SavedReport.objects.exclude(schedule="").select_related("user"):
        if is_due(report, now) and do_send_report(report, now=now):
            sent += 1
    return sent
