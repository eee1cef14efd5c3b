"""Sending through a REAL Celery worker process (Redis broker) to a real SMTP server on loopback:
the SMTP server is down when the batches first run; they pause and retry with backoff, and once
it is up every recipient gets the message exactly once (a second dispatch sends nothing)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest
from celery import Celery, _state
from django.db import transaction

from kehu.core.tests.test_worker import Worker, _delete_queue, test_database_url
from kehu.system.messaging import actions
from kehu.system.messaging.models import Delivery, DeliveryStatus
from kehu.system.messaging.tasks import dispatch_message

from .messaging_smtp import SmtpSink, free_port

pytestmark = [pytest.mark.worker, pytest.mark.services]
TIMEOUT = 90


@pytest.fixture(scope="module")
def smtp_port():
    return free_port()


@pytest.fixture(scope="module")
def mail_worker(smtp_port, django_db_setup, django_db_blocker, tmp_path_factory, redis_url):
    tmp = tmp_path_factory.mktemp("mail-worker")
    with django_db_blocker.unblock():
        db_url = test_database_url()
    queue = f"kehu-test-mail-{uuid.uuid4().hex[:10]}"
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="kehu.settings_test",
        KEHU_TASKS_EAGER="0",
        CELERY_BROKER_URL=redis_url,
        DATABASE_URL=db_url,
        PYTHONUNBUFFERED="1",
        KEHU_EMAIL_HOST="127.0.0.1",
        KEHU_EMAIL_PORT=str(smtp_port),
        KEHU_MESSAGING_BATCH_SIZE="10",
        KEHU_MESSAGING_RETRY_BASE="1",
        KEHU_SITE_URL="https://crm.example.com",
        KEHU_QUEUE=queue,  # the batches the worker's dispatch queues go to its own queue
    )
    log_path = tmp / "worker.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kehu.cli", "worker", "--concurrency", "2", "--queues", queue,
             "--hostname", f"{queue}@%h"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    w = Worker(redis_url, queue, log_path, proc)
    w.app = Celery("kehu", set_as_current=False)
    w.app.config_from_object("django.conf:settings", namespace="CELERY")
    w.app.conf.update(broker_url=redis_url, task_always_eager=False, task_default_queue=queue)
    previous = getattr(_state._tls, "current_app", None)
    w.app.set_current()
    try:
        yield w
    finally:
        _state._set_current_app(previous)
        w.app.close()
        w.stop()
        _delete_queue(redis_url, queue)


def wait_until(check, worker, what):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if check():
            return
        if worker.proc.poll() is not None:
            pytest.fail(f"worker exited while waiting for {what}\n{worker.log()}")
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}\n{worker.log()}")


@pytest.mark.django_db(transaction=True)
def test_smtp_down_then_up_sends_each_recipient_exactly_once(mail_worker, smtp_port):
    assert dispatch_message.app is mail_worker.app
    addresses = [f"r{i}@example.com" for i in range(30)]
    with transaction.atomic():
        message = actions.create_message(
            material="worker.test", subject="Hi {{ name }}", text="Hello {{ name }}"
        )
        actions.queue_deliveries(
            message=message, recipients=[{"address": a, "context": {"name": a}} for a in addresses]
        )
        actions.send_message(message=message)

    def all_tried():
        rows = Delivery.objects.filter(message=message)
        return all(r.attempts >= 2 and r.status == DeliveryStatus.QUEUED for r in rows)

    wait_until(all_tried, mail_worker, "the batches to fail twice with SMTP down")
    assert "Connection refused" in Delivery.objects.filter(message=message).first().last_error
    sink = SmtpSink(smtp_port).start()
    try:
        wait_until(
            lambda: (
                set(Delivery.objects.filter(message=message).values_list("status", flat=True))
                == {DeliveryStatus.SENT}
            ),
            mail_worker,
            "every delivery to be sent",
        )
        # the broker delivering the dispatch again (or a second click on "send"): nothing more
        dispatch_message.delay(message.pk)
        time.sleep(3)
    finally:
        sink.stop()
    assert sorted(sink.recipients()) == sorted(addresses)
    assert "Task kehu.messaging.send_batch" in mail_worker.log(10**7)
