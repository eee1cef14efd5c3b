"""Background jobs, the low part: record a job and enqueue its task (:func:`start_job`), claim a
delivery (:func:`claim`) and the task wrapper (:func:`job_task`).

Why a module of its own: actions, the import framework and the tasks all start or run jobs; kept
here, below all three, none of them has to import another to do it (it used to be a cycle:
actions -> tasks -> imports -> actions). ``kehu.core.actions.start_job`` and
``kehu.core.tasks.job_task`` / ``claim`` remain the names callers use.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from .context import acting_as
from .models import BackgroundJob

log = logging.getLogger("kehu.core.tasks")  # the logger the job messages always used


def start_job(*, user, kind: str, title: str, task, params: dict[str, Any]) -> BackgroundJob:
    """Record the job and enqueue its task once the surrounding transaction commits."""
    job = BackgroundJob.objects.create(user=user, kind=kind, title=title, params=params)
    transaction.on_commit(lambda: task.delay(job.pk))
    return job


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
