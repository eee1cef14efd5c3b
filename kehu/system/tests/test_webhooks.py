"""Webhooks against a real HTTP receiver on loopback: signed deliveries of any object type's
events after the commit, retries with backoff, disabling with a notice, the SSRF guard, and who
may manage them. (The deliveries here run eagerly in this process; test_webhooks_worker.py sends
them through a real Celery worker.)"""

from __future__ import annotations

import json
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from kehu.core.models import AuditLog, Notification
from kehu.customers.models import Customer
from kehu.customers.tests.factories import customer
from kehu.system.webhooks.actions import save_endpoint, send_test
from kehu.system.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from kehu.system.webhooks.signing import sign, verify

from .webhook_receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def fast_retries(settings):
    settings.KEHU_WEBHOOKS_RETRY_BASE_SECONDS = 0
    settings.KEHU_WEBHOOKS_MAX_ATTEMPTS = 4
    settings.KEHU_WEBHOOKS_DISABLE_AFTER = 3
    return settings


def endpoint(owner, url, **kw) -> WebhookEndpoint:
    kw.setdefault("events", ["created", "updated", "deleted", "stage_changed"])
    return save_endpoint(endpoint=WebhookEndpoint(name="ERP", url=url, **kw), user=owner)


def test_signed_delivery_of_a_created_record(
    admin_user, make_user, django_capture_on_commit_callbacks
):
    seller = make_user("salesperson", "a1")
    with Receiver() as rx:
        hook = endpoint(admin_user, rx.url, object_types=["customers.customer"])
        with django_capture_on_commit_callbacks(execute=True):
            c = customer(seller, 1)
        assert rx.count() == 1
        path, headers, body = rx.requests[0]
    assert path == "/hook"
    data = json.loads(body)
    assert data["event"] == "created"
    assert data["object_type"] == "customers.customer"
    assert data["id"] == c.pk
    assert data["changes"]["name"] == [None, c.name]
    assert verify(
        hook.secret, headers["Kehu-Timestamp"], body, headers["Kehu-Signature"], now=time.time()
    )
    # another secret, a changed body or an old timestamp do not verify
    assert not verify(
        "whsec_other", headers["Kehu-Timestamp"], body, headers["Kehu-Signature"], now=time.time()
    )
    assert not verify(
        hook.secret,
        headers["Kehu-Timestamp"],
        body + b" ",
        headers["Kehu-Signature"],
        now=time.time(),
    )
    assert not verify(
        hook.secret,
        headers["Kehu-Timestamp"],
        body,
        headers["Kehu-Signature"],
        now=time.time() + 3600,
    )
    assert headers["Kehu-Signature"] == sign(hook.secret, int(headers["Kehu-Timestamp"]), body)
    delivery = WebhookDelivery.objects.get()
    assert headers["Kehu-Delivery"] == str(delivery.pk)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert (delivery.attempts, delivery.response_code) == (1, 200)
    assert delivery.response_excerpt == '{"ok": true}'


def test_only_selected_events_and_types_and_nothing_on_rollback(
    admin_user, make_user, django_capture_on_commit_callbacks
):
    seller = make_user("salesperson", "a1")
    with Receiver() as rx:
        endpoint(admin_user, rx.url, events=["updated"], object_types=["customers.customer"])
        with django_capture_on_commit_callbacks(execute=True):
            c = customer(seller, 1)  # created: not selected
        assert rx.count() == 0
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            c.city = "北京"
            c.save()
            raise RuntimeError
        assert rx.count() == 0 and not WebhookDelivery.objects.exists()
        c.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            c.city = "杭州"
            c.save()
        assert rx.count() == 1
        assert json.loads(rx.requests[0][2])["changes"]["city"] == ["上海", "杭州"]


def test_bulk_writes_send_one_delivery_per_record(
    admin_user, make_user, django_capture_on_commit_callbacks
):
    from kehu.core.audit import audited_bulk_update

    seller = make_user("salesperson", "a1")
    rows = [customer(seller, n) for n in range(3)]
    with Receiver() as rx:
        endpoint(admin_user, rx.url, events=["updated"])
        with django_capture_on_commit_callbacks(execute=True):
            audited_bulk_update(Customer.objects.filter(pk__in=[c.pk for c in rows]), city="西安")
        assert rx.count() == 3
    ids = sorted(json.loads(body)["id"] for _p, _h, body in rx.requests)
    assert ids == sorted(c.pk for c in rows)


def test_retried_with_backoff_then_delivered(
    admin_user, fast_retries, django_capture_on_commit_callbacks
):
    fast_retries.KEHU_WEBHOOKS_DISABLE_AFTER = 10
    with Receiver([500, 503, 200]) as rx:
        hook = endpoint(admin_user, rx.url)
        with django_capture_on_commit_callbacks(execute=True):
            send_test(endpoint=hook, user=admin_user)
        assert rx.count() == 3
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert (delivery.attempts, delivery.response_code) == (3, 200)
    # the same delivery ID on every attempt, so a receiver can drop duplicates
    assert {h["Kehu-Delivery"] for _p, h, _b in rx.requests} == {str(delivery.pk)}
    hook.refresh_from_db()
    assert hook.failure_count == 0 and hook.disabled_at is None


