"""Service requests from e-mail: a new message opens a request, answers thread into it by
In-Reply-To/References (never by subject), the same Message-ID delivered twice changes nothing,
unknown senders open a flagged request or are rejected by setting, and nothing a sender can put
in a message — malformed MIME, a 30 MB attachment, scripts in HTML, hostile file names,
auto-replies, loops — breaks the intake or reaches a page as markup."""

from __future__ import annotations

import base64
import email
import email.policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kehu.core.models import Attachment
from kehu.customers.models import Activity
from kehu.customers.tests.factories import contact as make_contact
from kehu.customers.tests.factories import customer as make_customer
from kehu.service.actions import mail
from kehu.service.actions import requests as req_acts
from kehu.service.models import InboundMessage, OutboundMessage, ServiceRequest
from kehu.system.tests.messaging_smtp import SmtpSink

pytestmark = pytest.mark.django_db
S = ServiceRequest.Status
PDF = b"%PDF-1.4\n% test\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def english(settings, client):
    from django.utils import translation

    client.cookies["django_language"] = "en"
    settings.KEHU_SERVICE_MAIL_ADDRESS = "service@kehu.test"
    settings.KEHU_SERVICE_MAIL_UNKNOWN_SENDERS = "open"
    with translation.override("en"):
        yield


@pytest.fixture
def world(make_user):
    rep = make_user("salesperson", "a1")
    cust = make_customer(rep, 1, name="甲公司")
    person = make_contact(rep, 1, customer=cust, email="Li.Lei@Customer.test", name="李雷")
    return {"rep": rep, "customer": cust, "contact": person}


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


def message(
    *,
    sender="李雷 <li.lei@customer.test>",
    subject="打印机卡纸",
    text="第二层纸盒一直卡纸。",
    html=None,
    message_id=None,
    in_reply_to=None,
    references=None,
    headers=None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "service@kehu.test"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = message_id or make_msgid(domain="customer.test")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    if text is not None:
        msg.set_content(text)
    if html is not None:
        if text is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    return msg


def receive(msg) -> mail.Intake:
    raw = msg if isinstance(msg, bytes) else msg.as_bytes()
    return mail.receive_message(raw=raw, recipient="service@kehu.test")


# --- New mail, threading, duplicates ------------------------------------------------------------


def test_new_mail_from_a_contact_opens_a_request_of_their_customer(world):
    msg = message()
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="发票.pdf")
    result = receive(msg)
    req = result.request
    assert not result.duplicate and result.message.status == InboundMessage.Status.OPENED
    assert req.customer == world["customer"] and req.contact == world["contact"]
    assert req.channel == ServiceRequest.Channel.EMAIL and not req.unknown_sender
    assert req.subject == "打印机卡纸" and "第二层纸盒一直卡纸。" in req.description
    assert req.owner == world["rep"] and req.number and req.first_response_due
    inbound = result.message
    assert (
        inbound.message_id == msg["Message-ID"] and inbound.from_address == "li.lei@customer.test"
    )
    assert inbound.from_name == "李雷" and inbound.contact == world["contact"]
    assert inbound.files[0]["name"] == "发票.pdf" and inbound.files[0]["token"]
    kept = Attachment.objects.get(token=inbound.files[0]["token"])
    assert kept.target == req and kept.file.read() == PDF
    assert inbound.raw is not None and inbound.raw.target == inbound
    assert inbound.raw.file.read() == msg.as_bytes()
    logged = Activity.objects.get(customer=world["customer"], kind=Activity.Kind.EMAIL)
    assert logged.linked == req and list(logged.contacts.all()) == [world["contact"]]


