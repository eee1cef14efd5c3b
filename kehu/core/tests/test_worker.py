"""Background jobs through a REAL Celery worker process over each supported broker.

The test process sends the task to the broker (nothing runs eagerly); a separate worker process
(``kehu worker``) picks it up and writes to the same test database, which the test then polls.
Every broker gets its own queue, so stale messages from other runs cannot interfere.
"""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery, _state
from django.db import connection, transaction

import kehu.core.tasks  # noqa: F401 - registers the shared tasks before a test app finalizes
from kehu.core.actions import start_export
from kehu.core.models import BackgroundJob
from kehu.core.registry import get_object_type
from kehu.customers.models import Customer
from kehu.customers.tests.factories import customer

pytestmark = [pytest.mark.worker, pytest.mark.services]

JOB_TIMEOUT = 60
BROKERS = ["redis", "rabbitmq", "sqlite"]


def test_database_url() -> str:
    """A DATABASE_URL for the database this test process really uses (the renamed test DB)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    if connection.vendor == "postgresql":
        auth = quote(s["USER"] or "", safe="")
        if s.get("PASSWORD"):
            auth += ":" + quote(s["PASSWORD"], safe="")
        host = s.get("HOST") or "127.0.0.1"
        port = s.get("PORT") or 5432
        return f"postgres://{auth}@{host}:{port}/{quote(s['NAME'], safe='')}"
    raise AssertionError(f"no worker test support for {connection.vendor}")


test_database_url.__test__ = False  # not a test, despite its name


class Worker:
    def __init__(self, broker_url: str, queue: str, log_path: Path, proc: subprocess.Popen):
        self.broker_url = broker_url
        self.queue = queue
        self.log_path = log_path
        self.proc = proc
        self.app: Celery | None = None

    def log(self, tail: int = 8000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError as exc:
            return f"(no worker log: {exc})"

    def stop(self) -> None:
        if self.proc.poll() is None:
            # The worker runs in its own process group: stop it and its pool children.
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


@pytest.fixture(scope="module", params=BROKERS)
def worker(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """A ``kehu worker`` process on its own queue, connected to the test database."""
    tmp = tmp_path_factory.mktemp(f"worker-{request.param}")
    if request.param == "redis":
        broker_url = request.getfixturevalue("redis_url")
    elif request.param == "rabbitmq":
        broker_url = request.getfixturevalue("rabbitmq_url")
    else:
        broker_url = f"sqla+sqlite:///{tmp / 'broker.sqlite3'}"
    with django_db_blocker.unblock():
        db_url = test_database_url()
    queue = f"kehu-test-{request.param}-{uuid.uuid4().hex[:10]}"
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="kehu.settings_test",
        KEHU_TASKS_EAGER="0",
        CELERY_BROKER_URL=broker_url,
        DATABASE_URL=db_url,
        PYTHONUNBUFFERED="1",
    )
    # os.environ carries the same KEHU_DATA_DIR (settings_test sets it; the media root for result
    # files) and KEHU_TEST_DB_NAME as this process.
    log_path = tmp / "worker.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kehu.cli",
                "worker",
                "--concurrency",
                "1",
                "--queues",
                queue,
                "--hostname",
                f"{queue}@%h",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    w = Worker(broker_url, queue, log_path, proc)
    # The test process's side: a Celery app like kehu's, but sending to this broker and queue.
    # (kombu keeps one connection pool per broker URL for the process, so the app lives as long
    # as the worker and its pool is not force-closed: later apps would get a closed pool.)
    w.app = Celery("kehu", set_as_current=False)
    w.app.config_from_object("django.conf:settings", namespace="CELERY")
    w.app.conf.update(broker_url=broker_url, task_always_eager=False, task_default_queue=queue)
    try:
        yield w
    finally:
        w.app.close()
        w.stop()
        if request.node.session.testsfailed:
            print(f"--- worker log ({request.param}) ---\n{w.log()}")
        if request.param != "sqlite":
            _delete_queue(broker_url, queue)


def _delete_queue(broker_url: str, queue: str) -> None:
    """Do not leave an empty test queue behind on a shared Redis or RabbitMQ."""
    app = Celery("kehu-test-cleanup", broker=broker_url, set_as_current=False)
    try:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
    except Exception as exc:  # noqa: BLE001 - cleanup only; the test result stands
        print(f"could not delete test queue {queue}: {exc}")
    finally:
        app.close()


@pytest.fixture
def broker_app(worker):
    """Make the test process send tasks to the worker's broker and queue instead of running them
    eagerly: the worker's producer app is current for this test only (shared tasks follow it)."""
    previous = getattr(_state._tls, "current_app", None)
    worker.app.set_current()
    try:
        assert kehu.core.tasks.export_job.app is worker.app
        assert not kehu.core.tasks.export_job.app.conf.task_always_eager
        yield worker.app
    finally:
        _state._set_current_app(previous)


