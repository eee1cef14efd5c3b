"""Core's Celery tasks: the export job, the stale-job sweep and the recycle-bin purge.

The job wrapper (``job_task``: tasks take a job ID, run as the user who started the job, report
progress on the job row, and never leave a job "running" after a failure) and ``claim`` live in
:mod:`kehu.core.jobs`, the import job beside the import framework (:mod:`kehu.core.imports`);
this module imports both so the worker registers every core task and the old names still work."""

from __future__ import annotations

import datetime
import logging
import tempfile
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.core.files import File
from django.utils import timezone
from django.utils.translation import gettext as _

from .imports import import_job  # noqa: F401  (the worker registers core's tasks from here)
from .jobs import claim, job_task  # noqa: F401  (moved to core.jobs; the names stay)
from .models import BackgroundJob

log = logging.getLogger(__name__)


@job_task("kehu.core.export")
def export_job(job: BackgroundJob) -> str:
    """Export a filtered list as the job's user sees it (their data permissions apply)."""
    from .export import export_to_file
    from .registry import get_object_type

    params = job.params
    ot = get_object_type(params["object_type"])
    fmt = params["format"]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"{ot.name}-{stamp}.{fmt}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        n = export_to_file(
            user=job.user,
            object_type=ot,
            fmt=fmt,
            path=path,
            filters=params.get("filters", {}),
            sort=params.get("sort") or "",
            progress=job.set_progress,
        )
        with path.open("rb") as fh:
            job.result_file.save(name, File(fh), save=False)
    job.result_name = name
    job.progress = n
    job.save(update_fields=["result_file", "result_name", "progress"])
    return _("%(count)s rows exported.") % {"count": f"{n:,}"}


@shared_task(name="kehu.core.fail_stale_jobs", ignore_result=True)
def fail_stale_jobs() -> int:
    """Hourly: a job still running ``KEHU_JOB_STALE_HOURS`` after it started lost its worker (a
    crash; the broker's redelivery finds the job claimed and does nothing). Mark it failed so
    nobody waits on it forever; the user can start it again."""
    now = timezone.now()
    cutoff = now - datetime.timedelta(hours=settings.KEHU_JOB_STALE_HOURS)
    stale = BackgroundJob.objects.filter(status=BackgroundJob.Status.RUNNING, started_at__lt=cutoff)
    n = stale.update(
        status=BackgroundJob.Status.FAILED,
        message=_("The job stopped before it finished (its worker ended). Please start it again."),
        finished_at=now,
    )
    if n:
        log.warning("%s stale jobs marked failed", n)
    return n


@shared_task(name="kehu.purge_recycle_bin", ignore_result=True)
def purge_recycle_bin() -> dict[str, list[int]]:
    """Daily: hard-delete soft-deleted records older than the retention period (audited)."""
    from .providers import get_params
    from .records import is_soft_deletable, purge_expired
    from .registry import registry

    days = get_params().recycle_retention_days
    result = {}
    for label, ot in sorted(registry.items()):
        if is_soft_deletable(ot.model):
            purged, skipped = purge_expired(model=ot.model, retention_days=days)
            result[label] = [purged, skipped]
            if purged or skipped:
                log.info("purge %s: %s purged, %s skipped", label, purged, skipped)
    return result
