"""Quotes: totals and rounding, refusals, price sources, the floor price, the price history
warning, versions, decisions, the PDF's text, e-mail through a real SMTP server, the API."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kehu.customers.tests.factories import customer as make_customer
from kehu.sales.actions import quotes as actions
from kehu.sales.models import PriceAgreement, Quote
from kehu.sales.tests.factories.quotes import product as make_product


@pytest.fixture
def seller(make_user):
    return make_user("salesperson", "a1")


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager", "a1")


def new_quote(user, customer, lines, **kw):
    quote = Quote(title=kw.pop("title", "年度采购报价"), customer=customer, **kw)
    return actions.save_quote(quote=quote, lines=lines, user=user)


def test_totals_rounded_half_up_with_the_quote_decimals(seller):
    cust = make_customer(seller, 1)
    widget = make_product(1, list_price=Decimal("10.005"), floor_price=Decimal("0"))
    quote = new_quote(
        seller,
        cust,
        [{"product": widget, "quantity": "3", "unit_price": "10.005", "discount_percent": "0"}],
    )
    line = quote.lines.get()
    assert line.unit_price == Decimal("10.01")  # 10.005 → 10.01 (half up, not to even)
    assert line.line_total == Decimal("30.03")
    assert quote.subtotal == Decimal("30.03")
    assert quote.tax_total == Decimal("3.90")  # 13 % of 30.03 = 3.9039
    assert quote.total == Decimal("33.93")
    assert quote.number.startswith("BJ")


def test_amounts_follow_the_decimal_parameters(seller):
    from kehu.system.models import SystemParameters
    from kehu.system.params import get_params

    get_params()
    row = SystemParameters.objects.get(pk=1)
    row.quote_amount_decimals = 0
    row.quote_quantity_decimals = 1
    row.save()

    assert get_params().quote_amount_decimals == 0
    cust = make_customer(seller, 2)
    p = make_product(2, floor_price=Decimal("0"))
    quote = new_quote(seller, cust, [{"product": p, "quantity": "1.25", "unit_price": "2.5"}])
    line = quote.lines.get()
    assert line.quantity == Decimal("1.3")  # 1.25 → 1.3 half up
    assert line.unit_price == Decimal("3")  # 2.5 → 3 half up
    assert line.line_total == Decimal("4")  # 1.3 × 3 = 3.9 → 4


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ({"quantity": "-1"}, "negative_quantity"),
        ({"quantity": "0"}, "negative_quantity"),
        ({"discount_percent": "101"}, "bad_discount"),
        ({"discount_percent": "-5"}, "bad_discount"),
        ({"unit_price": "-0.01"}, "negative_price"),
        ({"quantity": "abc"}, "bad_number"),
        ({"quantity": "NaN"}, "bad_number"),
    ],
)
def test_bad_lines_are_refused(seller, line, code):
    cust = make_customer(seller, 3)
    p = make_product(3)
    with pytest.raises(ValidationError) as exc:
        new_quote(seller, cust, [{"product": p, **line}])
    assert exc.value.error_dict["lines"][0].code == code
    assert not Quote.objects.exists()


def test_currency_must_be_the_system_currency(seller):
    cust = make_customer(seller, 4)
    with pytest.raises(ValidationError) as exc:
        new_quote(seller, cust, [{"product": make_product(4)}], currency="USD")
    assert "CNY" in str(exc.value)


def test_only_a_draft_can_be_changed(seller):
    cust = make_customer(seller, 5)
    quote = new_quote(seller, cust, [{"product": make_product(5)}])
    actions.accept_quote(quote=quote, user=seller)
    quote = Quote.objects.get(pk=quote.pk)
    quote.title = "改标题"
    with pytest.raises(ValidationError) as exc:
        actions.save_quote(quote=quote, lines=None, user=seller)
    assert exc.value.code == "not_draft"


def test_price_sources_in_order(seller):
    from kehu.system.models import PriceListItem

    cust = make_customer(seller, 6, level="vip")
    p = make_product(6, list_price=Decimal("100"), floor_price=Decimal("50"))
    assert actions.default_price(customer=cust, product=p).source == "list"
    PriceListItem(product=p, customer_level="vip", price=Decimal("90")).save()
    got = actions.default_price(customer=cust, product=p)
    assert (got.price, got.source) == (Decimal("90.00"), "level")
    PriceAgreement(customer=cust, product=p, price=Decimal("80")).save()
    got = actions.default_price(customer=cust, product=p)
    assert (got.price, got.source) == (Decimal("80.00"), "agreement")
    quote = new_quote(seller, cust, [{"product": p, "quantity": "2"}])
    line = quote.lines.get()
    assert (line.unit_price, line.price_source, line.tax_rate) == (
        Decimal("80.00"),
        "agreement",
        Decimal("13"),
    )


def test_an_expired_agreement_does_not_apply(seller):
    import datetime

    cust = make_customer(seller, 7)
    p = make_product(7)
    PriceAgreement(
        customer=cust, product=p, price=Decimal("70"), valid_to=datetime.date(2020, 1, 1)
    ).save()
    assert actions.default_price(customer=cust, product=p).source == "list"


def test_below_the_floor_needs_the_permission_or_an_approval(seller, manager, admin_user):
    from kehu.core.permissions import SpecialPermission
    from kehu.system.approvals import approve, pending_approval
    from kehu.system.approvals.actions import current_approvers

    assert not seller.has_perm(SpecialPermission.SELL_BELOW_FLOOR)
    cust = make_customer(seller, 8)
    p = make_product(8, list_price=Decimal("100"), floor_price=Decimal("60"))
    # Someone who may sell below the floor: saved, nothing to approve.
    allowed = new_quote(admin_user, cust, [{"product": p, "unit_price": "55"}])
    assert allowed.total == Decimal("62.15") and allowed.floor_approval == ""
    # A salesperson: saved, but waiting for an approval, locked, not sendable.
    quote = new_quote(seller, cust, [{"product": p, "unit_price": "100", "discount_percent": "50"}])
    assert quote.floor_approval == "pending"
    request = pending_approval(quote)
    assert request is not None and request.kind == "sales.price_below_floor"
    assert "60" in str(request.data)
    with pytest.raises(ValidationError) as exc:
        actions.send_quote(quote=quote, user=seller, to=["a@example.com"])
    assert exc.value.code in ("below_floor", "approval_pending")
    with pytest.raises(ValidationError):
        actions.accept_quote(quote=quote, user=seller)
    with pytest.raises(ValidationError):  # locked while the request is pending
        quote.title = "改"
        actions.save_quote(quote=quote, lines=None, user=seller)
    approver = current_approvers(request)[0]
    approve(request=request, user=approver)
    quote = Quote.objects.get(pk=quote.pk)
    assert quote.floor_approval == "approved"
    assert actions.accept_quote(quote=quote, user=seller).status == "accepted"


def test_price_history_warns_within_the_data_scope(seller, manager):
    cust = make_customer(seller, 9)
    p = make_product(9, floor_price=Decimal("0"))
    new_quote(seller, cust, [{"product": p, "unit_price": "100"}])
    theirs = new_quote(manager, cust, [{"product": p, "unit_price": "90"}])
    # The manager sees the salesperson's quote: who, what and when.
    seen = actions.price_history(
        customer_id=cust.pk, product_id=p.pk, user=manager, unit_price=Decimal("90")
    )
    assert len(seen) == 1 and seen[0].visible and seen[0].unit_price == Decimal("100.00")
    assert seller.username in seen[0].message() and "100" in seen[0].message()
    # The salesperson may not see the manager's quote: only that a colleague quoted.
    hidden = actions.price_history(
        customer_id=cust.pk, product_id=p.pk, user=seller, unit_price=Decimal("100")
    )
    assert len(hidden) == 1 and not hidden[0].visible
    assert "90" not in hidden[0].message() and manager.username not in hidden[0].message()
    # The same price as the others (the quote itself left out): no warning.
    assert not actions.price_history(
        customer_id=cust.pk,
        product_id=p.pk,
        user=manager,
        unit_price=Decimal("100"),
        exclude_number=theirs.number,
    )


def test_new_version_copies_lines_and_supersedes(seller):
    cust = make_customer(seller, 10)
    quote = new_quote(seller, cust, [{"product": make_product(10)}, {"product": make_product(11)}])
    copy = actions.new_version(quote=quote, user=seller)
    quote.refresh_from_db()
    assert quote.status == "superseded"
    assert (copy.version_no, copy.previous_id, copy.number, copy.status) == (
        2,
        quote.pk,
        quote.number,
        "draft",
    )
    assert copy.lines.count() == 2 and copy.total == quote.total
    assert [v.pk for v in actions.versions_of(copy, seller)] == [copy.pk, quote.pk]
    with pytest.raises(ValidationError):
        actions.new_version(quote=quote, user=seller)


def test_accept_and_reject(seller):
    cust = make_customer(seller, 12)
    quote = new_quote(seller, cust, [{"product": make_product(12)}])
    with pytest.raises(ValidationError) as exc:
        actions.reject_quote(quote=quote, user=seller, reason="  ")
    assert exc.value.error_dict["reason"][0].code == "reason_required"
    rejected = actions.reject_quote(quote=quote, user=seller, reason="价格太高")
    assert (rejected.status, rejected.reject_reason) == ("rejected", "价格太高")
    with pytest.raises(ValidationError):
        actions.accept_quote(quote=rejected, user=seller)
    copy = actions.new_version(quote=rejected, user=seller)
    assert actions.accept_quote(quote=copy, user=seller).status == "accepted"


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_pdf_in_chinese_and_english(client, seller, settings, tmp_path):
    from django.core.files.base import ContentFile
    from PIL import Image

    from kehu.system.models import SystemParameters
    from kehu.system.params import get_params

    settings.MEDIA_ROOT = str(tmp_path)
    get_params()
    params = SystemParameters.objects.get(pk=1)
    params.company_name = "杭州客户云科技有限公司"
    logo = io.BytesIO()
    Image.new("RGB", (40, 20), (13, 110, 253)).save(logo, "PNG")
    params.logo.save("logo.png", ContentFile(logo.getvalue()), save=False)
    params.save()
    cust = make_customer(seller, 13, name="上海华光精密仪器有限公司")
    p = make_product(13, name="工业传感器", floor_price=Decimal("0"))
    p2 = make_product(14, name="安装服务", floor_price=Decimal("0"))
    quote = new_quote(
        seller,
        cust,
        [
            {"product": p, "quantity": "3", "unit_price": "1234.5"},
            {"product": p2, "quantity": "1", "unit_price": "800", "discount_percent": "10"},
        ],
    )
    client.force_login(seller)
    zh = client.get(reverse("sales:quote_pdf", args=[quote.pk]) + "?lang=zh-hans")
    assert zh.status_code == 200 and zh["Content-Type"] == "application/pdf"
    text = pdf_text(zh.content)
    assert "上海华光精密仪器有限公司" in text and "报价单" in text
    assert "工业传感器" in text and "安装服务" in text and "杭州客户云科技有限公司" in text
    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(zh.content)).pages[0].images) == 1  # the logo
    assert f"{quote.total:,.2f}" in text  # 3 × 1234.50 + 720 = 4423.50, + 13 % tax
    en = pdf_text(client.get(reverse("sales:quote_pdf", args=[quote.pk]) + "?lang=en").content)
    assert "Quote" in en and "Total" in en and "上海华光精密仪器有限公司" in en


def test_an_outsider_gets_no_pdf(client, seller, make_user):
    quote = new_quote(seller, make_customer(seller, 15), [{"product": make_product(15)}])
    outsider = make_user("salesperson", "b")
    client.force_login(outsider)
    assert client.get(reverse("sales:quote_pdf", args=[quote.pk])).status_code == 404


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    import socket

    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "sales@kehu.test"
    yield received
    controller.stop()


def test_send_by_email_attaches_the_pdf(client, seller, smtp_server):
    import email

    from kehu.core.models import AuditLog
    from kehu.customers.models import Activity

    cust = make_customer(seller, 16, name="杭州云帆科技")
    quote = new_quote(seller, cust, [{"product": make_product(16)}])
    client.force_login(seller)
    response = client.post(
        reverse("sales:quote_send", args=[quote.pk]),
        {"to": "buyer@example.com", "subject": "", "message": "请查收", "language": "zh-hans"},
    )
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.status == "sent" and quote.sent_at is not None
    assert len(smtp_server) == 1 and smtp_server[0].rcpt_tos == ["buyer@example.com"]
    message = email.message_from_bytes(smtp_server[0].content)
    pdfs = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1 and "杭州云帆科技" in pdf_text(pdfs[0].get_payload(decode=True))
    assert Activity.objects.filter(customer=cust, kind="email").count() == 1
    assert AuditLog.objects.filter(object_id=str(quote.pk), changes__has_key="sent_to").exists()


def test_api_refuses_bad_lines_with_400_and_computes_totals(client, seller):
    cust = make_customer(seller, 17)
    p = make_product(17, floor_price=Decimal("0"))
    client.force_login(seller)
    body = {
        "title": "API 报价",
        "customer": cust.pk,
        "lines": [{"product": p.pk, "quantity": "-2"}],
    }
    bad = client.post("/api/quotes/", body, content_type="application/json")
    assert bad.status_code == 400 and "lines" in bad.json()
    body["lines"] = [
        {"product": p.pk, "quantity": "2", "unit_price": "50", "discount_percent": "150"}
    ]
    assert client.post("/api/quotes/", body, content_type="application/json").status_code == 400
    body["lines"] = [{"product": p.pk, "quantity": "2"}]
    body["total"] = "1"  # read-only: the server computes it
    ok = client.post("/api/quotes/", body, content_type="application/json")
    assert ok.status_code == 201, ok.content
    data = ok.json()
    assert data["total"] in ("226.00", "226.000000", "226")
    assert data["line_items"][0]["price_source"] == "list"
    accepted = client.post(f"/api/quotes/{data['id']}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    again = client.patch(
        f"/api/quotes/{data['id']}/",
        {"title": "x", "version": accepted.json()["version"]},
        content_type="application/json",
    )
    assert again.status_code == 400


def test_editor_saves_the_grid_and_shows_the_history_warning(client, seller, manager):
    cust = make_customer(seller, 18, name="南京星河贸易")
    p = make_product(18, floor_price=Decimal("0"))
    p2 = make_product(19, floor_price=Decimal("0"))
    new_quote(manager, cust, [{"product": p, "unit_price": "95"}])
    client.force_login(seller)
    response = client.post(
        reverse("sales:quote_add"),
        {
            "title": "网页报价",
            "customer": cust.number,
            "currency": "",
            "lines_submitted": "1",
            "line-product": [f"{p.code} {p.name}", p2.code, ""],
            "line-quantity": ["2", "1", "1"],
            "line-unit_price": ["", "10", ""],
            "line-discount_percent": ["0", "0", "0"],
            "line-tax_rate": ["", "", ""],
            "line-description": ["", "", ""],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    quote = Quote.objects.get(title="网页报价")
    assert quote.lines.count() == 2 and quote.total == Decimal("237.30")
    page = client.get(response["Location"]).content.decode()
    assert "data-price-history" in page and "237.3" in page
    row = client.get(
        reverse("sales:quote_line_row"),
        {"part": "row", "index": "1", "customer": cust.number, "line-product": p.code},
    ).content.decode()
    assert 'value="100"' in row and "data-price-history" in row


def test_customer_page_shows_quotes_and_price_history(client, seller):
    cust = make_customer(seller, 20)
    p = make_product(20, floor_price=Decimal("0"))
    new_quote(seller, cust, [{"product": p, "unit_price": "100"}])
    new_quote(seller, cust, [{"product": p, "unit_price": "88"}])
    client.force_login(seller)
    page = client.get(reverse("customers:customer_detail", args=[cust.pk])).content.decode()
    assert "data-customer-quotes" in page and "data-customer-prices" in page


def test_a_row_without_a_customer_is_priced_from_the_list(client, seller):
    p = make_product(21, floor_price=Decimal("0"))
    client.force_login(seller)
    row = client.get(
        reverse("sales:quote_line_row"),
        {"part": "row", "index": "1", "customer": "", "line-product": p.code},
    )
    assert row.status_code == 200 and 'value="100"' in row.content.decode()
    info = client.get(
        reverse("sales:quote_line_row"),
        {"part": "info", "index": "1", "line-product": p.code, "line-quantity": "x"},
    )
    assert info.status_code == 200 and "data-line-error" in info.content.decode()