def test_replies_thread_by_in_reply_to_and_references_and_reopen_a_waiting_request(world):
    first = message()
    req = receive(first).request
    req_acts.move_request(req, S.WAITING, user=world["rep"])
    assert ServiceRequest.objects.get(pk=req.pk).paused_at is not None

    reply = message(
        subject="Re: 打印机卡纸", text="换了纸还是卡。", in_reply_to=first["Message-ID"]
    )
    result = receive(reply)
    assert result.message.status == InboundMessage.Status.THREADED and result.request == req
    req.refresh_from_db()
    assert req.status == S.IN_PROGRESS and req.paused_at is None  # the SLA clock runs again
    assert "in progress again" in result.message.notes
    # only References (a client that drops In-Reply-To), the known id among unknown ones
    other = message(subject="又一封", references=f"<unknown@x.test> {first['Message-ID']}")
    assert receive(other).request == req
    assert ServiceRequest.objects.count() == 1
    assert req.inbound_messages.count() == 3
    from kehu.core.models import Notification

    assert Notification.objects.filter(kind="service_mail", recipient=req.agent or req.owner)


def test_a_reply_to_an_unknown_message_id_opens_a_new_request_whatever_its_subject(world):
    req = receive(message()).request
    guess = message(
        subject=f"Re: 打印机卡纸 [{req.number}]", in_reply_to="<never-seen@customer.test>"
    )
    result = receive(guess)
    assert result.message.status == InboundMessage.Status.OPENED
    assert result.request != req and ServiceRequest.objects.count() == 2


def test_the_same_message_id_delivered_twice_changes_nothing(world):
    msg = message()
    first = receive(msg)
    again = receive(msg)
    assert again.duplicate and again.message.pk == first.message.pk
    # a mail server that rewrote the body on the second try: still the same message
    del msg["Subject"]
    msg["Subject"] = "different"
    assert receive(msg).duplicate
    assert ServiceRequest.objects.count() == 1 and InboundMessage.objects.count() == 1
    # without a Message-ID, identical bytes are one message too
    bare = message(subject="无 ID")
    del bare["Message-ID"]
    assert not receive(bare).duplicate and receive(bare).duplicate


def test_a_reply_to_a_closed_request_opens_a_follow_up(world):
    first = message()
    req = receive(first).request
    req_acts.move_request(req, S.CLOSED, user=world["rep"], resolution="换了搓纸轮")
    result = receive(message(subject="Re: 打印机卡纸", in_reply_to=first["Message-ID"]))
    assert result.message.status == InboundMessage.Status.OPENED and result.request != req
    assert req.number in result.request.description and req.number in result.message.notes


def test_the_customers_answer_to_a_sent_reply_threads_by_its_message_id(world, smtp):
    first = message()
    req = receive(first).request
    defaults = mail.reply_defaults(req)
    assert defaults["to"] == "li.lei@customer.test" and req.number in defaults["subject"]
    out = mail.send_reply(
        request=req, user=world["rep"], to=defaults["to"], subject=defaults["subject"],
        text="请换一下搓纸轮。", wait=True,
    )  # fmt: skip
    sent = email.message_from_bytes(smtp.received[-1].content, policy=email.policy.default)
    assert sent["Message-ID"] == out.message_id and sent["In-Reply-To"] == first["Message-ID"]
    assert first["Message-ID"] in sent["References"] and sent["Reply-To"] == "service@kehu.test"
    req.refresh_from_db()
    assert req.status == S.WAITING and req.first_response_at is not None
    # the customer answers our reply only (no reference to their own first message)
    answer = message(subject=f"Re: {sent['Subject']}", in_reply_to=sent["Message-ID"])
    result = receive(answer)
    assert result.request == req and result.message.status == InboundMessage.Status.THREADED
    req.refresh_from_db()
    assert req.status == S.IN_PROGRESS
    # the next reply refers to the whole thread
    out2 = mail.send_reply(
        request=req, user=world["rep"], to=defaults["to"], subject="", text="好的"
    )
    assert out2.in_reply_to == answer["Message-ID"] and out.message_id in out2.references


