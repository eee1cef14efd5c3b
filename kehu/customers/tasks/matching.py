"""Duplicate scans: started from the review queue (a background job) or nightly by beat."""

from __future__ import annotations

from celery import shared_task
from django.utils.translation import gettext as _

from kehu.core.models import BackgroundJob
from kehu.core.tasks import job_task

from ..actions.matching import Kind, scan_duplicates


@job_task("kehu.customers.scan_duplicates")
def scan_duplicates_job(job: BackgroundJob) -> str:
    """Scan customers and contacts (``params["full"]``: everything, else what changed)."""
    full = bool(job.params.get("full"))
    found = 0
    for kind in (Kind.CUSTOMER, Kind.CONTACT):
        result = scan_duplicates(kind=kind, full=full, progress=job.set_progress)
        found += result["created"]
    return _("%(count)s new possible duplicates found.") % {"count": found}


@shared_task(name="kehu.customers.scan_duplicates_nightly", ignore_result=True)
def scan_duplicates_nightly() -> dict:
    """The periodic entry: records changed since the last scan (the first run scans all)."""
    return {kind: scan_duplicates(kind=kind) for kind in (Kind.CUSTOMER, Kind.CONTACT)}
