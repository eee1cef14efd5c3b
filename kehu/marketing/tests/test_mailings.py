"""Campaign e-mail through the shared messaging layer, against a real SMTP server on loopback:
personalised, one-click unsubscribe honoured at once (nothing more to that address, left out
of segments), the same material never twice, bad templates refused."""

from __future__ import annotations

import email
from email import policy

import pytest
from django.urls import reverse

from kehu.customers.tests.factories import customer as make_customer
from kehu.marketing.actions import campaigns as campaign_actions
from kehu.marketing.actions.mailings import send_campaign_email
from kehu.marketing.actions.segments import save_segment, segment_customers
from kehu.marketing.models import Segment
from kehu.marketing.tests.factories import campaign as make_campaign
from kehu.system.messaging import actions as messaging
from kehu.system.tests.messaging_smtp import SmtpSink


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


@pytest.fixture
def marketer(make_user):
    return make_user("sales_manager", "a1")


def send_all(message):
    return [messaging.send_batch(ids) for ids in messaging.queued_batches(message.pk)]


def parsed(envelope):
    return email.message_from_bytes(envelope.content, policy=policy.default)


def test_send_unsubscribe_and_never_again(smtp, marketer, client):
    li = make_customer(marketer, 1, name="华光机械", email="li@example.com", city="上海")
    wang = make_customer(marketer, 2, name="{{ secret }}", email="wang@example.com", city="上海")
    campaign = make_campaign(marketer, 1)
    campaign_actions.add_members(campaign=campaign, user=marketer, customers=[li, wang])
    mailing = send_campaign_email(
        campaign=campaign,
        user=marketer,
        subject="{{ name }}，新品发布",
        text="尊敬的 {{ name }}：\n退订：{{ unsubscribe_url }}",
    )
    assert mailing.queued == 2
    assert set(campaign.members.values_list("status", flat=True)) == {"sent"}
    send_all(mailing.message)
    by_to = {parsed(r)["To"]: parsed(r) for r in smtp.received}
    assert by_to["li@example.com"]["Subject"] == "华光机械，新品发布"
    assert by_to["wang@example.com"]["Subject"] == "{{ secret }}，新品发布"  # never executed
    unsub = by_to["li@example.com"]["List-Unsubscribe"].strip("<> ")
    assert by_to["li@example.com"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # the mail client's one-click POST (RFC 8058): no login, no CSRF token
    path = unsub.removeprefix("https://crm.example.com")
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code in (200, 204)
    assert campaign.members.get(customer=li).status == "unsubscribed"
    # a second e-mail (other material) reaches only wang; the segment leaves li out
    again = send_campaign_email(
        campaign=campaign, user=marketer, subject="第二封", text="{{ unsubscribe_url }}"
    )
    smtp.received.clear()
    send_all(again.message)
    assert [parsed(r)["To"] for r in smtp.received] == ["wang@example.com"]
    seg = save_segment(Segment(name="上海", query="city=上海"), user=marketer)
    assert list(segment_customers(seg, user=marketer)) == [wang]


def test_same_material_never_twice_across_campaigns(smtp, marketer):
    li = make_customer(marketer, 1, email="li@example.com")
    a, b = make_campaign(marketer, 1), make_campaign(marketer, 2)
    for c in (a, b):
        campaign_actions.add_members(campaign=c, user=marketer, customers=[li])
    first = send_campaign_email(
        campaign=a, user=marketer, subject="月刊", text="{{ unsubscribe_url }}", material="news-12"
    )
    second = send_campaign_email(
        campaign=b, user=marketer, subject="月刊", text="{{ unsubscribe_url }}", material="news-12"
    )
    assert (first.queued, second.queued, second.duplicates) == (1, 0, 1)


def test_page_refuses_template_code_and_sends(smtp, marketer, client):
    li = make_customer(marketer, 1, email="li@example.com")
    campaign = make_campaign(marketer, 1)
    campaign_actions.add_members(campaign=campaign, user=marketer, customers=[li])
    client.force_login(marketer)
    url = reverse("marketing:campaign_email", args=[campaign.pk])
    bad = client.post(url, {"subject": "x", "text": "{% load x %}{{ settings.SECRET_KEY }}"})
    assert bad.status_code == 302 and not campaign.mailings.exists()
    ok = client.post(url, {"subject": "你好 {{ name }}", "text": "{{ unsubscribe_url }}"})
    assert ok.status_code == 302 and campaign.mailings.get().queued == 1
    page = client.get(campaign.get_absolute_url())
    assert 'id="mailings"' in page.content.decode()
