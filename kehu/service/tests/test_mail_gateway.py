"""The two entry points of the mail intake, run for real as the mail server would run them:
``kehu mail-intake`` as a separate process reading a message on stdin (a Postfix pipe), and
``kehu mail-gateway`` as a separate process listening on a free loopback port, sent to with
smtplib. Both store into the test database, so the tests commit (``transaction=True``)."""

from __future__ import annotations

import io
import os
import smtplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from kehu.core.tests.test_worker import test_database_url
from kehu.customers.tests.factories import contact as make_contact
from kehu.customers.tests.factories import customer as make_customer
from kehu.service.models import InboundMessage, ServiceRequest
from kehu.system.tests.messaging_smtp import free_port

pytestmark = pytest.mark.django_db(transaction=True)
MAX_BYTES = 200_000


def environment(**extra) -> dict:
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="kehu.settings_test",
        DATABASE_URL=test_database_url(),
        KEHU_SERVICE_MAIL_ADDRESS="service@kehu.test",
        KEHU_SERVICE_MAIL_MAX_BYTES=str(MAX_BYTES),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@pytest.fixture
def known(make_user):
    rep = make_user("salesperson", "a1")
    cust = make_customer(rep, 1, name="甲公司")
    return make_contact(rep, 1, customer=cust, email="li.lei@customer.test", name="李雷")


def message(*, subject="打印机卡纸", in_reply_to=None, body="第二层纸盒一直卡纸。") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "李雷 <li.lei@customer.test>"
    msg["To"] = "service@kehu.test"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="customer.test")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    msg.set_content(body)
    return msg


def intake(raw: bytes, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kehu.cli", "mail-intake", "--recipient", "service@kehu.test"],
        input=raw,
        env=environment(**env),
        capture_output=True,
        timeout=60,
    )


def test_mail_intake_reads_a_message_on_stdin_like_a_postfix_pipe(known, tmp_path):
    first = message()
    done = intake(first.as_bytes())
    assert done.returncode == 0, done.stderr.decode()
    req = ServiceRequest.objects.get()
    assert f"opened {req.number}" in done.stdout.decode()
    assert req.customer == known.customer and req.channel == ServiceRequest.Channel.EMAIL
    answer = intake(message(subject="Re: 打印机卡纸", in_reply_to=first["Message-ID"]).as_bytes())
    assert answer.returncode == 0 and f"threaded {req.number}" in answer.stdout.decode()
    # the same command in this process (each process takes seconds to start): the same
    # message again, and one over the limit (read to its end, its headers kept)
    path = tmp_path / "first.eml"
    path.write_bytes(first.as_bytes())
    out = io.StringIO()
    call_command("mail-intake", file=str(path), stdout=out)
    assert "duplicate" in out.getvalue()
    path.write_bytes(message(subject="大附件", body="x" * (3 * MAX_BYTES)).as_bytes())
    with override_settings(KEHU_SERVICE_MAIL_MAX_BYTES=MAX_BYTES):
        call_command("mail-intake", file=str(path), stdout=out)
    big = InboundMessage.objects.get(subject="大附件")
    assert big.size > 3 * MAX_BYTES and big.request and big.text == ""
    assert list(InboundMessage.objects.values_list("status", flat=True).order_by("pk")) == [
        "opened",
        "threaded",
        "opened",
    ]
    with pytest.raises(CommandError) as unreadable:
        call_command("mail-intake", file=str(tmp_path / "missing.eml"))
    assert unreadable.value.returncode == 75


def test_mail_intake_asks_the_mail_server_to_retry_when_it_cannot_store(known, tmp_path):
    failed = intake(
        message().as_bytes(), DATABASE_URL=f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3"
    )
    assert failed.returncode == 75  # EX_TEMPFAIL: Postfix keeps the message and tries again
    assert "try again later" in failed.stderr.decode()
    assert not InboundMessage.objects.exists()


def wait_for_port(port: int, proc: subprocess.Popen, log_path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the gateway exited:\n{log_path.read_text()}")
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"the gateway did not listen:\n{log_path.read_text()}")


@pytest.fixture
def gateway(tmp_path):
    port = free_port()
    log_path = tmp_path / "gateway.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kehu.cli", "mail-gateway", "--host", "127.0.0.1",
             "--port", str(port)],
            env=environment(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_for_port(port, proc, log_path)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, log_path.read_text()
    assert "stopped" in log_path.read_text()


def test_mail_gateway_takes_smtp_mail_into_requests_and_threads_replies(known, gateway):
    first = message()
    with smtplib.SMTP("127.0.0.1", gateway, timeout=30) as smtp:
        refused = smtp.send_message(first, to_addrs=["service@kehu.test"])
        assert refused == {}
        # 250 is only said once the message is stored
        req = ServiceRequest.objects.get()
        assert req.customer == known.customer and req.subject == "打印机卡纸"
        reply = message(subject="Re: 打印机卡纸", in_reply_to=first["Message-ID"])
        smtp.send_message(reply)
        assert InboundMessage.objects.get(message_id=reply["Message-ID"]).request == req
        # the mail server delivering the first message once more
        smtp.send_message(first)
        # over KEHU_SERVICE_MAIL_MAX_BYTES: refused at the SMTP level (the sender is told)
        with pytest.raises(smtplib.SMTPException) as too_big:
            smtp.send_message(message(subject="too big", body="y" * (2 * MAX_BYTES)))
        assert getattr(too_big.value, "smtp_code", 0) == 552
    assert ServiceRequest.objects.count() == 1
    assert InboundMessage.objects.count() == 2
    assert req.inbound_messages.count() == 2
