"""Outbound messaging: addresses, templates that cannot run code, sanitised HTML, at most one
send per material and address (also across senders and after SMTP failures), suppression,
consent, one-click unsubscribe, signed tracking links — against a real SMTP server on loopback."""

from __future__ import annotations

import email
import email.policy

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from kehu.system.messaging import actions
from kehu.system.messaging.models import Delivery, DeliveryStatus, Suppression
from kehu.system.messaging.providers import LOOPBACK_OUTBOX
from kehu.system.messaging.tokens import make_token

from .messaging_smtp import SmtpSink, free_port

S = DeliveryStatus
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The messages checked below are the English ones (the default language is Chinese)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def smtp(settings):
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    settings.KEHU_SITE_URL = "https://crm.example.com"
    yield sink
    sink.stop()


def newsletter(material="news.2026-12", **kwargs):
    values = {
        "material": material,
        "subject": "Hello {{ name }}",
        "text": "Dear {{ name }} of {{ company }},\nUnsubscribe: {{ unsubscribe_url }}",
        "html": '<p>Dear {{ name }}</p><p><a href="https://shop.example.com/offer">Offer</a></p>',
        "from_address": "news@kehu.test",
        "sender": "Marketing",
    }
    return actions.create_message(**(values | kwargs))


def people(*addresses, **context):
    return [{"address": a, "context": {"name": a.split("@")[0], **context}} for a in addresses]


def parsed(envelope):
    return email.message_from_bytes(envelope.content, policy=email.policy.default)


def send_all(message):
    results = [actions.send_batch(ids) for ids in actions.queued_batches(message.pk)]
    return results


# --- Addresses --------------------------------------------------------------------------------


def test_malformed_addresses_are_refused_with_the_reason():
    message = newsletter()
    result = actions.queue_deliveries(
        message=message,
        recipients=people("ok@example.com", "no-at-sign", "a@b@c.com", "x@example.com\r\nBcc: y@z")
        + [{"address": ""}],
    )
    assert result.queued == 1
    assert [a for a, _why in result.invalid] == [
        "no-at-sign",
        "a@b@c.com",
        "x@example.com\r\nBcc: y@z",
        "",
    ]
    assert "not a valid e-mail address" in result.invalid[0][1]
    assert "line break" in result.invalid[2][1]
    assert list(Delivery.objects.values_list("address", flat=True)) == ["ok@example.com"]


def test_sms_and_wechat_addresses():
    from kehu.system.messaging.addresses import normalize_address

    assert normalize_address("sms", "138 0013 8000") == "+8613800138000"
    assert normalize_address("sms", "+86 13800138000") == "+8613800138000"
    assert normalize_address("sms", "+442071234567") == "+442071234567"
    with pytest.raises(ValidationError, match="mobile number"):
        normalize_address("sms", "12345")
    assert normalize_address("wechat", "oABC_123-xyz") == "oABC_123-xyz"
    with pytest.raises(ValidationError, match="WeChat"):
        normalize_address("wechat", "<script>")


# --- Templates ------------------------------------------------------------------------------


def test_template_code_in_user_data_is_printed_literally(smtp):
    message = newsletter(html='<p title="{{ company }}">Hi {{ name }}</p>')
    evil = "{{ secret }}{% load static %}{% debug %}<script>alert(1)</script>"
    actions.queue_deliveries(
        message=message,
        recipients=[
            {"address": "evil@example.com", "context": {"name": evil, "company": '"><b>x'}}
        ],
    )
    send_all(message)
    mail = parsed(smtp.received[0])
    assert mail["Subject"] == f"Hello {evil}"
    text = mail.get_body(("plain",)).get_content()
    assert "Dear {{ secret }}{% load static %}{% debug %}<script>alert(1)</script> of" in text
    body = mail.get_body(("html",)).get_content()
    assert (
        "Hi {{ secret }}{% load static %}{% debug %}&lt;script&gt;alert(1)&lt;/script&gt;" in body
    )
    assert 'title="&quot;&gt;&lt;b&gt;x"' in body
    assert "<script>" not in body


