"""A deal's products: prices from the customer's terms, the deal's amount as their sum, refusals,
data scope through the page, the API and a quote made from them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kehu.core.models import AuditLog
from kehu.sales.actions import opportunity_lines as actions
from kehu.sales.actions.pipeline import move_stage
from kehu.sales.models import Opportunity, OpportunityLine, PriceAgreement, Quote, Stage
from kehu.sales.tests.factories.pipeline import opportunity as make_deal
from kehu.sales.tests.factories.quotes import product as make_product


@pytest.fixture
def seller(make_user):
    return make_user("salesperson", "a1")


@pytest.fixture
def other(make_user):
    return make_user("salesperson", "a2")


def test_lines_price_from_the_customer_and_set_the_amount(seller):
    deal = make_deal(seller, 1)
    widget = make_product(1, list_price=Decimal("200"), floor_price=Decimal("0"))
    gadget = make_product(2, list_price=Decimal("50"), floor_price=Decimal("0"))
    PriceAgreement.objects.create(customer=deal.customer, product=widget, price=Decimal("180"))
    actions.add_deal_line(opportunity=deal, user=seller, product=widget, quantity="3")
    actions.add_deal_line(
        opportunity=deal,
        user=seller,
        product=gadget,
        quantity="2",
        unit_price="40",
        discount_percent="12.5",
    )
    lines = list(deal.lines.order_by("position"))
    assert [line.unit_price for line in lines] == [Decimal("180.00"), Decimal("40.00")]
    assert [line.line_total for line in lines] == [Decimal("540.00"), Decimal("70.00")]
    deal.refresh_from_db()
    assert deal.amount == Decimal("610.00")  # was 100,000: the products decide now
    assert AuditLog.for_object(deal).filter(action="update").exists()
    # a typed amount no longer applies while the deal has products
    deal.amount = Decimal("1")
    from kehu.sales.actions.pipeline import save_opportunity

    save_opportunity(deal, user=seller)
    deal.refresh_from_db()
    assert deal.amount == Decimal("610.00")
    actions.remove_deal_line(line=lines[1], user=seller)
    deal.refresh_from_db()
    assert deal.amount == Decimal("540.00")


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"quantity": "0"}, "bad_quantity"),
        ({"quantity": "-2"}, "bad_quantity"),
        ({"quantity": "abc"}, "bad_quantity"),
        ({"quantity": "NaN"}, "bad_quantity"),
        ({"unit_price": "-1"}, "bad_price"),
        ({"discount_percent": "100.01"}, "bad_discount"),
        ({"product": None}, "no_product"),
    ],
)
def test_bad_lines_are_refused_with_a_code(seller, kw, code):
    deal = make_deal(seller, 1)
    args = {"product": make_product(1), "quantity": "1", **kw}
    with pytest.raises(ValidationError) as exc:
        actions.add_deal_line(opportunity=deal, user=seller, **args)
    codes = [e.code for errors in exc.value.error_dict.values() for e in errors]
    assert codes == [code]
    assert not OpportunityLine.objects.exists()


def test_closed_deals_and_outsiders_cannot_change_products(seller, other):
    deal = make_deal(seller, 1)
    p = make_product(1, floor_price=Decimal("0"))
    with pytest.raises(PermissionDenied):
        actions.add_deal_line(opportunity=deal, user=other, product=p)
    won = Stage.objects.filter(pipeline=deal.pipeline, kind=Stage.Kind.WON).first()
    move_stage(user=seller, opportunity=deal, stage=won)
    with pytest.raises(ValidationError) as exc:
        actions.add_deal_line(opportunity=deal, user=seller, product=p)
    assert exc.value.error_dict["product"][0].code == "closed"


def test_page_card_adds_and_removes_with_htmx(client, seller, other):
    deal = make_deal(seller, 1)
    p = make_product(1, list_price=Decimal("99"), floor_price=Decimal("0"))
    client.force_login(seller)
    page = client.get(deal.get_absolute_url())
    assert page.status_code == 200
    assert b'id="deal-line-form"' in page.content
    url = reverse("sales:deal_line_add", args=[deal.pk])
    added = client.post(url, {"product": p.pk, "quantity": "2"}, HTTP_HX_REQUEST="true")
    assert added.status_code == 200
    assert 'id="deal-lines-total">198<' in added.content.decode()
    refused = client.post(url, {"product": p.pk, "quantity": "-1"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422
    assert OpportunityLine.objects.count() == 1
    line = OpportunityLine.objects.get()
    # another salesperson's deal: not found, nothing removed
    client.force_login(other)
    gone = client.post(reverse("sales:deal_line_remove", args=[deal.pk, line.pk]))
    assert gone.status_code == 404
    assert OpportunityLine.objects.count() == 1
    client.force_login(seller)
    removed = client.post(reverse("sales:deal_line_remove", args=[deal.pk, line.pk]))
    assert removed.status_code == 302
    assert not OpportunityLine.objects.exists()


def test_quote_from_the_deal_copies_its_products(client, seller):
    deal = make_deal(seller, 1)
    p = make_product(1, list_price=Decimal("100"), floor_price=Decimal("0"))
    client.force_login(seller)
    empty = client.post(reverse("sales:deal_quote", args=[deal.pk]))
    assert empty.status_code == 302 and not Quote.objects.exists()
    actions.add_deal_line(
        opportunity=deal, user=seller, product=p, quantity="4", discount_percent="10"
    )
    made = client.post(reverse("sales:deal_quote", args=[deal.pk]))
    quote = Quote.objects.get()
    assert made.status_code == 302 and made["Location"] == reverse(
        "sales:quote_edit", args=[quote.pk]
    )
    assert quote.opportunity_id == deal.pk and quote.customer_id == deal.customer_id
    line = quote.lines.get()
    assert (line.quantity, line.unit_price, line.discount_percent) == (
        Decimal("4"),
        Decimal("100.00"),
        Decimal("10"),
    )
    assert quote.subtotal - quote.discount_total == Opportunity.objects.get(pk=deal.pk).amount


def test_api_lists_adds_and_removes_products(client, seller, other):
    deal = make_deal(seller, 1)
    p = make_product(1, list_price=Decimal("10"), floor_price=Decimal("0"))
    client.force_login(seller)
    url = f"/api/opportunities/{deal.pk}/products/"
    assert client.get(url).json() == []
    added = client.post(url, {"product": p.pk, "quantity": "5"}, content_type="application/json")
    assert added.status_code == 201, added.content
    assert Decimal(added.json()[0]["line_total"]) == Decimal("50")
    bad = client.post(url, {"product": p.pk, "quantity": "0"}, content_type="application/json")
    assert bad.status_code == 400
    line_id = added.json()[0]["id"]
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.post(f"{url}{line_id}/remove/").status_code == 404
    client.force_login(seller)
    assert client.post(f"{url}{line_id}/remove/").json() == []


def test_demo_deal_products_sum_to_the_amounts(seller):
    from django.db.models import Sum

    from kehu.core.demo import DemoContext
    from kehu.sales.demo.opportunity_lines import deal_products

    for n in range(1, 31):
        make_deal(seller, n)
    for n in range(1, 6):
        make_product(n, floor_price=Decimal("0"))
    ctx = DemoContext(seed=3, customers=400, employees=1, out=lambda s: None)
    deal_products(ctx)
    with_lines = Opportunity.objects.filter(lines__isnull=False).distinct()
    assert 5 < with_lines.count() < 30
    for deal in with_lines:
        assert deal.amount == deal.lines.aggregate(s=Sum("line_total"))["s"]
    before = OpportunityLine.objects.count()
    deal_products(ctx)  # idempotent
    assert OpportunityLine.objects.count() == before


def test_deal_and_quote_pages_show_readable_history(client, admin_user):
    """Both pages use the shared history card: field labels and values, not an empty line."""
    deal = make_deal(admin_user, 1)
    p = make_product(1, list_price=Decimal("10"), floor_price=Decimal("0"))
    actions.add_deal_line(opportunity=deal, user=admin_user, product=p, quantity="3")
    quote = actions.quote_from_deal(opportunity=deal, user=admin_user)
    quote.title = "新标题"
    from kehu.sales.actions.quotes import save_quote

    save_quote(quote=quote, user=admin_user)
    client.force_login(admin_user)
    for url, field in (
        (deal.get_absolute_url(), "amount"),
        (reverse("sales:quote_detail", args=[quote.pk]), "title"),
    ):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        history = html[html.index("audit-history") :]
        assert f'data-field="{field}"' in history, url