def test_backoff_doubles():
    from kehu.system.webhooks.delivery import backoff

    assert [backoff(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]


def test_repeated_failures_disable_the_endpoint_and_tell_its_owner(
    admin_user, fast_retries, django_capture_on_commit_callbacks
):
    with Receiver([500]) as rx:
        hook = endpoint(admin_user, rx.url)
        with django_capture_on_commit_callbacks(execute=True):
            send_test(endpoint=hook, user=admin_user)
        assert rx.count() == 3  # DISABLE_AFTER, below MAX_ATTEMPTS
        with django_capture_on_commit_callbacks(execute=True):
            send_test(endpoint=hook, user=admin_user)
        assert rx.count() == 3  # disabled: nothing more is sent
    hook.refresh_from_db()
    assert hook.disabled_at is not None and hook.failure_count == 3
    first, second = WebhookDelivery.objects.order_by("pk")
    assert first.status == second.status == DeliveryStatus.FAILED
    assert (first.attempts, first.response_code, second.attempts) == (3, 500, 0)
    notice = Notification.objects.get(recipient=admin_user, kind="webhook_disabled")
    assert "ERP" in notice.title and notice.link.endswith(f"/webhookendpoints/{hook.pk}/")
    assert AuditLog.for_object(hook).filter(changes__has_key="disabled_at").exists()
    # switched on again by saving it active: counts start afresh
    hook.is_active = True
    save_endpoint(endpoint=hook, user=admin_user)
    hook.refresh_from_db()
    assert hook.disabled_at is None and hook.failure_count == 0


def test_redirects_are_not_followed(admin_user, fast_retries, django_capture_on_commit_callbacks):
    fast_retries.KEHU_WEBHOOKS_MAX_ATTEMPTS = 1
    with Receiver([302], location="http://169.254.169.254/latest/meta-data/") as rx:
        hook = endpoint(admin_user, rx.url)
        with django_capture_on_commit_callbacks(execute=True):
            send_test(endpoint=hook, user=admin_user)
        assert rx.count() == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_code) == (DeliveryStatus.FAILED, 302)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://224.0.0.1/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_addresses_refused_at_save(admin_user, settings, url):
    settings.KEHU_WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError) as exc:
        endpoint(admin_user, url)
    assert "url" in exc.value.message_dict
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "http://u:p@example.com/"]
)
def test_only_plain_http_and_https(admin_user, url):
    with pytest.raises(ValidationError) as exc:
        endpoint(admin_user, url)
    assert "url" in exc.value.message_dict


def test_private_address_refused_at_send_time(
    admin_user, settings, fast_retries, django_capture_on_commit_callbacks
):
    fast_retries.KEHU_WEBHOOKS_MAX_ATTEMPTS = 1
    with Receiver() as rx:
        hook = endpoint(admin_user, rx.url)  # allowed when saved (tests allow loopback)
        settings.KEHU_WEBHOOKS_ALLOW_PRIVATE = False  # … the address is checked again per send
        with django_capture_on_commit_callbacks(execute=True):
            send_test(endpoint=hook, user=admin_user)
        assert rx.count() == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.response_code is None
    assert "127.0.0.1" in delivery.error


def test_bad_event_selection_is_refused(admin_user):
    with pytest.raises(ValidationError) as exc:
        endpoint(admin_user, "http://127.0.0.1/x", events=[], object_types=["nope.nope"])
    assert set(exc.value.message_dict) == {"events", "object_types"}


def test_pages_and_api_are_for_administrators(client, admin_user, make_user):
    hook = endpoint(admin_user, "http://127.0.0.1:9/hook")
    seller = make_user("sales_manager", "a1")
    client.force_login(seller)
    assert client.get("/system/webhookendpoints/").status_code == 403
    assert client.get(f"/system/webhookendpoints/{hook.pk}/").status_code in (403, 404)
    assert client.post(f"/system/webhookendpoints/{hook.pk}/secret/").status_code in (403, 404)
    assert client.get("/api/webhookendpoints/").status_code == 403
    client.force_login(admin_user)
    page = client.get(f"/system/webhookendpoints/{hook.pk}/")
    assert page.status_code == 200 and hook.secret not in page.content.decode()
    revealed = client.post(f"/system/webhookendpoints/{hook.pk}/secret/")
    assert hook.secret in revealed.content.decode()
    assert client.get("/system/webhookendpoints/").status_code == 200


def test_secret_only_for_its_owner(client, admin_user, make_user):
    other_admin = make_user("administrator", "hq")
    hook = endpoint(admin_user, "http://127.0.0.1:9/hook")
    client.force_login(other_admin)
    assert client.get(f"/system/webhookendpoints/{hook.pk}/").status_code == 200
    assert client.post(f"/system/webhookendpoints/{hook.pk}/secret/").status_code == 403