@pytest.mark.parametrize(
    "template, error",
    [
        ("{% load static %}", "template code"),
        ("{{ settings.SECRET_KEY }}", "template code"),
        ("{{ name|safe }}", "template code"),
        ("{{ secret }}", "Unknown placeholder"),
        ("{# note #}", "template code"),
    ],
)
def test_templates_allow_placeholders_only(template, error):
    with pytest.raises(ValidationError, match=error):
        newsletter(text=template)


def test_html_is_sanitised():
    message = newsletter(
        html=(
            '<p onclick="steal()">Hi<script>alert(1)</script></p>'
            '<a href="javascript:alert(1)">x</a><iframe src="https://evil"></iframe>'
            '<img src="https://img.example.com/a.png" onerror="x()">'
            '<div style="background:url(https://t.example.com)">d</div>'
            '<a href="https://ok.example.com/a?x=1&amp;y=2">ok</a>'
        )
    )
    html = message.body_html
    assert "script" not in html and "onclick" not in html and "onerror" not in html
    assert "javascript" not in html and "iframe" not in html and "url(" not in html
    assert '<img src="https://img.example.com/a.png">' in html
    assert message.links == ["https://ok.example.com/a?x=1&y=2"]
    # the recipient's own unsubscribe link is the one placeholder a link may be
    message = newsletter(html='<a href="{{ unsubscribe_url }}">Unsubscribe</a>')
    assert message.links == []
    envelope = actions.build_envelope(message, address="a@example.com", context={}, delivery_id=7)
    assert f'href="{actions.unsubscribe_url(7)}"' in envelope.html
    with pytest.raises(ValidationError, match="inside a link"):
        newsletter(html='<a href="{{ link }}">x</a>')


def test_preview_and_test_send(smtp):
    message = newsletter()
    envelope = actions.preview(message=message, context={"name": "王芳", "company": "华光"})
    assert envelope.subject == "Hello 王芳" and "Dear 王芳 of 华光" in envelope.text
    assert 'href="https://shop.example.com/offer"' in envelope.html
    actions.send_test(message=message, address="me@kehu.test", context={"name": "王芳"})
    assert smtp.recipients() == ["me@kehu.test"]
    assert parsed(smtp.received[0])["Subject"] == "[Test] Hello 王芳"
    # a test send records nothing: the real send still reaches the address
    assert not Delivery.objects.exists()
    with pytest.raises(ValidationError):
        actions.send_test(message=message, address="not an address")


# --- Sending over real SMTP -------------------------------------------------------------------


def test_personalised_send_with_one_click_headers(smtp):
    message = newsletter()
    actions.queue_deliveries(
        message=message, recipients=people("li@example.com", "zhang@example.com", company="华光")
    )
    [result] = send_all(message)
    assert result.sent == 2
    assert sorted(smtp.recipients()) == ["li@example.com", "zhang@example.com"]
    by_to = {parsed(e)["To"]: parsed(e) for e in smtp.received}
    mail = by_to["li@example.com"]
    assert mail["Subject"] == "Hello li"
    delivery = Delivery.objects.get(address="li@example.com")
    unsub = "https://crm.example.com" + reverse(
        "system:messaging_unsubscribe", args=[make_token("unsubscribe", delivery.pk)]
    )
    assert mail["List-Unsubscribe"].strip() == f"<{unsub}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsub in mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "https://shop.example.com/offer" not in html  # replaced by the signed click link
    assert "/system/m/c/" in html and "/system/m/o/" in html
    delivery.refresh_from_db()
    assert delivery.status == S.SENT and delivery.sent_at and delivery.attempts == 1
    assert actions.message_counts(message) == {"sent": 2}