def test_a_reply_is_refused_with_a_reason_not_sent(world, smtp):
    req = receive(message()).request
    with pytest.raises(ValidationError) as bad:
        mail.send_reply(request=req, user=world["rep"], to="not an address", subject="", text="x")
    assert "to" in bad.value.message_dict
    with pytest.raises(ValidationError):
        mail.send_reply(request=req, user=world["rep"], to="a@b.test", subject="", text="  ")
    smtp.stop()  # the mail server is down: the agent is told, nothing is recorded
    with pytest.raises(ValidationError) as down:
        mail.send_reply(request=req, user=world["rep"], to="a@b.test", subject="s", text="hello")
    assert "mail server" in down.value.messages[0]
    assert not OutboundMessage.objects.exists() and smtp.received == []


# --- Unknown senders, automatic mail, loops ------------------------------------------------------


def test_an_unknown_sender_opens_a_request_without_customer_flagged(world, settings, admin_user):
    result = receive(message(sender="stranger@elsewhere.test", subject="报价?"))
    req = result.request
    assert result.message.status == InboundMessage.Status.OPENED
    assert req.customer is None and req.unknown_sender and req.owner == admin_user
    assert "Unknown sender" in req.entitlement_note
    assert not Activity.objects.exists()  # no customer to log it on
    # an agent chooses the customer: the flag goes, the entitlement is checked
    req.customer = world["customer"]
    req_acts.save_request(req, user=world["rep"])
    req.refresh_from_db()
    assert not req.unknown_sender and "Unknown sender" not in req.entitlement_note
    # and a customer cannot be taken off again, nor a request made without one by hand
    req.customer = None
    with pytest.raises(ValidationError):
        req_acts.save_request(req, user=world["rep"])
    with pytest.raises(ValidationError):
        req_acts.save_request(ServiceRequest(subject="x"), user=world["rep"])


def test_unknown_senders_are_rejected_when_the_setting_says_so(world, settings):
    settings.KEHU_SERVICE_MAIL_UNKNOWN_SENDERS = "reject"
    msg = message(sender="stranger@elsewhere.test")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="a.pdf")
    result = receive(msg)
    assert result.message.status == InboundMessage.Status.REJECTED
    assert result.message.reason == InboundMessage.Reason.UNKNOWN_SENDER
    assert result.request is None and not ServiceRequest.objects.exists()
    assert result.message.files[0]["token"] == "" and result.message.raw is not None
    # a known contact still gets through
    assert receive(message()).message.status == InboundMessage.Status.OPENED


def test_an_address_shared_by_contacts_of_two_customers_matches_neither(world, admin_user):
    other = make_customer(world["rep"], 2, name="乙公司")
    make_contact(world["rep"], 2, customer=other, email="li.lei@customer.test")
    result = receive(message())
    assert result.request.customer is None and result.request.unknown_sender
    assert "2 customers" in result.message.notes


def test_automatic_mail_opens_nothing_and_does_not_reopen(world):
    bounce = message(sender="MAILER-DAEMON@mx.customer.test", subject="Undelivered")
    assert receive(bounce).message.reason == InboundMessage.Reason.AUTOMATIC
    first = message()
    req = receive(first).request
    req_acts.move_request(req, S.WAITING, user=world["rep"])
    away = message(
        subject="Automatic reply: out of office",
        in_reply_to=first["Message-ID"],
        headers={"Auto-Submitted": "auto-replied"},
    )
    result = receive(away)
    assert result.request == req and result.message.automatic
    req.refresh_from_db()
    assert req.status == S.WAITING  # an out-of-office answer is no answer
    loop = message(sender="service@kehu.test", subject="looping")
    assert receive(loop).message.reason == InboundMessage.Reason.OWN_ADDRESS
    assert ServiceRequest.objects.count() == 1


# --- Hostile and broken input ---------------------------------------------------------------------


