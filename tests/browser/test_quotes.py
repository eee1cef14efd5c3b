"""Build a quote with two lines in the editor (HTMX rows, product picker), see the warning that
a colleague quoted this customer another price, save, and download the PDF."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kehu.core.context import acting_as
from kehu.customers.tests.factories import customer
from kehu.sales.actions.quotes import save_quote
from kehu.sales.models import Quote
from kehu.sales.tests.factories.quotes import product

pytestmark = pytest.mark.browser


def test_quote_with_two_lines_price_history_and_pdf(web, make_user):
    seller = make_user("salesperson", "a1", display_name="李娜")
    manager = make_user("sales_manager", "a1", display_name="王强")
    sensor = product(
        1, name="工业温度传感器", list_price=Decimal("1280"), floor_price=Decimal("900")
    )
    service = product(
        2, name="现场安装调试服务", list_price=Decimal("600"), floor_price=Decimal("0")
    )
    with acting_as(seller):
        cust = customer(seller, 1, name="苏州恒瑞精密机械有限公司")
    with acting_as(manager):  # the colleague's earlier, cheaper quote
        save_quote(
            quote=Quote(title="电话询价", customer=cust),
            lines=[{"product": sensor, "unit_price": "1150"}],
            user=manager,
        )
    web.login(seller.username)
    page = web.page
    web.goto(f"/sales/quotes/add/?customer={cust.number}")
    page.locator("#id_title").fill("2027 年度传感器采购报价")
    for n, (item, quantity) in enumerate([(sensor, "10"), (service, "2")], start=1):
        page.locator("#add-line").click()
        row = page.locator(f"#line-{n}")
        expect(row).to_be_visible()
        web.settled()
        row.locator("input[name=line-product]").fill(item.code)
        row.locator("input[name=line-product]").dispatch_event("change")
        web.settled()
        expect(page.locator(f"#line-{n} input[name=line-unit_price]")).not_to_have_value("")
        page.locator(f"#line-{n} input[name=line-quantity]").fill(quantity)
        page.locator(f"#line-{n} input[name=line-quantity]").dispatch_event("change")
        web.settled()
    first = page.locator("#line-1")
    expect(first.locator("input[name=line-unit_price]")).to_have_value("1280")
    expect(first.locator("[data-price-history]")).to_contain_text("同事")  # outside her scope
    expect(first.locator("[data-line-total]")).to_contain_text("12,800")
    web.screenshot("quote-editor")
    with page.expect_navigation():
        page.locator("form.card button[type=submit]").click()
    quote = Quote.objects.get(title="2027 年度传感器采购报价")
    assert quote.lines.count() == 2
    assert quote.total == Decimal("15820.00")  # (12800 + 1200) + 13 % tax
    expect(page.locator("[data-quote-total]")).to_contain_text("15,820")
    expect(page.locator("[data-price-history]").first).to_be_visible()
    with page.expect_download() as download:
        page.locator("a[data-pdf=zh-hans]").click()
    content = Path(download.value.path()).read_bytes()
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "苏州恒瑞精密机械有限公司" in text and "工业温度传感器" in text and "15,820.00" in text