def test_the_same_material_is_never_sent_twice_even_by_two_senders(smtp):
    marketing = newsletter(sender="Marketing")
    service = newsletter(sender="Service")  # the same material, another department
    first = actions.queue_deliveries(
        message=marketing, recipients=people("a@example.com", "b@example.com", "A@Example.com")
    )
    assert (first.queued, first.duplicates) == (2, 1)
    second = actions.queue_deliveries(
        message=service, recipients=people("b@example.com", "c@example.com")
    )
    assert (second.queued, second.duplicates) == (1, 1)
    send_all(marketing)
    send_all(service)
    # the batch task redelivered by the broker, or run twice: nothing more goes out
    all_ids = list(Delivery.objects.values_list("pk", flat=True))
    assert actions.send_batch(all_ids).sent == 0
    assert sorted(smtp.recipients()) == ["a@example.com", "b@example.com", "c@example.com"]
    # another material to the same address is another message
    actions.queue_deliveries(message=newsletter("news.2027-01"), recipients=people("a@example.com"))
    assert Delivery.objects.filter(address="a@example.com").count() == 2


def test_smtp_down_pauses_and_retries_without_double_sending(settings):
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    message = newsletter()
    actions.queue_deliveries(message=message, recipients=people("a@example.com", "b@example.com"))
    [ids] = actions.queued_batches(message.pk)
    with pytest.raises(actions.TemporaryFailure, match="Connection refused|ConnectionRefused"):
        actions.send_batch(ids)
    rows = list(Delivery.objects.order_by("pk"))
    assert [(r.status, r.attempts, r.claim) for r in rows] == [(S.QUEUED, 1, "")] * 2
    assert "Connection" in rows[0].last_error
    sink = SmtpSink(port).start()
    try:
        assert actions.send_batch(ids).sent == 2
        assert actions.send_batch(ids).sent == 0  # a second retry of the same batch
    finally:
        sink.stop()
    assert sorted(sink.recipients()) == ["a@example.com", "b@example.com"]
    assert [(r.status, r.attempts) for r in Delivery.objects.order_by("pk")] == [(S.SENT, 2)] * 2


def test_a_temporary_refusal_mid_batch_keeps_what_was_sent(smtp):
    message = newsletter()
    actions.queue_deliveries(
        message=message, recipients=people("a@example.com", "b@example.com", "c@example.com")
    )
    smtp.refuse["b@example.com"] = "451 try again later"
    [ids] = actions.queued_batches(message.pk)
    with pytest.raises(actions.TemporaryFailure):
        actions.send_batch(ids)
    status = dict(Delivery.objects.values_list("address", "status"))
    assert status == {"a@example.com": S.SENT, "b@example.com": S.QUEUED, "c@example.com": S.QUEUED}
    del smtp.refuse["b@example.com"]
    assert actions.send_batch(ids).sent == 2
    assert sorted(smtp.recipients()) == ["a@example.com", "b@example.com", "c@example.com"]


def test_a_permanent_refusal_bounces_and_suppresses(smtp):
    message = newsletter()
    actions.queue_deliveries(
        message=message, recipients=people("gone@example.com", "ok@example.com")
    )
    smtp.refuse["gone@example.com"] = "550 no such user"
    [result] = send_all(message)
    assert (result.sent, result.bounced) == (1, 1)
    gone = Delivery.objects.get(address="gone@example.com")
    assert gone.status == S.BOUNCED and "550" in gone.last_error
    assert actions.is_suppressed("email", "gone@example.com")


def test_send_message_runs_the_tasks(smtp, django_capture_on_commit_callbacks, settings):
    settings.KEHU_MESSAGING_BATCH_SIZE = 2
    message = newsletter()
    actions.queue_deliveries(
        message=message, recipients=people(*[f"p{i}@example.com" for i in range(5)])
    )
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_message(message=message)
    assert len(smtp.received) == 5
    assert actions.message_counts(message) == {"sent": 5}