def test_script_in_html_is_dropped_and_only_text_is_kept(world):
    html = (
        "<html><head><title>t</title><style>p{color:red}</style>"
        "<script>alert('head')</script></head><body><p>您好，</p>"
        "<p>打印机<b>卡纸</b>了<br>请尽快处理。</p><script>alert(document.cookie)</script>"
        "<img src=x onerror=alert(2)><a href='javascript:alert(3)'>点我</a>"
        "<a href='https://kb.example.com/a'>手册</a><svg><script>alert(4)</script></svg>"
        "<iframe src='https://evil.test'></iframe>&lt;script&gt;escaped&lt;/script&gt;</body></html>"
    )
    result = receive(message(text=None, html=html))
    inbound, req = result.message, result.request
    assert inbound.from_html
    assert "您好，" in inbound.text and "打印机卡纸了\n请尽快处理。" in inbound.text
    assert "(https://kb.example.com/a)" in inbound.text
    for bad in ("alert", "color:red", "onerror", "javascript", "evil.test", "<img", "<p>"):
        assert bad not in inbound.text and bad not in req.description
    assert "<script>escaped</script>" in inbound.text  # text that reads like a tag stays text
    # a plain text part is preferred to its HTML alternative
    both = receive(message(text="纯文本", html="<p>HTML</p><script>x()</script>")).message
    assert both.text == "纯文本" and not both.from_html


def test_a_30_mb_attachment_is_dropped_with_a_note_and_the_rest_kept(world, settings):
    big = base64.encodebytes(b"\0" * (30 * 2**20)).decode()
    boundary = "BOUNDARY-x"
    raw = (
        "From: li.lei@customer.test\r\nTo: service@kehu.test\r\nSubject: big\r\n"
        f"Message-ID: <big@customer.test>\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n照片在附件。\r\n"
        f"--{boundary}\r\nContent-Type: application/pdf\r\n"
        'Content-Disposition: attachment; filename="scan.pdf"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{big}\r\n"
        f"--{boundary}\r\nContent-Type: application/pdf\r\n"
        'Content-Disposition: attachment; filename="small.pdf"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{base64.encodebytes(PDF).decode()}\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    assert len(raw) > 40 * 2**20
    result = receive(raw)
    inbound = result.message
    assert inbound.status == InboundMessage.Status.OPENED and inbound.text == "照片在附件。"
    scan, small = inbound.files
    assert scan["token"] == "" and "larger than 20 MB" in scan["note"]
    assert scan["size"] >= 30 * 2**20 and small["token"]
    assert [a.name for a in Attachment.objects.filter(object_id=str(result.request.pk))
            if a.target == result.request] == ["small.pdf"]  # fmt: skip
    # the raw copy is capped: its headers only
    assert inbound.size == len(raw) and inbound.raw.size < 1000
    assert "headers are kept" in inbound.notes


def test_a_message_over_the_limit_keeps_its_headers_and_still_opens_a_request(world, settings):
    settings.KEHU_SERVICE_MAIL_MAX_BYTES = 10_000
    msg = message(text="x" * 20_000, subject="超大")
    result = receive(msg)
    assert result.message.status == InboundMessage.Status.OPENED
    assert result.request.subject == "超大" and result.message.text == ""
    assert "over the" in result.message.notes


def test_hostile_file_names_and_types(world):
    msg = message()
    msg.add_attachment(b"MZ\x90\x00", maintype="application", subtype="octet-stream",
                       filename="invoice\u202efdp.exe")  # fmt: skip
    msg.add_attachment(b"<html><script>x()</script>", maintype="text", subtype="html",
                       filename="page.html")  # fmt: skip
    msg.add_attachment(b"not a pdf", maintype="application", subtype="pdf",
                       filename="../../etc/passwd.pdf")  # fmt: skip
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="ok.pdf")
    files = receive(msg).message.files
    names = [f["name"] for f in files]
    assert names == ["invoicefdp.exe", "page.html", "_.._etc_passwd.pdf", "ok.pdf"]
    assert [bool(f["token"]) for f in files] == [False, False, False, True]
    assert "cannot be attached" in files[0]["note"] and "does not match" in files[2]["note"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage \x00\r\n\r\n\x00",
        b"From: li.lei@customer.test\r\nSubject: =?utf-8?B?broken\r\n"
        b"Content-Type: multipart/mixed\r\n\r\nno boundary at all\r\n",
        b"From: li.lei@customer.test\r\nMessage-ID: <cs@x>\r\n"
        b"Content-Type: text/plain; charset=no-such-charset\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n",
        b"From: =?x?q?\xff?= <<<>>>, @@@\r\nTo: ,,,\r\nDate: 31 Feb 99999\r\n"
        b"In-Reply-To: <a> <b\r\nReferences: " + b"<x> " * 5000 + b"\r\n\r\nbody",
        b"From: li.lei@customer.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\nnot a message\r\n--b\r\n"
        b'Content-Type: application/pdf; name="x.pdf"\r\nContent-Transfer-Encoding: base64\r\n'
        b"\r\n%%%\r\n",
    ],
    ids=["empty", "binary", "no-boundary", "bad-charset", "bad-headers", "broken-parts"],
)
def test_malformed_mime_never_breaks_the_intake(world, admin_user, raw):
    result = receive(raw)
    inbound = result.message
    assert inbound.pk and inbound.message_id.startswith("<") and len(inbound.message_id) <= 255
    if inbound.from_address:
        assert inbound.status == InboundMessage.Status.OPENED and result.request.number
    else:
        assert inbound.reason == InboundMessage.Reason.NO_SENDER
    assert receive(raw).duplicate


