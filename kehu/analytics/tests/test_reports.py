"""Saved pivot reports: save, open with a rolling period, only one's own, e-mailed on schedule
as CSV through a real SMTP server on loopback, in the owner's scope."""

from __future__ import annotations

import datetime
import email
import socket
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone


@pytest.fixture
def smtp_server(settings):
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    yield received
    controller.stop()


def _order(owner, cust, n, day, total):
    from kehu.sales.models import SalesOrder
    from kehu.sales.models.orders import SalesOrderLine
    from kehu.sales.tests.factories.orders import product

    order = SalesOrder(
        number=f"RP-{owner.pk}-{n}",
        customer=cust,
        currency="CNY",
        order_date=day,
        status="confirmed",
        total=Decimal(total),
        owner=owner,
        department=owner.department,
    )
    order.save()
    line = SalesOrderLine(
        order=order, product=product(f"RP{n}"), unit_price=Decimal(total), line_total=Decimal(total)
    )
    line.save()


@pytest.mark.django_db
def test_save_open_and_delete_only_ones_own(client, make_user):
    from kehu.analytics.models import SavedReport

    seller = make_user("salesperson", "a1")
    seller.email = "a@kehu.test"
    seller.save()
    other = make_user("salesperson", "a1")
    client.force_login(seller)
    response = client.post(
        reverse("analytics:report_save"),
        {
            "name": " 季度收入 ",
            "query": "measure=revenue&rows=quarter&columns=city&format=csv&junk=1",
            "window_days": "90",
            "schedule": "weekly",
        },
    )
    assert response.status_code == 302
    report = SavedReport.objects.get(user=seller)
    assert report.name == "季度收入" and report.schedule == "weekly"
    assert report.query == "measure=revenue&rows=quarter&columns=city"  # format, junk dropped
    opened = client.get(reverse("analytics:report_open", args=[report.pk]))
    today = timezone.localdate()
    start = today - datetime.timedelta(days=89)
    assert f"from={start.isoformat()}" in opened["Location"]
    assert f"to={today.isoformat()}" in opened["Location"]
    page = client.get(reverse("analytics:pivot")).content.decode()
    assert "季度收入" in page.split('id="saved-reports"')[1]

    # the same name again, a bad dimension, a bad window: refused with a message, nothing saved
    for data in (
        {"name": "季度收入", "query": "rows=city"},
        {"name": "坏的", "query": "rows=nope"},
        {"name": "坏的", "query": "rows=city", "window_days": "0"},
        {"name": "坏的", "query": "rows=city", "window_days": "x"},
    ):
        assert client.post(reverse("analytics:report_save"), data).status_code == 302
    assert SavedReport.objects.count() == 1

    client.force_login(other)
    assert client.get(reverse("analytics:report_open", args=[report.pk])).status_code == 404
    assert client.post(reverse("analytics:report_delete", args=[report.pk])).status_code == 404
    client.force_login(seller)
    assert client.post(reverse("analytics:report_delete", args=[report.pk])).status_code == 302
    assert not SavedReport.objects.exists()


@pytest.mark.django_db
def test_scheduled_reports_are_mailed_as_csv_in_the_owners_scope(make_user, smtp_server):
    from kehu.analytics.reports import do_save_report, send_due_reports
    from kehu.customers.tests.factories import customer

    seller = make_user("salesperson", "a1")
    seller.email = "a@kehu.test"
    seller.save()
    rival = make_user("salesperson", "b")
    mine = customer(seller, 1, city="杭州")
    theirs = customer(rival, 2, city="广州")
    _order(seller, mine, 1, datetime.date(2026, 11, 20), 300)
    _order(rival, theirs, 2, datetime.date(2026, 11, 21), 999)
    do_save_report(
        user=seller,
        name="按城市",
        query="measure=revenue&rows=city",
        schedule="weekly",
        window_days=30,
        language="en",
    )
    do_save_report(user=seller, name="不发送", query="rows=city")
    monday = timezone.make_aware(datetime.datetime(2026, 11, 30, 7, 0))
    tuesday = monday + datetime.timedelta(days=1)
    assert send_due_reports(now=tuesday) == 0  # weekly: Mondays only
    assert send_due_reports(now=monday) == 1
    assert send_due_reports(now=monday + datetime.timedelta(hours=1)) == 0  # once that day
    assert len(smtp_server) == 1 and smtp_server[0].rcpt_tos == ["a@kehu.test"]
    message = email.message_from_bytes(smtp_server[0].content)
    assert "按城市" in str(email.header.make_header(email.header.decode_header(message["Subject"])))
    attachment = next(p for p in message.walk() if p.get_filename())
    text = attachment.get_payload(decode=True).decode("utf-8-sig")
    assert "杭州" in text and "300" in text
    assert "广州" not in text and "999" not in text  # the rival's order is out of scope
    assert text.splitlines()[0].startswith("City")  # the language it was saved in