def test_the_task_retries_then_gives_up(settings):
    """SMTP down: the task asks for a retry (the deliveries wait in the queue) until the last
    try, after which the batch fails with the error. (A real worker's retries: test_worker.)"""
    from celery.exceptions import Retry

    from kehu.system.messaging.tasks import send_batch_task

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.KEHU_MESSAGING_MAX_RETRIES = 2
    message = newsletter()
    actions.queue_deliveries(message=message, recipients=people("a@example.com"))
    [ids] = actions.queued_batches(message.pk)
    with pytest.raises(Retry):
        send_batch_task.apply(args=[ids], retries=1)
    assert Delivery.objects.get().status == S.QUEUED
    send_batch_task.apply(args=[ids], retries=2)
    row = Delivery.objects.get()
    assert row.status == S.FAILED and row.attempts == 2 and "Connection" in row.last_error


# --- Suppression, consent, unsubscribe ------------------------------------------------------


def test_suppressed_addresses_are_skipped_at_send_time(smtp):
    message = newsletter()
    actions.queue_deliveries(message=message, recipients=people("a@example.com", "b@example.com"))
    actions.suppress(channel="email", address="B@example.com", reason="manual")
    [result] = send_all(message)
    assert (result.sent, result.suppressed) == (1, 1)
    assert smtp.recipients() == ["a@example.com"]
    assert Delivery.objects.get(address="b@example.com").status == S.SUPPRESSED


def test_one_click_unsubscribe_is_for_that_recipient_only_and_honoured_everywhere(smtp):
    message = newsletter()
    actions.queue_deliveries(message=message, recipients=people("a@example.com", "b@example.com"))
    send_all(message)
    a = Delivery.objects.get(address="a@example.com")
    b = Delivery.objects.get(address="b@example.com")
    token = make_token("unsubscribe", a.pk)
    url = reverse("system:messaging_unsubscribe", args=[token])
    client = Client(enforce_csrf_checks=True)  # a mail client: no session, no CSRF token
    # GET only asks (link scanners fetch links): nothing changes
    page = client.get(url)
    assert page.status_code == 200 and "a•@example.com" in page.content.decode()
    assert not Suppression.objects.exists()
    # the RFC 8058 one-click POST
    response = client.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert list(Suppression.objects.values_list("address", flat=True)) == ["a@example.com"]
    a.refresh_from_db()
    assert a.status == S.UNSUBSCRIBED and a.unsubscribed_at
    b.refresh_from_db()
    assert b.status == S.SENT
    # a's token cannot be bent to b: altered ids, other kinds' tokens, garbage
    for bad in (
        token.replace(str(a.pk), str(b.pk), 1),
        make_token("open", b.pk),
        make_token("click", b.pk, 0),
        f"{b.pk}:forged",
        "x",
    ):
        r = client.post(reverse("system:messaging_unsubscribe", args=[bad]))
        assert r.status_code == 404, bad
    assert not actions.is_suppressed("email", "b@example.com")
    # another department's later material does not reach a, does reach b
    other = newsletter("service.survey", sender="Service")
    actions.queue_deliveries(message=other, recipients=people("a@example.com", "b@example.com"))
    smtp.received.clear()
    send_all(other)
    assert smtp.recipients() == ["b@example.com"]


def test_unsubscribing_stops_what_is_still_queued(smtp):
    first = newsletter()
    actions.queue_deliveries(message=first, recipients=people("a@example.com"))
    send_all(first)
    second = newsletter("news.2027-01")
    actions.queue_deliveries(message=second, recipients=people("a@example.com"))
    actions.unsubscribe(delivery=Delivery.objects.get(message=first))
    assert Delivery.objects.get(message=second).status == S.SUPPRESSED