def test_message_ids_are_read_strictly():
    assert mail.message_ids("<a@x> junk <b@y>\r\n\t<a@x>") == ["<a@x>", "<b@y>"]
    assert mail.message_ids("bare@id") == ["<bare@id>"]
    assert mail.message_ids("two bare words") == []
    long_id = "<" + "x" * 400 + "@y>"
    assert mail.message_ids(long_id) == mail.message_ids(f"{long_id} ")
    assert len(mail.message_ids(long_id)[0]) < 100
    assert len(mail.message_ids(" ".join(f"<{n}@x>" for n in range(200)))) == mail.MAX_REFERENCES


# --- The request page: the thread, shown escaped, and the reply form ---------------------------


def test_the_request_page_shows_the_thread_escaped(world, client):
    hostile = message(
        sender='"<b>Evil</b>" <li.lei@customer.test>',
        subject="<img src=x onerror=alert(1)>",
        text="<script>alert('text')</script>\n第二行",
    )
    hostile.add_attachment(PDF, maintype="application", subtype="pdf",
                           filename="<svg onload=alert(2)>.pdf")  # fmt: skip
    html_only = message(text=None, html="<p>你好</p><script>alert('html')</script>")
    req = receive(hostile).request
    receive(message(text=None, html=html_only.get_content(), in_reply_to=hostile["Message-ID"]))
    client.force_login(world["rep"])
    page = client.get(req.get_absolute_url()).content.decode()
    assert 'id="request-mail"' in page
    assert "&lt;script&gt;alert(&#x27;text&#x27;)&lt;/script&gt;\n第二行" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "&lt;b&gt;Evil&lt;/b&gt;" in page
    assert "&lt;svg onload=alert(2)&gt;.pdf" in page
    for raw in ("<script>alert", "<img src=x", "<b>Evil", "<svg onload", "alert('html')"):
        assert raw not in page
    assert "converted from HTML" in page and "你好" in page
    assert "Original" in page and 'name="to" value="li.lei@customer.test"' in page