def task_runs(worker: Worker) -> int:
    """How many export tasks the worker process has finished, according to its own log."""
    return len(re.findall(r"Task kehu\.core\.export\[[0-9a-f-]+\] succeeded", worker.log(10**7)))


def wait_for_job(job: BackgroundJob, worker: Worker, runs_before: int) -> BackgroundJob:
    """Poll the job row until it is done, then make sure the worker process (not this test
    process, eagerly) ran it: its log shows one more finished task (the wrapper records a failure
    on the job and returns normally, so Celery logs both outcomes as "succeeded")."""
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.done:
            while task_runs(worker) == runs_before and time.monotonic() < deadline:
                time.sleep(0.1)
            assert task_runs(worker) == runs_before + 1, worker.log()
            return job
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.done:
            return job
        if worker.proc.poll() is not None:
            pytest.fail(
                f"worker exited with {worker.proc.returncode} while job {job.pk} was "
                f"{job.status}\n--- worker log ---\n{worker.log()}"
            )
        time.sleep(0.3)
    pytest.fail(
        f"job {job.pk} still {job.status} after {JOB_TIMEOUT}s\n--- worker log ---\n{worker.log()}"
    )


@pytest.mark.django_db(transaction=True)
def test_export_job_runs_in_the_worker_with_the_users_data_permissions(
    broker_app, worker, make_user
):
    manager = make_user("sales_manager", "a1")  # sees department A1 only, may export
    colleague = make_user("salesperson", "a1")
    outsider = make_user("salesperson", "b")
    visible = [customer(manager, n) for n in range(3)] + [customer(colleague, n) for n in range(2)]
    hidden = [customer(outsider, n) for n in range(4)]
    assert Customer.objects.count() == 9

    runs_before = task_runs(worker)
    with transaction.atomic():
        job = start_export(
            user=manager,
            object_type=get_object_type(Customer),
            fmt="csv",
            params={},
            sort="-pk",
        )
        # Nothing is sent before the commit, so the worker cannot miss the job row.
        assert BackgroundJob.objects.get(pk=job.pk).status == BackgroundJob.Status.PENDING

    job = wait_for_job(job, worker, runs_before)
    assert job.status == BackgroundJob.Status.SUCCEEDED, f"{job.message}\n{worker.log()}"
    assert job.started_at and job.finished_at
    assert job.progress == len(visible) == job.total
    assert job.result_name.endswith(".csv")
    with job.result_file.open("rb") as fh:
        text = fh.read().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    header, rows = table[0], table[1:]
    assert len(header) == len(get_object_type(Customer).export_fields)
    numbers = [row[0] for row in rows]
    # exactly the rows the manager may see, newest first, none of the other branch's
    assert numbers == [c.number for c in sorted(visible, key=lambda c: -c.pk)]
    assert not {c.number for c in hidden} & set(numbers)


@pytest.mark.django_db(transaction=True)
def test_failing_job_ends_failed_with_a_message(broker_app, worker, make_user):
    seller = make_user("salesperson", "a1")  # the salesperson role lacks system.export_data
    customer(seller, 1)
    assert not seller.has_perm("system.export_data")

    runs_before = task_runs(worker)
    with transaction.atomic():
        job = start_export(
            user=seller, object_type=get_object_type(Customer), fmt="csv", params={}, sort="-pk"
        )

    job = wait_for_job(job, worker, runs_before)
    assert job.status == BackgroundJob.Status.FAILED, worker.log()
    assert job.message.strip()
    assert job.finished_at is not None
    assert not job.result_file
