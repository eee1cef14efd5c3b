"""Campaigns: numbering and date rules, members (only visible people, once each), responses,
costs against the budget, first- and last-touch attribution of won deals, pages and API."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kehu.core.audit import unaudited_write
from kehu.customers.tests.factories import customer as make_customer
from kehu.marketing import roi
from kehu.marketing.actions import campaigns as actions
from kehu.marketing.models import Campaign, CampaignMember
from kehu.marketing.tests.factories import campaign as make_campaign
from kehu.marketing.tests.factories import marketing_plan as make_plan


@pytest.fixture
def marketer(make_user):
    return make_user("sales_manager", "a1")


@pytest.fixture
def seller(make_user):
    return make_user("salesperson", "a1")


@pytest.fixture
def stranger(make_user):
    return make_user("salesperson", "a2")


def test_new_campaign_is_numbered_and_dates_checked(marketer):
    c = actions.save_campaign(
        Campaign(name="春季展会", kind="trade_show", start_date=datetime.date(2026, 4, 1)),
        user=marketer,
    )
    assert c.number.startswith("HD") and c.owner == marketer
    c.end_date = datetime.date(2026, 3, 1)
    with pytest.raises(ValidationError) as exc:
        actions.save_campaign(c, user=marketer)
    assert exc.value.error_dict["end_date"][0].code == "dates"
    plan = make_plan(
        marketer, 1, start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2026, 3, 31)
    )
    c.end_date = None
    c.plan = plan
    with pytest.raises(ValidationError) as exc:
        actions.save_campaign(c, user=marketer)
    assert exc.value.error_dict["start_date"][0].code == "out_of_plan"


def test_members_are_added_once_and_only_when_visible(marketer, stranger):
    c = make_campaign(marketer, 1)
    mine = [make_customer(marketer, n) for n in range(3)]
    theirs = make_customer(stranger, 9)
    added = actions.add_members(campaign=c, user=marketer, customers=[*mine, theirs])
    assert added == 3  # the other branch's customer is not visible to a1's manager
    assert actions.add_members(campaign=c, user=marketer, customers=mine) == 0
    with pytest.raises(PermissionDenied):
        actions.add_members(campaign=c, user=stranger, customers=[theirs])
    member = c.members.first()
    actions.record_response(member=member, user=marketer, status="responded", response="来电咨询")
    member.refresh_from_db()
    assert member.responded_at is not None and member.response == "来电咨询"


def test_costs_sum_and_flag_over_budget(marketer):
    c = make_campaign(marketer, 1, budget=Decimal("1000"))
    actions.add_cost(campaign=c, user=marketer, amount="600", category="venue")
    cost = actions.add_cost(campaign=c, user=marketer, amount="500.5", category="gifts")
    c.refresh_from_db()
    assert c.actual_cost == Decimal("1100.50") and c.over_budget
    for bad in ("-1", "abc", "NaN", ""):
        with pytest.raises(ValidationError) as exc:
            actions.add_cost(campaign=c, user=marketer, amount=bad)
        assert exc.value.error_dict["amount"][0].code == "bad_amount"
    actions.remove_cost(cost=cost, user=marketer)
    c.refresh_from_db()
    assert c.actual_cost == Decimal("600.00") and not c.over_budget


def _won_deal(owner, customer, amount, closed_at):
    from kehu.sales.models import Opportunity, Stage
    from kehu.sales.tests.factories.pipeline import opportunity as make_deal

    deal = make_deal(owner, customer.pk, customer=customer, amount=Decimal(amount))
    won = Stage.objects.filter(pipeline=deal.pipeline, kind=Stage.Kind.WON).first()
    with unaudited_write("test: a deal won at a given time"):
        Opportunity.objects.filter(pk=deal.pk).update(stage=won, status="won", closed_at=closed_at)
    return deal


def test_first_and_last_touch_attribution(marketer):
    from kehu.sales.tests.factories.leads import lead as make_lead

    now = timezone.now()
    show = make_campaign(marketer, 1, name="工博会", kind="trade_show")
    mail = make_campaign(marketer, 2, name="新品邮件", kind="email")
    cust = make_customer(marketer, 1)
    late = make_customer(marketer, 2)
    # the trade show brought a lead that became the customer 60 days ago
    lead = make_lead(marketer, 1, campaign=show.number, converted_customer=cust)
    with unaudited_write("test: backdate the lead"):
        type(lead).objects.filter(pk=lead.pk).update(created_at=now - datetime.timedelta(days=60))
    make_lead(marketer, 2, campaign="工博会")  # by name, never converted
    # the customer answered the e-mail 10 days ago
    actions.add_members(campaign=mail, user=marketer, customers=[cust, late])
    m = mail.members.get(customer=cust)
    actions.record_response(
        member=m, user=marketer, status="responded", when=now - datetime.timedelta(days=10)
    )
    _won_deal(marketer, cust, "30000", now - datetime.timedelta(days=1))
    _won_deal(marketer, cust, "5000", now - datetime.timedelta(days=30))  # before the e-mail
    _won_deal(marketer, late, "7000", now)  # no response: no touch
    actions.add_cost(campaign=show, user=marketer, amount="10000")
    show.refresh_from_db()
    result = {r.campaign.pk: r for r in roi.campaign_returns([show, mail], user=marketer)}
    assert result[show.pk].leads == 2 and result[show.pk].converted_leads == 1
    assert result[show.pk].first_touch == Decimal("35000")
    assert result[show.pk].last_touch == Decimal("5000")
    assert result[mail.pk].first_touch == Decimal("0")
    assert result[mail.pk].last_touch == Decimal("30000")
    assert result[mail.pk].members == 2 and result[mail.pk].responses == 1
    assert result[show.pk].cost_per_lead == Decimal("5000.00")
    assert result[show.pk].roi_first == pytest.approx(2.5)


def test_roi_queries_do_not_grow_with_campaigns(marketer):
    def count(n):
        cs = [make_campaign(marketer, 100 + n * 10 + i) for i in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            roi.campaign_returns(cs, user=marketer)
        return len(ctx.captured_queries)

    assert count(2) == count(8)


def test_pages_members_costs_and_roi(client, marketer, stranger):
    c = make_campaign(marketer, 1)
    cust = make_customer(marketer, 1)
    client.force_login(marketer)
    page = client.get(c.get_absolute_url())
    assert page.status_code == 200 and b'id="members"' in page.content
    r = client.post(
        reverse("marketing:campaign_add_members", args=[c.pk]), {"customers": [cust.pk]}
    )
    assert r.status_code == 302 and c.members.count() == 1
    r = client.post(
        reverse("marketing:campaign_cost_add", args=[c.pk]), {"amount": "x", "date": "2026-03-02"}
    )
    assert r.status_code == 302 and not c.costs.exists()  # refused with a message
    r = client.post(
        reverse("marketing:campaign_cost_add", args=[c.pk]), {"amount": "800", "date": "3026-03-02"}
    )
    assert r.status_code == 400  # a date out of range
    r = client.post(
        reverse("marketing:campaign_cost_add", args=[c.pk]), {"amount": "800", "date": "2026-03-02"}
    )
    assert c.costs.count() == 1
    roi_page = client.get(reverse("marketing:roi"), {"start": "2026-01-01", "end": "2026-12-31"})
    assert roi_page.status_code == 200 and c.name in roi_page.content.decode()
    assert client.get(reverse("marketing:roi"), {"start": "2026-13-01"}).status_code == 400
    client.force_login(stranger)
    assert client.get(c.get_absolute_url()).status_code == 404
    member = c.members.get()
    r = client.post(reverse("marketing:campaign_member_remove", args=[c.pk, member.pk]))
    assert r.status_code == 404 and CampaignMember.objects.filter(pk=member.pk).exists()


def test_api_members_and_roi(client, marketer, stranger):
    c = make_campaign(marketer, 1)
    cust = make_customer(marketer, 1)
    other = make_customer(stranger, 2)
    client.force_login(marketer)
    r = client.post(
        f"/api/campaigns/{c.pk}/members/",
        {"customers": [cust.pk, other.pk]},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json() == {"added": 1}
    listed = client.get(f"/api/campaigns/{c.pk}/members/").json()
    assert [m["customer"] for m in listed["results"]] == [cust.pk]
    assert client.get(f"/api/campaigns/{c.pk}/roi/").json()["members"] == 1
    client.force_login(stranger)
    assert client.get(f"/api/campaigns/{c.pk}/members/").status_code == 404


def test_demo_campaigns_cover_every_type(marketer):
    from kehu.core.demo import DemoContext
    from kehu.marketing.demo.campaigns import campaigns as generate

    for n in range(60):
        make_customer(marketer, n)
    ctx = DemoContext(seed=5, customers=60, employees=1, out=lambda s: None)
    generate(ctx)
    assert set(Campaign.objects.values_list("kind", flat=True)) == set(Campaign.Kind.values)
    assert not Campaign.objects.filter(actual_cost=0).exists()
    assert CampaignMember.objects.filter(status="responded").exists()
    n = Campaign.objects.count()
    generate(ctx)
    assert Campaign.objects.count() == n
