"""Periodic and background tasks of lifecycle and care: nightly stage recompute, a recompute
started from the lifecycle page (with progress), and the daily care-task generation."""

from __future__ import annotations

from celery import shared_task
from django.utils.translation import gettext as _

from kehu.core.models import BackgroundJob
from kehu.core.tasks import job_task


@shared_task(name="kehu.customers.recompute_lifecycle", ignore_result=True)
def recompute_lifecycle_task() -> dict[str, int]:
    from ..actions import recompute_lifecycle

    return recompute_lifecycle()


@shared_task(name="kehu.customers.generate_care_tasks", ignore_result=True)
def generate_care_tasks_task() -> dict[str, int]:
    from ..actions import generate_care_tasks

    return generate_care_tasks()


@job_task("kehu.customers.recompute_lifecycle_job")
def recompute_lifecycle_job(job: BackgroundJob) -> str:
    """The same recompute, started by a user, with progress on the job page."""
    from ..actions import recompute_lifecycle
    from ..models import Customer

    job.set_progress(0, Customer.objects.filter(lifecycle_overridden=False).count())
    moved = recompute_lifecycle(user=job.user, progress=job.set_progress)
    return _("%(count)s customers changed stage.") % {"count": sum(moved.values())}
