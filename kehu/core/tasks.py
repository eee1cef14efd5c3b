"""Background-task wrapper: tasks take a job ID, run as the user who started the job, report
progress on the job row, and never leave a job "running" after a failure."""

from __future__ import annotations

import datetime
import functools
import logging
import tempfile
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils import timezone
from django.utils.translation import gettext as _

from .context import acting_as
from .models import BackgroundJob

log = logging.getLogger(__name__)


def claim(job_id: int) -> bool:
    """Move a pending job to running; ``False`` when another delivery got there first.

    Tasks are acknowledged late (``CELERY_TASK_ACKS_LATE``), so the broker may hand the same task
    out twice. One conditional ``UPDATE … WHERE status = 'pending'`` decides which delivery runs
    the job: the database serialises the two updates and only one of them changes the row."""
    return bool(
        BackgroundJob.objects.filter(pk=job_id, status=BackgroundJob.Status.PENDING).update(
            status=BackgroundJob.Status.RUNNING, started_at=timezone.now()
        )
    )


def job_task(name: str):
    """Turn ``fn(job)`` into a Celery task that takes the job's ID."""

    def decorator(fn):
        @shared_task(name=name, ignore_result=True)
        @functools.wraps(fn)
        def run(job_id: int) -> None:
            if not claim(job_id):
                log.info("job %s: already claimed or gone, delivery skipped", job_id)
                return
            job = BackgroundJob.objects.select_related("user").get(pk=job_id)
            with acting_as(job.user, request_id=f"job-{job.pk}"):
                try:
                    message = fn(job) or ""
                except Exception as exc:
                    log.exception("job %s failed", job.pk)
                    BackgroundJob.objects.filter(pk=job.pk).update(
                        status=BackgroundJob.Status.FAILED,
                        message=str(exc)[:2000],
                        finished_at=timezone.now(),
                    )
                    return
            BackgroundJob.objects.filter(pk=job.pk).update(
                status=BackgroundJob.Status.SUCCEEDED, message=message, finished_at=timezone.now()
            )

        return run

    return decorator


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


@job_task("kehu.core.import")
def import_job(job: BackgroundJob) -> str:
    """Run an import as the user who started it; progress counts rows read."""
    from .imports import allowed, get_importer, read_rows, run_import, summary
    from .models import ImportRun

    run = ImportRun.objects.select_related("user").get(pk=job.params["run"])
    try:
        if run.user_id != job.user_id or not allowed(get_importer(run.object_type), job.user):
            raise PermissionError(_("You may not import data."))
        _headers, rows = read_rows(run)
        job.set_progress(0, sum(1 for _row in rows))
        run = run_import(run, progress=lambda n, _total=None: job.set_progress(n))
    except Exception as exc:
        # a file the job cannot read (too many rows, bad bytes) says why in the user's language
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRun.Status.FAILED, message=message[:2000], finished_at=timezone.now()
        )
        if isinstance(exc, ValidationError):
            raise RuntimeError(message) from exc  # the job's message: the same words
        raise
    job.set_progress(run.total_rows)
    return summary(run)