def test_consent_is_required_where_the_message_says_so():
    message = newsletter(
        "sms.promo",
        channel="sms",
        subject="",
        html="",
        text="{{ name }}: 20% off",
        needs_consent=True,
    )
    actions.record_consent(channel="sms", address="13800138000", granted=True, source="web form")
    actions.record_consent(channel="sms", address="13900139000", granted=False)
    actions.queue_deliveries(
        message=message,
        recipients=[
            {"address": "138-0013-8000", "context": {"name": "李"}},
            {"address": "13900139000"},
            {"address": "13700137000"},
        ],
    )
    LOOPBACK_OUTBOX.clear()
    [result] = send_all(message)
    assert (result.sent, result.suppressed) == (1, 2)
    assert [(e.to, e.text) for e in LOOPBACK_OUTBOX] == [("+8613800138000", "李: 20% off")]


# --- Providers ------------------------------------------------------------------------------


class FlakyGateway:
    """A gateway configured by dotted path: refuses its first message for now."""

    calls = 0

    def __init__(self):
        from kehu.system.messaging.providers import LoopbackProvider

        self.inner = LoopbackProvider("wechat")

    def open(self):
        pass

    def close(self):
        pass

    def send(self, envelope):
        from kehu.system.messaging.providers import ProviderError

        FlakyGateway.calls += 1
        if FlakyGateway.calls == 1:
            raise ProviderError("gateway busy", ProviderError.RETRY)
        return self.inner.send(envelope)


def test_wechat_template_messages_through_a_configured_gateway(settings):
    settings.KEHU_MESSAGING_PROVIDERS = {"wechat": f"{__name__}.FlakyGateway"}
    message = newsletter(
        "wechat.order", channel="wechat", subject="", html="", text="", provider_template="TPL_1"
    )
    actions.queue_deliveries(
        message=message, recipients=[{"address": "oAbc123", "context": {"name": "王"}}]
    )
    LOOPBACK_OUTBOX.clear()
    [ids] = actions.queued_batches(message.pk)
    with pytest.raises(actions.TemporaryFailure):
        actions.send_batch(ids)
    assert actions.send_batch(ids).sent == 1
    [envelope] = LOOPBACK_OUTBOX
    assert (envelope.to, envelope.template, envelope.data) == ("oAbc123", "TPL_1", {"name": "王"})


# --- Tracking links ---------------------------------------------------------------------------


def test_open_and_click_links_are_signed_and_go_only_where_the_message_links(smtp, client):
    message = newsletter()
    actions.queue_deliveries(message=message, recipients=people("a@example.com", "b@example.com"))
    send_all(message)
    a = Delivery.objects.get(address="a@example.com")
    b = Delivery.objects.get(address="b@example.com")
    # forged open: the same pixel, nothing recorded
    r = client.get(reverse("system:messaging_open", args=[f"{b.pk}:forged"]))
    assert r.status_code == 200 and r["Content-Type"] == "image/gif"
    r = client.get(reverse("system:messaging_open", args=[make_token("open", a.pk)]))
    assert r.status_code == 200
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == S.OPENED and a.opened_at and b.opened_at is None
    r = client.get(reverse("system:messaging_click", args=[make_token("click", a.pk, 0)]))
    assert r.status_code == 302 and r["Location"] == "https://shop.example.com/offer"
    a.refresh_from_db()
    assert a.status == S.CLICKED and a.clicked_at
    for bad in (
        make_token("click", a.pk, 1),  # no second link in this message
        make_token("click", a.pk),
        make_token("open", a.pk),
        make_token("click", a.pk, 0).replace(":", ":x", 1),
    ):
        assert client.get(reverse("system:messaging_click", args=[bad])).status_code == 404, bad
    # the real click link from the mail
    html = (
        parsed(next(e for e in smtp.received if "b@example.com" in e.rcpt_tos))
        .get_body(("html",))
        .get_content()
    )
    link = html.split('href="https://crm.example.com', 1)[1].split('"', 1)[0]
    assert client.get(link).status_code == 302
    b.refresh_from_db()
    assert b.status == S.CLICKED and b.opened_at  # a click is an open too
