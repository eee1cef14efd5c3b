"""Events: a public registration page (open/close, honeypot, rate limit, bad input as 400),
the confirmation e-mail with an iCalendar invitation over real SMTP, once per address; check-in."""

from __future__ import annotations

import email
from email import policy

import icalendar
import pytest
from django.urls import reverse

from kehu.marketing.actions import events
from kehu.marketing.models import Campaign
from kehu.marketing.tests.factories import campaign as make_campaign
from kehu.system.tests.messaging_smtp import SmtpSink


@pytest.fixture
def smtp(settings):
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    yield sink
    sink.stop()


@pytest.fixture
def organiser(make_user):
    return make_user("sales_manager", "a1")


def test_register_confirm_with_invitation_and_check_in(
    client, smtp, organiser, django_capture_on_commit_callbacks
):
    seminar = make_campaign(organiser, 1, kind="event", name="智能制造研讨会", location="上海")
    assert client.get("/marketing/e/nothing/").status_code == 404
    seminar = events.open_registration(campaign=seminar, user=organiser)
    url = reverse("marketing:event_register", args=[seminar.registration_key])
    assert client.get(url).status_code == 200  # anonymous visitor
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(url, {"name": "陈静", "email": "chen@example.cn", "company": "华光"})
    assert r.status_code == 200 and b'id="registered"' in r.content
    member = seminar.members.get()
    assert member.status == "registered" and member.email == "chen@example.cn"
    [envelope] = smtp.received
    mail = email.message_from_bytes(envelope.content, policy=policy.default)
    assert "智能制造研讨会" in mail["Subject"]
    ics = next(p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar")
    event = icalendar.Calendar.from_ical(ics.get_content()).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "智能制造研讨会" and str(event["LOCATION"]) == "上海"
    assert event.decoded("DTSTART") == seminar.start_date
    # twice: one member, no second e-mail
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"name": "陈静", "email": "CHEN@example.cn"})
    assert seminar.members.count() == 1 and len(smtp.received) == 1
    bad = client.post(url, {"name": "", "email": "not an address"})
    assert bad.status_code == 400 and seminar.members.count() == 1
    client.force_login(organiser)
    client.post(reverse("marketing:event_check_in", args=[seminar.pk, member.pk]))
    member.refresh_from_db()
    assert member.status == "attended"
    client.post(reverse("marketing:event_registration", args=[seminar.pk]), {"close": "1"})
    client.logout()
    assert client.get(url).status_code == 404


def test_honeypot_rate_limit_and_only_events(client, organiser):
    show = make_campaign(organiser, 2, kind="trade_show")
    with pytest.raises(Exception):
        events.open_registration(campaign=show, user=organiser)
    seminar = events.open_registration(
        campaign=make_campaign(organiser, 3, kind="event"), user=organiser
    )
    url = reverse("marketing:event_register", args=[seminar.registration_key])
    bot = client.post(url, {"name": "bot", "email": "b@example.cn", "website": "x"})
    assert bot.status_code == 200 and not seminar.members.exists()
    codes = [
        client.post(url, {"name": f"p{n}", "email": f"p{n}@example.cn"}).status_code
        for n in range(events.RATE_PER_HOUR + 1)
    ]
    assert codes[-1] == 429 and seminar.members.count() == events.RATE_PER_HOUR
    seminar.status = Campaign.Status.COMPLETED
    seminar.save()
    closed = client.post(url, {"name": "late", "email": "late@example.cn"})
    assert closed.status_code in (400, 429)
