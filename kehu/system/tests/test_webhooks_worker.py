"""Webhook deliveries through a REAL Celery worker process (the sqlite broker, as the default
deployment): the change is committed here, the worker signs and posts to a receiver on loopback
in this process, retries with backoff, and disables a failing endpoint with a notice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import pytest
from celery import Celery, _state
from django.db import transaction

import kehu.system.webhooks.delivery as delivery_module
from kehu.core.models import Notification
from kehu.core.tests.test_worker import Worker, test_database_url
from kehu.customers.tests.factories import customer
from kehu.system.webhooks.actions import save_endpoint, send_test
from kehu.system.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from kehu.system.webhooks.signing import verify

from .webhook_receiver import Receiver

pytestmark = [pytest.mark.worker]

TIMEOUT = 60


@pytest.fixture(scope="module")
def webhook_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("webhook-worker")
    broker_url = f"sqla+sqlite:///{tmp / 'broker.sqlite3'}"
    with django_db_blocker.unblock():
        db_url = test_database_url()
    queue = f"kehu-test-webhooks-{uuid.uuid4().hex[:10]}"
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="kehu.settings_test",
        KEHU_TASKS_EAGER="0",
        CELERY_BROKER_URL=broker_url,
        DATABASE_URL=db_url,
        PYTHONUNBUFFERED="1",
        KEHU_QUEUE=queue,  # retries the worker sends go to the queue it listens on
        KEHU_WEBHOOKS_RETRY_BASE_SECONDS="0.5",
        KEHU_WEBHOOKS_MAX_ATTEMPTS="5",
        KEHU_WEBHOOKS_DISABLE_AFTER="4",
    )
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
    w.app = Celery("kehu", set_as_current=False)
    w.app.config_from_object("django.conf:settings", namespace="CELERY")
    w.app.conf.update(broker_url=broker_url, task_always_eager=False, task_default_queue=queue)
    previous = getattr(_state._tls, "current_app", None)
    w.app.set_current()
    try:
        assert delivery_module.deliver.app is w.app
        yield w
    finally:
        _state._set_current_app(previous)
        w.app.close()
        w.stop()


def wait_for(predicate, worker: Worker, what: str):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if predicate():
            return
        if worker.proc.poll() is not None:
            pytest.fail(f"worker exited while waiting for {what}\n{worker.log()}")
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}\n--- worker log ---\n{worker.log()}")


def make_endpoint(owner, url, **kw):
    kw.setdefault("events", ["created", "updated"])
    kw.setdefault("name", "ERP")
    return save_endpoint(endpoint=WebhookEndpoint(url=url, **kw), user=owner)


@pytest.mark.django_db(transaction=True)
def test_worker_delivers_signed_then_retries_then_disables(webhook_worker, admin_user, make_user):
    seller = make_user("salesperson", "a1")
    with Receiver([500, 200]) as rx:
        hook = make_endpoint(admin_user, rx.url, object_types=["customers.customer"])
        with transaction.atomic():
            c = customer(seller, 1)
            assert not WebhookDelivery.objects.filter(delivered_at__isnull=False).exists()

        def done():
            return WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).exists()

        wait_for(done, webhook_worker, "the delivery to succeed after a retry")
        assert rx.count() == 2
        _path, headers, body = rx.requests[-1]
    assert json.loads(body)["id"] == c.pk
    assert verify(
        hook.secret, headers["Kehu-Timestamp"], body, headers["Kehu-Signature"], now=time.time()
    )
    d = WebhookDelivery.objects.get()
    assert (d.attempts, d.response_code) == (2, 200)
    assert "kehu.system.deliver_webhook" in webhook_worker.log(10**7)

    # an endpoint that always fails: retried, then disabled (DISABLE_AFTER=4) with a notice
    with Receiver([500]) as rx:
        bad = make_endpoint(admin_user, rx.url, name="Broken")
        send_test(endpoint=bad, user=admin_user)

        def disabled():
            bad.refresh_from_db()
            return bad.disabled_at is not None

        wait_for(disabled, webhook_worker, "the endpoint to be disabled")
        time.sleep(1.5)  # no further attempts once disabled
        assert rx.count() == 4
    assert WebhookDelivery.objects.get(endpoint=bad).status == DeliveryStatus.FAILED
    assert Notification.objects.filter(recipient=admin_user, kind="webhook_disabled").count() == 1
