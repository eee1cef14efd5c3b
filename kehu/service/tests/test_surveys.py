"""Satisfaction surveys: sent once when a request is resolved or closed (through the messaging
layer, to a real SMTP server on loopback), answered through signed one-click links that cannot
be altered, reused for another request or used after they expire, reported per month, agent and
category, and shown on the customer's timeline."""

from __future__ import annotations

import datetime
import email
import email.policy
import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kehu.customers.tests.factories import contact as make_contact
from kehu.customers.tests.factories import customer as make_customer
from kehu.service.actions import requests as req_acts
from kehu.service.actions import surveys
from kehu.service.models import ServiceRequest, SurveyResponse
from kehu.service.tests.factories.portal import survey as make_survey
from kehu.system.tests.messaging_smtp import SmtpSink

pytestmark = pytest.mark.django_db
S = ServiceRequest.Status


@pytest.fixture(autouse=True)
def english(client):
    from django.utils import translation

    client.cookies["django_language"] = "en"
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


@pytest.fixture
def agent(make_user):
    return make_user("service_agent", "a1")


def new_request(user, n, *, mail="li@customer.test", **kw):
    cust = make_customer(user, n)
    person = make_contact(user, n, customer=cust, email=mail)
    req = ServiceRequest(customer=cust, contact=person, subject=f"打印机卡纸 {n}", **kw)
    return req_acts.save_request(req, user=user, route=False)


def close(req, user, status=S.RESOLVED):
    return req_acts.move_request(req, status, user=user, resolution="更换了定影器")