def test_api_create_shows_the_secret_once_and_lists_deliveries(client, admin_user):
    client.force_login(admin_user)
    answer = client.post(
        "/api/webhookendpoints/",
        {"name": "BI", "url": "http://127.0.0.1:9/x", "events": ["created"]},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    secret = answer.json()["secret"]
    assert secret.startswith("whsec_")
    pk = answer.json()["id"]
    assert client.get(f"/api/webhookendpoints/{pk}/").json()["secret"] is None
    assert client.get(f"/api/webhookendpoints/{pk}/deliveries/").json() == []
    bad = client.post(
        "/api/webhookendpoints/",
        {"name": "x", "url": "gopher://127.0.0.1/", "events": ["created"]},
        content_type="application/json",
    )
    assert bad.status_code == 400


def test_page_add_form_and_send_test(client, admin_user, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    with Receiver() as rx:
        answer = client.post(
            "/system/webhookendpoints/add/",
            {
                "name": "表单",
                "url": rx.url,
                "events": ["created", "stage_changed"],
                "is_active": "on",
            },
        )
        assert answer.status_code == 302, answer.content.decode()[:3000]
        hook = WebhookEndpoint.objects.get(name="表单")
        assert hook.owner == admin_user and hook.events == ["created", "stage_changed"]
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/system/webhookendpoints/{hook.pk}/test/")
        assert rx.count() == 1
    page = client.get(f"/system/webhookendpoints/{hook.pk}/").content.decode()
    assert "ping" in page and "200" in page


def test_stage_change_is_its_own_event():
    from kehu.system.webhooks.dispatch import events_of

    class Deal:
        pass

    class Ticket:
        webhook_stage_field = "status"

    assert events_of(Deal, "update", {"stage_id": [1, 2]}) == ["updated", "stage_changed"]
    assert events_of(Deal, "update", {"amount": [1, 2]}) == ["updated"]
    assert events_of(Ticket, "update", {"status": ["open", "closed"]})[-1] == "stage_changed"
    assert events_of(Deal, "create", {"stage": [None, 1]}) == ["created"]
    assert events_of(Deal, "login", {}) == []


def test_no_query_for_endpoints_while_none_is_active(make_user, admin_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kehu.system.webhooks import dispatch

    seller = make_user("salesperson", "a1")
    c = customer(seller, 1)
    c.city = "南京"
    c.save()  # learns that no endpoint is active
    c.city = "苏州"
    with CaptureQueriesContext(connection) as captured:
        c.save()
    assert captured.captured_queries  # the save ran
    assert not [q for q in captured.captured_queries if "webhookendpoint" in q["sql"]]
    endpoint(admin_user, "http://127.0.0.1:9/hook")  # forgets the cached absence at once
    assert dispatch._none_until == 0.0


def test_lost_deliveries_are_queued_again_once(
    admin_user, fast_retries, django_capture_on_commit_callbacks
):
    """A retry task lost by a dead worker or broker is found by the sweep and sent; deliveries
    that are still on time, or finished, are left alone."""
    import datetime

    from django.utils import timezone

    from kehu.system.webhooks.delivery import lost_deliveries, requeue_lost

    now = timezone.now()
    with Receiver() as rx:
        hook = endpoint(admin_user, rx.url)

        def row(status, **kw):
            return WebhookDelivery.objects.create(
                endpoint=hook, event="updated", payload={"n": status}, status=status, **kw
            )

        hour = datetime.timedelta(hours=1)
        lost_retry = row(DeliveryStatus.RETRYING, attempts=1, next_retry_at=now - hour)
        lost_new = row(DeliveryStatus.PENDING)
        WebhookDelivery.objects.filter(pk=lost_new.pk).update(created_at=now - hour)
        on_time = row(DeliveryStatus.RETRYING, attempts=1, next_retry_at=now + hour)
        just_due = row(DeliveryStatus.RETRYING, attempts=1, next_retry_at=now - hour / 60)
        fresh = row(DeliveryStatus.PENDING)
        done = row(DeliveryStatus.SUCCEEDED, attempts=1, next_retry_at=now - hour)
        assert lost_deliveries(now=now) == [lost_retry.pk, lost_new.pk]
        with django_capture_on_commit_callbacks(execute=True):
            assert requeue_lost(now=now) == 2
        assert rx.count() == 2
        assert {h["Kehu-Delivery"] for _p, h, _b in rx.requests} == {
            str(lost_retry.pk),
            str(lost_new.pk),
        }
        # the next sweep leaves them alone (sent), and picks up the others once they are late
        assert lost_deliveries(now=now) == []
        assert lost_deliveries(now=now + hour / 2) == [just_due.pk, fresh.pk]
    by_id = {d.pk: d for d in WebhookDelivery.objects.all()}
    assert by_id[lost_retry.pk].status == DeliveryStatus.SUCCEEDED
    assert by_id[lost_retry.pk].attempts == 2
    assert by_id[lost_new.pk].status == DeliveryStatus.SUCCEEDED
    for untouched in (on_time, just_due, fresh, done):
        assert by_id[untouched.pk].attempts == untouched.attempts
        assert by_id[untouched.pk].status == untouched.status


def test_the_sweep_is_on_the_beat_schedule():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["webhooks-sweep"]
    assert entry["task"] == "kehu.system.sweep_webhooks"