def test_the_original_is_a_download_for_those_who_see_the_request_only(world, client, make_user):
    result = receive(message())
    url = f"/service/service-requests/{result.request.pk}/mail/original/{result.message.raw.token}/"
    client.force_login(world["rep"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == result.message.raw.file.open("rb").read()
    client.force_login(make_user("salesperson", "a2"))
    assert client.get(url).status_code == 404  # another salesperson's request: not found
    client.force_login(world["rep"])
    other = receive(message(subject="另一个")).message
    wrong = f"/service/service-requests/{result.request.pk}/mail/original/{other.raw.token}/"
    assert client.get(wrong).status_code == 404  # an original of another request


def test_replying_from_the_page_sends_with_threading_headers(world, client, smtp, make_user):
    first = message()
    req = receive(first).request
    client.force_login(world["rep"])
    url = f"/service/service-requests/{req.pk}/mail/reply/"
    response = client.post(
        url, {"to": "li.lei@customer.test", "subject": "Re: 打印机卡纸", "text": "已安排工程师。",
              "wait": "on"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"].endswith("#request-mail")
    sent = email.message_from_bytes(smtp.received[-1].content, policy=email.policy.default)
    out = OutboundMessage.objects.get()
    assert sent["Message-ID"] == out.message_id and sent["In-Reply-To"] == first["Message-ID"]
    assert sent.get_content().strip() == "已安排工程师。" and out.sent_by == world["rep"]
    req.refresh_from_db()
    assert req.status == S.WAITING
    page = client.get(req.get_absolute_url()).content.decode()
    assert "已安排工程师。" in page and f'id="mail-out-{out.pk}"' in page
    # bad input: a message, not a 500, and nothing sent
    bad = client.post(url, {"to": "nobody", "subject": "", "text": "x"}, follow=True)
    assert bad.status_code == 200 and "no e-mail address" in bad.content.decode()
    assert OutboundMessage.objects.count() == 1 and len(smtp.received) == 1
    # an agent who may read the request but not change it, and a stranger to it
    client.force_login(make_user("service_agent", "a2"))
    assert client.post(url, {"to": "a@b.test", "text": "x"}).status_code == 403
    client.force_login(make_user("salesperson", "a2"))
    assert client.post(url, {"to": "a@b.test", "text": "x"}).status_code == 404
    assert OutboundMessage.objects.count() == 1


def test_the_page_costs_the_same_queries_with_more_mail(world, client, smtp):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = message()
    first.add_attachment(PDF, maintype="application", subtype="pdf", filename="first.pdf")
    req = receive(first).request
    mail.send_reply(request=req, user=world["rep"], to="li.lei@customer.test", subject="", text="a")
    client.force_login(world["rep"])
    client.get(req.get_absolute_url())

    def count() -> int:
        client.get(req.get_absolute_url())  # the inbox badge's count is cached: fill it
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(req.get_absolute_url()).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for n in range(4):
        reply = message(subject=f"Re {n}", in_reply_to=first["Message-ID"])
        reply.add_attachment(PDF, maintype="application", subtype="pdf", filename=f"{n}.pdf")
        receive(reply)
        mail.send_reply(request=req, user=world["rep"], to="a@b.test", subject="", text=str(n))
    assert count() == before


def test_an_unknown_sender_request_is_flagged_and_its_customer_chosen_on_edit(
    world, client, admin_user
):
    req = receive(message(sender="stranger@elsewhere.test")).request
    client.force_login(admin_user)
    page = client.get(req.get_absolute_url()).content.decode()
    assert 'id="request-unknown-sender"' in page
    listed = client.get("/service/service-requests/?unknown_sender=true").content.decode()
    assert req.number in listed
    edit = client.get(f"/service/service-requests/{req.pk}/edit/")
    assert edit.status_code == 200


def test_demo_mail_threads_through_the_real_intake(world, admin_user):
    from kehu.core.demo import DemoContext
    from kehu.service.demo.mail import service_mail

    for n in range(2, 8):
        cust = make_customer(world["rep"], n)
        make_contact(world["rep"], n, customer=cust, email=f"demo{n}@customer.test")
    ctx = DemoContext(seed=3, customers=7, employees=2, out=lambda s: None)
    service_mail(ctx)
    statuses = set(InboundMessage.objects.values_list("status", flat=True))
    assert statuses == {"opened", "threaded", "rejected"}
    assert OutboundMessage.objects.exists()
    assert ServiceRequest.objects.filter(unknown_sender=True, customer=None).count() == 1
    for answer in InboundMessage.objects.filter(status="threaded"):
        assert answer.request.outbound_messages.filter(message_id=answer.in_reply_to).exists()
        assert answer.request.status == S.IN_PROGRESS  # it waited on the customer's answer
    answered = ServiceRequest.objects.filter(outbound_messages__isnull=False).distinct()
    assert answered and not answered.filter(first_response_at=None).exists()
    count = InboundMessage.objects.count()
    service_mail(ctx)  # a second run adds nothing
    assert InboundMessage.objects.count() == count