def survey_links(sink) -> list[str]:
    msg = email.message_from_bytes(sink.received[-1].content, policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content()
    return re.findall(r"https://crm\.example\.com(/service/survey/[^\s]+)", text)


def test_resolving_sends_one_survey_with_a_link_per_score(
    agent, smtp, django_capture_on_commit_callbacks
):
    req = new_request(agent, 1)
    with django_capture_on_commit_callbacks(execute=True):
        close(req, agent)
    survey = SurveyResponse.objects.get(request=req)
    assert (survey.customer_id, survey.contact_id, survey.score) == (
        req.customer_id,
        req.contact_id,
        None,
    )
    assert len(smtp.received) == 1 and smtp.received[0].rcpt_tos == ["li@customer.test"]
    links = survey_links(smtp)
    assert [link.rstrip("/").rsplit("/", 1)[1] for link in links] == ["1", "2", "3", "4", "5"]
    # closing after resolving, or resolving again after a reopening, asks nobody twice
    with django_capture_on_commit_callbacks(execute=True):
        req_acts.move_request(req, S.IN_PROGRESS, user=agent)
        close(req, agent)
        close(req, agent, S.CLOSED)
    assert SurveyResponse.objects.filter(request=req).count() == 1
    assert len(smtp.received) == 1


def test_no_survey_without_a_contact_e_mail_and_none_for_open_requests(
    agent, smtp, django_capture_on_commit_callbacks
):
    req = new_request(agent, 2, mail="")
    with django_capture_on_commit_callbacks(execute=True):
        close(req, agent, S.CLOSED)
        other = new_request(agent, 3)
        req_acts.move_request(other, S.IN_PROGRESS, user=agent)
    assert not SurveyResponse.objects.exists() and not smtp.received
    assert surveys.send_survey(request_id=other.pk) is None


def test_a_click_records_the_score_and_the_page_takes_a_comment(
    agent, smtp, django_capture_on_commit_callbacks
):
    req = new_request(agent, 4)
    with django_capture_on_commit_callbacks(execute=True):
        close(req, agent)
    links = survey_links(smtp)
    visitor = Client(enforce_csrf_checks=True)
    visitor.cookies["django_language"] = "en"
    page = visitor.get(links[3])  # "4"
    assert page.status_code == 200 and "4 of 5" in page.content.decode()
    survey = SurveyResponse.objects.get(request=req)
    assert survey.score == 4 and survey.responded_at is not None
    # the form: CSRF-protected (no token: 403, nothing changed) …
    assert visitor.post(links[3], {"score": 2, "comment": "x"}).status_code == 403
    assert SurveyResponse.objects.get(pk=survey.pk).comment == ""
    # … and with the token it changes the score and keeps the comment
    token = visitor.cookies["csrftoken"].value
    done = visitor.post(
        links[3], {"score": 5, "comment": "师傅很专业", "csrfmiddlewaretoken": token}
    )
    assert done.status_code == 200 and 'id="survey-done"' in done.content.decode()
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (5, "师傅很专业")
    bad = visitor.post(links[3], {"score": 9, "csrfmiddlewaretoken": token})
    assert bad.status_code == 400
    assert SurveyResponse.objects.get(pk=survey.pk).score == 5


def test_links_cannot_be_forged_altered_reused_or_used_after_expiry(agent):
    first = make_survey(new_request(agent, 5), email="a@customer.test")
    second = make_survey(new_request(agent, 6), email="b@customer.test")
    token = surveys.make_token(first)
    client = Client()
    client.cookies["django_language"] = "en"

    def code(tok, score=3):
        return client.get(reverse("service:survey", args=[tok, score])).status_code

    assert code(token) == 200
    # the same signature on another request's or another recipient's values is refused
    value, _sep, sig = token.rpartition(":")
    req_id, survey_id, digest = value.split(":")[0].split(".")
    stamp = value.split(":")[1]
    for forged in (
        f"{second.request_id}.{survey_id}.{digest}:{stamp}:{sig}",
        f"{req_id}.{second.pk}.{digest}:{stamp}:{sig}",
        f"{second.request_id}.{second.pk}.{digest}:{stamp}:{sig}",
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "garbage",
        signing.TimestampSigner(salt="kehu.messaging.click").sign(
            f"{second.request_id}.{second.pk}.{digest}"
        ),
    ):
        assert code(forged) == 404, forged
    # a correctly signed token for survey 1 naming request 2 (other salt holders cannot make
    # one; we can): the survey and request must belong together
    mixed = signing.TimestampSigner(salt=surveys.SALT).sign(
        f"{second.request_id}.{first.pk}.{digest}"
    )
    assert code(mixed) == 404
    # another recipient's digest (the address changed since the survey was sent)
    wrong_to = signing.TimestampSigner(salt=surveys.SALT).sign(
        f"{first.request_id}.{first.pk}.0000000000000000"
    )
    assert code(wrong_to) == 404
    assert code(token, 0) == 404 and code(token, 6) == 404
    second.refresh_from_db()
    assert second.score is None
    # expired: a clear 410 page
    old = timezone.now() - datetime.timedelta(days=surveys.LINK_DAYS + 1)
    signer = signing.TimestampSigner(salt=surveys.SALT)
    signer.timestamp = lambda: signing.b62_encode(int(old.timestamp()))
    expired = signer.sign(f"{first.request_id}.{first.pk}.{digest}")
    page = client.get(reverse("service:survey", args=[expired, 3]))
    assert page.status_code == 410 and "expired" in page.content.decode()


def test_report_per_month_agent_and_category_with_response_rate(agent, make_user, client):
    other_agent = make_user("service_agent", "a1")
    year = timezone.localdate().year
    when = timezone.make_aware(datetime.datetime(year, 3, 10, 10))
    rows = [
        (agent, "repair", 5),
        (agent, "repair", 3),
        (agent, "install", None),
        (other_agent, "install", 1),
    ]
    for n, (who, category, score) in enumerate(rows):
        req = new_request(agent, 20 + n, category="", agent=who)
        s = make_survey(req, sent_at=when)
        s.category = category
        s.save()
        if score:
            surveys.record_answer(survey=s, score=score)
    by_month = {r.key: r for r in surveys.survey_report(agent, year=year, by="month")}
    march = by_month["3"]
    assert (march.sent, march.answered, march.average, march.response_rate) == (4, 3, 3.0, 75.0)
    by_agent = {r.key: r for r in surveys.survey_report(agent, year=year, by="agent")}
    assert by_agent[str(agent.pk)].average == 4.0 and by_agent[str(other_agent.pk)].average == 1.0
    by_cat = {r.key: r for r in surveys.survey_report(agent, year=year, by="category")}
    assert by_cat["repair"].answered == 2 and by_cat["install"].response_rate == 50.0
    total = surveys.survey_totals(list(by_month.values()))
    assert (total.sent, total.answered, total.average) == (4, 3, 3.0)
    # analytics' read: per customer and plain rows
    scores = surveys.customer_scores(agent)
    assert sorted(v for v, _n in scores.values()) == [1.0, 3.0, 5.0]
    assert len(list(surveys.survey_rows(agent))) == 3
    # the page
    client.force_login(agent)
    page = client.get(reverse("service:survey_report"), {"year": year, "by": "agent"})
    assert page.status_code == 200 and "75.0%" in page.content.decode()
    assert client.get(
        reverse("service:survey_report"), {"by": "nonsense", "year": "x"}
    ).status_code in (200, 400)


def test_report_and_timeline_follow_the_restricted_requests(agent, make_user, client):
    outsider = make_user("salesperson", "a2")
    rep = make_user("salesperson", "a1")
    req = new_request(rep, 40)
    surveys.record_answer(survey=make_survey(req), score=2, comment="等太久了")
    year = timezone.localdate().year
    assert sum(r.sent for r in surveys.survey_report(rep, year=year)) == 1
    assert sum(r.sent for r in surveys.survey_report(outsider, year=year)) == 0
    assert not surveys.customer_scores(outsider)
    from kehu.customers.timeline import timeline

    entries = timeline(req.customer, rep, limit=50).entries
    assert any(e.kind == "survey" and "2/5" in e.title for e in entries)


def test_customer_page_shows_the_survey_on_the_timeline(agent, client):
    req = new_request(agent, 41)
    surveys.record_answer(survey=make_survey(req), score=5, comment="很满意")
    client.force_login(agent)
    page = client.get(req.customer.get_absolute_url())
    assert page.status_code == 200
