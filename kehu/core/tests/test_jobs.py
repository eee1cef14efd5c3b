"""A background job runs once: with ``acks_late`` a task can be delivered again (a worker lost
its connection, a visibility timeout ran out) while the first delivery still runs. The job is
claimed with a conditional update, so a second delivery does nothing."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from kehu.core.models import BackgroundJob
from kehu.core.tasks import job_task

runs: list[int] = []
lock = threading.Lock()
redeliver = {"now": False}


@job_task("kehu.tests.count_job")
def count_job(job: BackgroundJob) -> str:
    """Counts its runs; optionally receives the same task again while it runs."""
    with lock:
        runs.append(job.pk)
    if redeliver["now"]:
        redeliver["now"] = False
        count_job(job.pk)
    time.sleep(0.3)  # long enough for a concurrent delivery to overlap
    return "done"


@pytest.fixture(autouse=True)
def _reset():
    runs.clear()
    redeliver["now"] = False


def new_job(user) -> BackgroundJob:
    return BackgroundJob.objects.create(user=user, kind="test", title="count")


@pytest.mark.django_db
def test_a_task_delivered_twice_runs_its_job_once(make_user):
    job = new_job(make_user("salesperson"))
    redeliver["now"] = True  # the broker hands the task out again while it runs
    count_job(job.pk)
    count_job(job.pk)  # and once more after it finished
    assert runs == [job.pk]
    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.SUCCEEDED and job.message == "done"


@pytest.mark.django_db
def test_a_missing_job_is_skipped():
    count_job(10**9)
    assert runs == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivered_the_same_task_at_once_run_it_once(make_user):
    job = new_job(make_user("salesperson"))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker():
        try:
            start.wait()
            count_job(job.pk)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert runs == [job.pk]
    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.SUCCEEDED


@pytest.mark.django_db
def test_a_job_whose_worker_died_is_failed_not_left_running(make_user, settings):
    from datetime import timedelta

    from django.utils import timezone

    from kehu.core.tasks import fail_stale_jobs

    user = make_user("salesperson")
    now = timezone.now()
    hours = settings.KEHU_JOB_STALE_HOURS
    Status = BackgroundJob.Status
    lost = BackgroundJob.objects.create(
        user=user, kind="t", title="lost", status=Status.RUNNING,
        started_at=now - timedelta(hours=hours + 1),
    )  # fmt: skip
    busy = BackgroundJob.objects.create(
        user=user, kind="t", title="busy", status=Status.RUNNING,
        started_at=now - timedelta(hours=hours - 1),
    )  # fmt: skip
    waiting = BackgroundJob.objects.create(user=user, kind="t", title="waiting")
    assert fail_stale_jobs() == 1
    lost.refresh_from_db()
    assert lost.status == Status.FAILED and lost.finished_at and lost.message
    assert BackgroundJob.objects.get(pk=busy.pk).status == Status.RUNNING
    assert BackgroundJob.objects.get(pk=waiting.pk).status == Status.PENDING
    entry = settings.CELERY_BEAT_SCHEDULE["fail-stale-jobs"]
    assert entry["task"] == fail_stale_jobs.name
