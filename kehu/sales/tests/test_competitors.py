"""Competitors and market intelligence: their rules, a deal's competitors (refusals, data
scope, the outcome when the deal is won, lost to one of them or reopened), the API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from kehu.core.models import AuditLog
from kehu.sales.actions import competitors as actions
from kehu.sales.actions.pipeline import move_stage
from kehu.sales.models import Competitor, DealCompetitor, IntelligenceNote, Opportunity, Stage
from kehu.sales.tests.factories.competitors import competitor as make_competitor
from kehu.sales.tests.factories.competitors import competitor_product as make_price
from kehu.sales.tests.factories.pipeline import opportunity as make_deal


@pytest.fixture
def seller(make_user):
    return make_user("salesperson", "a1")


@pytest.fixture
def other(make_user):
    return make_user("salesperson", "a2")


def _codes(exc) -> list[str]:
    return [e.code for errors in exc.value.error_dict.values() for e in errors]


def _stage(deal, kind):
    return Stage.objects.filter(pipeline=deal.pipeline, kind=kind).order_by("position").first()


def test_competitor_names_are_unique_and_trimmed(seller):
    first = actions.save_competitor(Competitor(name="  用友网络 "), user=seller)
    assert first.name == "用友网络"
    with pytest.raises(ValidationError) as exc:
        actions.save_competitor(Competitor(name="用友网络"), user=seller)
    assert _codes(exc) == ["duplicate"]


def test_price_rows_round_default_currency_and_refuse_negative(seller):
    from kehu.sales.models import CompetitorProduct
    from kehu.system.params import get_params

    rival = make_competitor(seller, 1)
    row = actions.save_competitor_product(
        CompetitorProduct(competitor=rival, name="U8 Cloud", price=Decimal("12345.678")),
        user=seller,
    )
    assert row.price == Decimal("12345.68")
    assert row.currency == get_params().currency
    with pytest.raises(ValidationError) as exc:
        actions.save_competitor_product(
            CompetitorProduct(competitor=rival, name="U8", price=Decimal("-1")), user=seller
        )
    assert _codes(exc) == ["bad_price"]
    # a second price of the same product is history, newest first
    make_price(seller, 2, competitor=rival, name="U8 Cloud", price=Decimal("9000"))
    history = actions.price_history(rival)
    assert [p.price for p in history] == [Decimal("12345.68"), Decimal("9000.00")]


def test_deal_competitors_add_update_remove_audited(seller):
    deal = make_deal(seller, 1)
    rival = make_competitor(seller, 1)
    link = actions.add_deal_competitor(
        opportunity=deal, user=seller, competitor=rival, offered_price="88,000"
    )
    assert link.offered_price == Decimal("88000.00")
    assert link.status == DealCompetitor.Status.ACTIVE
    assert AuditLog.for_object(link).filter(action="create").exists()
    with pytest.raises(ValidationError) as exc:
        actions.add_deal_competitor(opportunity=deal, user=seller, competitor=rival)
    assert _codes(exc) == ["duplicate"]
    link = actions.update_deal_competitor(link=link, user=seller, offered_price="90000")
    assert link.offered_price == Decimal("90000.00")
    actions.remove_deal_competitor(link=link, user=seller)
    assert not DealCompetitor.objects.filter(opportunity=deal).exists()


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"competitor": None}, "no_competitor"),
        ({"offered_price": "-5"}, "bad_price"),
        ({"offered_price": "abc"}, "bad_price"),
        ({"offered_price": "Infinity"}, "bad_price"),
        ({"status": "maybe"}, "bad_status"),
    ],
)
def test_bad_deal_competitors_are_refused(seller, kw, code):
    deal = make_deal(seller, 1)
    args = {"competitor": make_competitor(seller, 1), **kw}
    with pytest.raises(ValidationError) as exc:
        actions.add_deal_competitor(opportunity=deal, user=seller, **args)
    assert _codes(exc) == [code]


def test_inactive_competitor_cannot_join_a_deal(seller):
    rival = make_competitor(seller, 1, active=False)
    with pytest.raises(ValidationError) as exc:
        actions.add_deal_competitor(opportunity=make_deal(seller, 1), user=seller, competitor=rival)
    assert _codes(exc) == ["inactive"]


def test_someone_elses_deal_is_refused(seller, other):
    deal = make_deal(other, 1)
    with pytest.raises(PermissionDenied):
        actions.add_deal_competitor(
            opportunity=deal, user=seller, competitor=make_competitor(seller, 1)
        )


def test_outcome_follows_the_deal(seller):
    deal = make_deal(seller, 1)
    a, b, c = (make_competitor(seller, i) for i in (1, 2, 3))
    for rival in (a, b):
        actions.add_deal_competitor(opportunity=deal, user=seller, competitor=rival)
    # lost to a competitor that was not yet recorded: it is added, as the winner
    deal = move_stage(
        user=seller, opportunity=deal, stage=_stage(deal, "lost"), lost_reason="价格", lost_to=c
    )
    statuses = dict(
        DealCompetitor.objects.filter(opportunity=deal).values_list("competitor", "status")
    )
    assert statuses == {a.pk: "active", b.pk: "active", c.pk: "they_won"}
    # reopened: everyone back in the race; won: they all lost to us
    deal = move_stage(user=seller, opportunity=deal, stage=_stage(deal, "open"))
    assert set(
        DealCompetitor.objects.filter(opportunity=deal).values_list("status", flat=True)
    ) == {"active"}
    deal = move_stage(user=seller, opportunity=deal, stage=_stage(deal, "won"))
    assert deal.status == Opportunity.Status.WON
    assert set(
        DealCompetitor.objects.filter(opportunity=deal).values_list("status", flat=True)
    ) == {"we_won"}


def test_competitor_in_deals_cannot_be_deleted_others_can(seller):
    used, unused = make_competitor(seller, 1), make_competitor(seller, 2)
    actions.add_deal_competitor(opportunity=make_deal(seller, 1), user=seller, competitor=used)
    make_price(seller, 1, competitor=unused)
    note = IntelligenceNote(title="降价", competitor=unused)
    actions.save_intelligence_note(note, user=seller)
    with pytest.raises(ValidationError) as exc:
        actions.delete_competitor(user=seller, obj=used)
    assert _codes(exc) == ["in_use"]
    actions.delete_competitor(user=seller, obj=unused)
    assert not Competitor.objects.filter(pk=unused.pk).exists()
    note.refresh_from_db()
    assert note.competitor_id is None


def test_note_takes_the_deals_customer(seller, other):
    deal = make_deal(seller, 1)
    note = actions.save_intelligence_note(
        IntelligenceNote(title="  招标文件 ", opportunity=deal), user=seller
    )
    assert (note.title, note.customer_id, note.owner_id) == (
        "招标文件",
        deal.customer_id,
        seller.pk,
    )
    another = make_deal(seller, 2)
    with pytest.raises(ValidationError) as exc:
        actions.save_intelligence_note(
            IntelligenceNote(title="x", opportunity=deal, customer=another.customer), user=seller
        )
    assert _codes(exc) == ["mismatch"]


def test_deal_filter_by_competitor(seller, client):
    from kehu.sales.filters.pipeline import OpportunityFilterSet

    rival = make_competitor(seller, 1)
    d1, _d2 = make_deal(seller, 1), make_deal(seller, 2)
    actions.add_deal_competitor(opportunity=d1, user=seller, competitor=rival)
    qs = OpportunityFilterSet(
        {"competitor": str(rival.pk)}, Opportunity.objects.all(), user=seller
    ).qs
    assert list(qs) == [d1]
    client.force_login(seller)
    body = client.get(f"/api/opportunities/?competitor={rival.pk}").json()
    assert [row["id"] for row in body["results"]] == [d1.pk]


def test_api_deal_competitors_and_lost_to(seller, other, client):
    deal = make_deal(seller, 1)
    rival = make_competitor(seller, 1)
    client.force_login(seller)
    url = f"/api/opportunities/{deal.pk}/competitors/"
    response = client.post(
        url, {"competitor": rival.pk, "offered_price": "1000"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()[0]["offered_price"].startswith("1000")
    response = client.post(url, {"competitor": rival.pk}, content_type="application/json")
    assert response.status_code == 400
    lost = _stage(deal, "lost")
    response = client.post(
        f"/api/opportunities/{deal.pk}/move/",
        {"stage": lost.pk, "lost_reason": "价格", "lost_to": rival.pk},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert client.get(url).json()[0]["status"] == "they_won"
    response = client.post(
        f"/api/opportunities/{deal.pk}/move/",
        {"stage": lost.pk, "lost_reason": "价格", "lost_to": 999999},
        content_type="application/json",
    )
    assert response.status_code == 400
    # another salesperson's deal: not found
    client.force_login(other)
    assert client.get(url).status_code == 404


# --- The deal page ----------------------------------------------------------------------------------


def test_deal_page_card_add_update_remove_with_htmx(seller, client):
    from kehu.core.testing import picker_choices

    deal = make_deal(seller, 1)
    rival = make_competitor(seller, 1)
    make_competitor(seller, 2, active=False)
    client.force_login(seller)
    page = client.get(deal.get_absolute_url())
    html = page.content.decode()
    assert 'id="competitors"' in html and "deal-competitor-form" in html
    assert "competitors" not in [str(label) for label, _v in page.context["fields"]]
    assert picker_choices(client, html, "competitor", "竞争") == [str(rival.pk)]
    htmx = {"HTTP_HX_REQUEST": "true"}
    url = f"/sales/opportunities/{deal.pk}/competitors/add/"
    response = client.post(url, {"competitor": rival.pk, "offered_price": "95000"}, **htmx)
    assert response.status_code == 200
    assert 'value="95000"' in response.content.decode()
    link = DealCompetitor.objects.get(opportunity=deal)
    # refused: a second time, with the message in the card (422)
    response = client.post(url, {"competitor": rival.pk}, **htmx)
    assert response.status_code == 422
    assert "已在该商机中" in response.content.decode()  # the seller's language
    response = client.post(
        f"/sales/opportunities/{deal.pk}/competitors/{link.pk}/",
        {"offered_price": "-1", "status": "active"},
        **htmx,
    )
    assert response.status_code == 422
    response = client.post(
        f"/sales/opportunities/{deal.pk}/competitors/{link.pk}/",
        {"offered_price": "90000", "status": "they_won"},
        **htmx,
    )
    assert response.status_code == 200
    link.refresh_from_db()
    assert (link.offered_price, link.status) == (Decimal("90000.00"), "they_won")
    response = client.post(f"/sales/opportunities/{deal.pk}/competitors/{link.pk}/remove/")
    assert response.status_code == 302
    assert not DealCompetitor.objects.filter(opportunity=deal).exists()


def test_deal_page_of_someone_else(seller, other, client):
    deal = make_deal(other, 1)
    rival = make_competitor(seller, 1)
    client.force_login(seller)
    response = client.post(
        f"/sales/opportunities/{deal.pk}/competitors/add/", {"competitor": rival.pk}
    )
    assert response.status_code == 404
    assert not DealCompetitor.objects.exists()


def test_legacy_text_shown_only_when_filled(seller, client):
    deal = make_deal(seller, 1, competitors="金蝶, 用友")
    client.force_login(seller)
    html = client.get(deal.get_absolute_url()).content.decode()
    assert "金蝶, 用友" in html


def test_mark_lost_to_a_competitor_on_the_page(seller, client):
    deal = make_deal(seller, 1)
    rival = make_competitor(seller, 1)
    lost = _stage(deal, "lost")
    client.force_login(seller)
    html = client.get(deal.get_absolute_url()).content.decode()
    assert 'data-name="lost_to"' in html
    response = client.post(
        f"/sales/opportunities/{deal.pk}/move/",
        {"stage": lost.pk, "version": deal.version, "lost_reason": "价格", "lost_to": rival.pk},
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.status == "lost"
    assert DealCompetitor.objects.get(opportunity=deal).status == "they_won"
    # a competitor that does not exist: refused, the deal unchanged
    deal2 = make_deal(seller, 2)
    response = client.post(
        f"/sales/opportunities/{deal2.pk}/move/",
        {"stage": lost.pk, "version": deal2.version, "lost_reason": "价格", "lost_to": "999999"},
    )
    deal2.refresh_from_db()
    assert deal2.status == "open"
    response = client.post(
        f"/sales/opportunities/{deal2.pk}/move/",
        {"stage": lost.pk, "version": deal2.version, "lost_reason": "价格", "lost_to": "x"},
    )
    assert response.status_code == 400


# --- Intelligence notes in the timelines -----------------------------------------------------------


def test_notes_on_the_customer_timeline_and_the_deal_page(seller, other, client):
    import datetime

    from kehu.customers.timeline import timeline

    deal = make_deal(seller, 1)
    rival = make_competitor(seller, 1)
    mine = actions.save_intelligence_note(
        IntelligenceNote(
            title="对手报价九折",
            opportunity=deal,
            competitor=rival,
            source="customer",
            date=datetime.date(2026, 3, 2),
        ),
        user=seller,
    )
    # another salesperson's note about the same customer: not in my timeline (data scope)
    actions.save_intelligence_note(
        IntelligenceNote(title="别人的情报", customer=deal.customer), user=other
    )
    with translation.override("en"):
        page = timeline(deal.customer, seller, kinds=["intelligence"])
        assert [e.title for e in page.entries] == ["Intelligence: 对手报价九折"]
    assert page.entries[0].url == mine.get_absolute_url()
    # before the note's day: not on that page
    before = timezone_at(datetime.date(2026, 3, 1))
    from kehu.sales.timeline.competitors import customer_notes

    assert list(customer_notes(deal.customer, seller, before=before, limit=5)) == []
    client.force_login(seller)
    html = client.get(deal.get_absolute_url()).content.decode()
    assert "对手报价九折" in html and "别人的情报" not in html
    response = client.post(
        f"/sales/opportunities/{deal.pk}/notes/add/",
        {"title": "招标文件要求国产化", "source": "tender", "body": "须支持信创"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "招标文件要求国产化" in response.content.decode()
    note = IntelligenceNote.objects.get(title="招标文件要求国产化")
    assert (note.opportunity_id, note.customer_id, note.owner_id) == (
        deal.pk,
        deal.customer_id,
        seller.pk,
    )
    response = client.post(
        f"/sales/opportunities/{deal.pk}/notes/add/", {"title": " "}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    # a deal I may not see: 404, nothing written
    hidden = make_deal(other, 2)
    response = client.post(f"/sales/opportunities/{hidden.pk}/notes/add/", {"title": "x"})
    assert response.status_code == 404


def timezone_at(day):
    from kehu.sales.timeline.competitors import note_time

    return note_time(day)


def test_competitors_import(seller, make_user):
    from kehu.core.imports import ImportContext, Row, importers
    from kehu.sales.actions.competitors_import import CompetitorImporter

    assert "sales.competitor" in importers
    make_competitor(seller, 1, name="金蝶")
    manager = make_user("sales_manager", "a1")
    importer = CompetitorImporter()
    ctx = ImportContext(user=manager, mode="create", dry_run=False, batch="c" * 32, options={})
    importer.prepare(ctx)
    rows = [
        Row(number=n, raw=[], values=values)
        for n, values in enumerate(
            [
                {"name": "用友", "website": "https://www.yonyou.com", "strengths": "渠道广"},
                {"name": "  浪潮 ", "website": "not a url"},
                {"name": "金蝶"},
                {"name": "用友"},
            ],
            2,
        )
    ]
    importer.process(rows, ctx)
    assert [row.outcome for row in rows] == ["created", "error", "error", "duplicate"]
    assert set(Competitor.objects.values_list("name", flat=True)) == {"金蝶", "用友"}
    assert AuditLog.objects.filter(action="create", content_type__model="competitor").count() >= 1


# --- Win/loss per competitor ----------------------------------------------------------------------


def test_win_loss_report_reconciles_with_the_deals(
    seller, other, client, django_assert_max_num_queries
):
    from kehu.sales.competitor_reports import win_loss

    a, b = make_competitor(seller, 1, name="甲公司"), make_competitor(seller, 2, name="乙公司")
    deals = [
        make_deal(seller, n, amount=Decimal(amount))
        for n, amount in ((1, "100000"), (2, "200000"), (3, "50000"), (4, "80000"))
    ]
    actions.add_deal_competitor(
        opportunity=deals[0], user=seller, competitor=a, offered_price="90000"
    )
    actions.add_deal_competitor(
        opportunity=deals[1], user=seller, competitor=a, offered_price="150000"
    )
    actions.add_deal_competitor(opportunity=deals[2], user=seller, competitor=a)
    actions.add_deal_competitor(opportunity=deals[3], user=seller, competitor=b)
    move_stage(user=seller, opportunity=deals[0], stage=_stage(deals[0], "won"))
    move_stage(
        user=seller,
        opportunity=deals[1],
        stage=_stage(deals[1], "lost"),
        lost_reason="价格",
        lost_to=a,
    )
    move_stage(
        user=seller, opportunity=deals[3], stage=_stage(deals[3], "lost"), lost_reason="关系"
    )
    # another salesperson's deal with competitor a: not in my report
    hidden = make_deal(other, 9)
    actions.add_deal_competitor(opportunity=hidden, user=other, competitor=a)
    rows = {r.name: r for r in win_loss(Opportunity.objects.visible_to(seller))}
    ra, rb = rows["甲公司"], rows["乙公司"]
    assert (ra.deals, ra.won, ra.lost, ra.open, ra.lost_to) == (3, 1, 1, 1, 1)
    assert (ra.won_amount, ra.lost_amount, ra.open_amount) == (
        Decimal("100000"),
        Decimal("200000"),
        Decimal("50000"),
    )
    assert ra.win_rate == 0.5
    assert ra.their_average == Decimal("120000.00") and ra.our_average == Decimal("150000.00")
    assert round(ra.price_index) == 80
    assert (rb.deals, rb.won, rb.lost, rb.lost_to, rb.win_rate, rb.price_index) == (
        1,
        0,
        1,
        0,
        0.0,
        None,
    )
    client.force_login(seller)
    with django_assert_max_num_queries(25):
        response = client.get("/sales/competitors/win-loss/?period=")
    assert response.status_code == 200
    html = response.content.decode()
    assert "winloss-chart" in html and "甲公司" in html
    drill = f"competitor={a.pk}&amp;status=won"
    assert drill in html
    listed = client.get(f"/sales/opportunities/?competitor={a.pk}&status=won")
    assert deals[0].name in listed.content.decode() and deals[1].name not in listed.content.decode()
    # bad filters: 400 / 404, never 500
    assert client.get("/sales/competitors/win-loss/?owner=abc").status_code == 400
    assert client.get("/sales/competitors/win-loss/?from=2026-02-30").status_code == 400


def test_win_loss_query_count_does_not_grow(seller, client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(seller)
    rival = make_competitor(seller, 1)
    actions.add_deal_competitor(opportunity=make_deal(seller, 1), user=seller, competitor=rival)
    client.get("/sales/competitors/win-loss/")
    with CaptureQueriesContext(connection) as first:
        client.get("/sales/competitors/win-loss/")
    for n in range(2, 6):
        actions.add_deal_competitor(
            opportunity=make_deal(seller, n), user=seller, competitor=make_competitor(seller, n)
        )
    with CaptureQueriesContext(connection) as second:
        client.get("/sales/competitors/win-loss/")
    assert len(second) == len(first)


def test_demo_competitors_won_and_lost(seller, make_user):
    from kehu.core.demo import DemoContext
    from kehu.customers.tests.factories import customer as make_customer
    from kehu.sales.demo.competitors import competitors as generate_competitors
    from kehu.sales.demo.pipeline import deals as generate_deals
    from kehu.sales.models import CompetitorProduct

    for n in range(40):
        make_customer(seller, n)
    ctx = DemoContext(seed=7, customers=40, employees=1, out=lambda s: None)
    generate_deals(ctx)
    generate_competitors(ctx)
    assert 6 <= Competitor.objects.count() <= 10
    assert CompetitorProduct.objects.count() > Competitor.objects.count()
    statuses = set(DealCompetitor.objects.values_list("status", flat=True))
    assert {"we_won", "they_won"} <= statuses
    assert IntelligenceNote.objects.filter(opportunity__isnull=False).exists()
    # a won deal's competitors all lost to us
    assert not DealCompetitor.objects.filter(
        opportunity__status="won", status__in=["active", "they_won"]
    ).exists()
    count = DealCompetitor.objects.count()
    generate_competitors(ctx)
    assert DealCompetitor.objects.count() == count  # skipped: its data exists
