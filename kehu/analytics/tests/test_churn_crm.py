"""Churn risk learned from the CRM's own history (kehu.analytics.churn_crm), stored by the
nightly refresh, shown with its reasons on the customer page and the customer value page."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from kehu.analytics.churn import ChurnDataError
from kehu.analytics.churn_crm import churn_scores, reason_label


def _order(cust, owner, n, day):
    from kehu.sales.models import SalesOrder

    SalesOrder(
        number=f"CH-{cust.pk}-{n}",
        customer=cust,
        currency="CNY",
        order_date=day,
        status="confirmed",
        total=Decimal(1000 + 10 * n),
        owner=owner,
        department=owner.department,
    ).save()


def _history(owners):
    """Loyal customers buy every 40 days up to now; fading ones stopped 60–150 days before the
    training date (90 days ago) and never came back; a few loyal ones skip a beat, so the two
    groups are not perfectly apart. Returns ({name: customer}, loyal names, fading names)."""
    from kehu.customers.tests.factories import customer

    today = datetime.date.today()
    made, loyal, fading = {}, [], []
    for i in range(48):
        owner = owners[(i // 2) % len(owners)]
        name = f"流失测试 {i}"
        cust = customer(owner, 500 + i, name=name)
        made[name] = cust
        if i % 2 == 0:
            loyal.append(name)
            gap = 40 + (25 if i % 8 == 0 else 0)
            days = range(5 + i % 7, 420, gap)
        else:
            fading.append(name)
            stop = 90 + 60 + (i * 7) % 90
            days = range(stop, 420, 35)
        for n, back in enumerate(days):
            _order(cust, owner, n, today - datetime.timedelta(days=back))
    return made, loyal, fading


@pytest.mark.django_db
def test_the_model_learns_from_the_past_and_ranks_the_fading_customers_first(make_user):
    seller = make_user("salesperson", "a1")
    made, loyal, fading = _history([seller])
    scores = churn_scores(today=datetime.date.today())
    assert scores.report.auc > 0.9, scores.report.auc
    risk = {name: scores.risk[made[name].pk] for name in made if made[name].pk in scores.risk}
    # every fading customer's last order is within the year: all scored today
    assert set(risk) == set(made)
    assert min(risk[n] for n in fading) > max(risk[n] for n in loyal)
    top = scores.reasons[made[fading[-1]].pk]
    assert top and top[0][0] in {"days_since_order", "tenure_days", "trend_6m", "purchase_days_12m"}
    # a fading customer has not bought for long: "days since the last order" above average
    assert ("+" if top[0][0] == "days_since_order" else "-") == top[0][2]


@pytest.mark.django_db
def test_too_little_history_teaches_nothing(make_user):
    from kehu.customers.tests.factories import customer

    seller = make_user("salesperson", "a1")
    cust = customer(seller, 1, name="只有一个")
    _order(cust, seller, 1, datetime.date.today() - datetime.timedelta(days=200))
    with pytest.raises(ChurnDataError):
        churn_scores(today=datetime.date.today())


def test_reasons_read_in_the_users_language():
    with translation.override("en"):
        assert reason_label("days_since_order") == "Days since the last order"
        assert reason_label("kind = individual") == "Kind: Individual"
        assert reason_label("tenure_days (missing)") == "Days since the first order unknown"
        assert reason_label("no_such_feature") == "no_such_feature"
        assert reason_label("days_since_order", "+") == "Days since the last order: high"
        assert reason_label("activities_90d", "-") == (
            "Contacts by the sales team in the last 90 days: low"
        )
        assert reason_label("kind = company", "+") == "Kind: Company"
    with translation.override("zh-hans"):
        assert reason_label("days_since_order") == "距上次下单的天数"
        assert reason_label("days_since_order", "+") == "距上次下单的天数偏高"


@pytest.mark.django_db
def test_the_refresh_stores_risks_and_the_pages_show_them_in_scope(client, make_user):
    from kehu.analytics.models import ChurnRun, CustomerValue
    from kehu.analytics.refresh import refresh_customer_values

    seller_a = make_user("salesperson", "a1")
    seller_b = make_user("salesperson", "b")
    made, loyal, fading = _history([seller_a, seller_b])
    refresh_customer_values()
    run = ChurnRun.objects.get()
    assert run.auc > 0.9 and run.horizon_days == 90 and run.customers == 48
    stored = {v.customer_id: v for v in CustomerValue.objects.all()}
    faded = made[fading[-1]]
    assert stored[faded.pk].churn_risk > 0.5 and stored[faded.pk].churn_reasons
    client.force_login(faded.owner)
    page = client.get(faded.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="customer-churn-risk"' in page and 'id="customer-churn-reasons"' in page
    assert "距上次" in page.split('id="customer-churn-reasons"')[1][:800]

    client.force_login(seller_a)
    page = client.get("/analytics/customer-value/").content.decode()
    assert 'id="churn-members"' in page, page[page.find("churn-risk") - 100 :][:3000]
    table = page.split('id="churn-members"')[1].split("</table>")[0]
    mine = {n for n in fading if made[n].owner_id == seller_a.pk}
    theirs = {n for n in fading if made[n].owner_id == seller_b.pk}
    assert mine and theirs
    assert all(n in table for n in mine if stored[made[n].pk].churn_risk >= 0.5)
    assert not any(f">{n}<" in table for n in theirs)  # another seller's customers stay hidden
    assert not any(f">{n}<" in table for n in loyal)
    assert "AUC" in page.split('id="churn-risk"')[1]


@pytest.mark.django_db
def test_the_customer_list_and_api_filter_by_tier_and_churn_risk(client, make_user):
    """A marketer's "valuable and at risk" target list is one query over the customer list
    (and so a saved view or a segment); the filters exist only for users who may see orders."""
    from kehu.analytics.models import CustomerValue
    from kehu.analytics.refresh import refresh_customer_values

    seller = make_user("salesperson", "a1")
    made, loyal, fading = _history([seller])
    refresh_customer_values()
    values = {v.customer_id: v for v in CustomerValue.objects.all()}
    risky = {n for n, c in made.items() if values[c.pk].churn_risk >= 0.6}
    assert risky and risky <= set(fading)
    client.force_login(seller)
    page = client.get("/customers/customers/?churn_risk_min=60&per_page=100").content.decode()
    assert 'name="churn_risk_min"' in page and 'name="value_tier"' in page
    assert all(n in page for n in risky) and not any(f">{n}<" in page for n in loyal)
    tier = values[made[fading[-1]].pk].tier
    api = client.get(f"/api/customers/?churn_risk_min=60&value_tier={tier}&page_size=100").json()
    got = {row["name"] for row in api["results"]}
    assert got == {n for n in risky if values[made[n].pk].tier == tier}
    assert client.get("/api/customers/?churn_risk_min=250").status_code == 400

    from kehu.customers.filters.customer import CustomerFilterSet

    assert "churn_risk_min" in CustomerFilterSet({}, user=seller).filters
    clerk = make_user("", "a1")  # no role: may not see orders, gets no such filter
    assert "churn_risk_min" not in CustomerFilterSet({}, user=clerk).filters


@pytest.mark.django_db
def test_a_rising_risk_is_a_filter(client, make_user):
    """The refresh keeps the previous risk; "churn risk rising" finds those up 5 points or more:
    a customer who was fine at the last computation and is now slipping."""
    from kehu.analytics.models import CustomerValue
    from kehu.analytics.refresh import refresh_customer_values
    from kehu.core.audit_guard import unaudited_write

    seller = make_user("salesperson", "a1")
    made, loyal, fading = _history([seller])
    refresh_customer_values()
    slipping, steady = made[fading[-1]], made[fading[-3]]
    with unaudited_write("test: an earlier computation"):
        CustomerValue.objects.filter(pk=slipping.pk).update(churn_risk=0.05)
        CustomerValue.objects.exclude(pk=slipping.pk).update(churn_risk=1.0)
    refresh_customer_values()
    value = CustomerValue.objects.get(pk=slipping.pk)
    assert value.churn_risk_before == 0.05 and value.churn_risk > 0.5
    client.force_login(seller)
    api = client.get("/api/customers/?churn_rising=true&page_size=100").json()
    assert [row["name"] for row in api["results"]] == [slipping.name]
    page = client.get(slipping.get_absolute_url()).content.decode()
    assert "5%" in page.split('id="customer-churn-risk"')[1][:400]
    assert steady.name not in str(api)
