"""The public web form: works without a login, honeypot, rate limit per address (429),
validation 400 in the visitor's language, frames allowed only on the embed page, the admin
page with the embed snippet."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.core.models import Notification
from kehu.sales.models.leads import Lead, LeadAssignmentRule, WebForm

pytestmark = pytest.mark.django_db


@pytest.fixture
def web_form(make_user):
    owner = make_user("salesperson", "a1")
    return WebForm.objects.create(
        name="官网咨询", title="联系我们", campaign="2026春季展", fallback_owner=owner
    )


def url(form, name="sales:webform_public"):
    return reverse(name, args=[form.key])


GOOD = {"name": "李雷", "company": "杭州精工机械", "mobile": "13900001111", "city": "杭州"}


def test_a_visitor_without_login_leaves_a_lead(client, web_form):
    page = client.get(url(web_form))
    assert page.status_code == 200 and "联系我们" in page.content.decode()
    assert "X-Frame-Options" not in page  # the embed page may be framed …
    assert "frame-ancestors *" in page["Content-Security-Policy"]
    r = client.post(url(web_form), GOOD)
    assert r.status_code == 200 and 'id="thanks"' in r.content.decode()
    lead = Lead.objects.get()
    assert lead.owner == web_form.fallback_owner and lead.source == "website"
    assert lead.web_form == web_form and lead.campaign == "2026春季展"
    assert lead.created_by is None
    assert Notification.objects.filter(recipient=lead.owner, kind="lead_new").exists()


def test_other_pages_stay_unframable(client, web_form, admin_user):
    r = client.post(url(web_form, "sales:webform_submit"), GOOD)
    assert r["X-Frame-Options"] == "DENY"
    client.force_login(admin_user)
    assert client.get(reverse("sales:lead_list"))["X-Frame-Options"] == "DENY"


def test_assignment_rules_apply_to_web_leads(client, web_form, make_user, org):
    people = sorted((make_user("salesperson", "a2") for _ in range(2)), key=lambda u: u.pk)
    LeadAssignmentRule.objects.create(name="轮流", department=org["a2"])
    for n in range(3):
        client.post(url(web_form), {**GOOD, "mobile": f"1390000{n:04d}"})
    owners = list(Lead.objects.order_by("pk").values_list("owner", flat=True))
    assert owners == [people[0].pk, people[1].pk, people[0].pk]


def test_json_submit_and_unknown_or_closed_form(client, web_form):
    r = client.post(url(web_form, "sales:webform_submit"), GOOD, HTTP_ACCEPT="application/json")
    assert r.status_code == 201 and r.json()["ok"] is True
    assert client.post(reverse("sales:webform_submit", args=["nope"]), GOOD).status_code == 404
    web_form.active = False
    web_form.save()
    assert client.get(url(web_form)).status_code == 404


def test_honeypot_keeps_nothing(client, web_form):
    r = client.post(url(web_form), {**GOOD, "website": "http://spam.example"})
    assert r.status_code == 200 and 'id="thanks"' in r.content.decode()
    assert not Lead.objects.exists()


def test_over_the_limit_per_address_is_429(client, web_form, settings):
    from kehu.sales.actions import leads as actions

    limit, _window = actions.RATE_LIMIT
    for n in range(limit):
        r = client.post(url(web_form), {**GOOD, "mobile": f"1380000{n:04d}"})
        assert r.status_code == 200
    r = client.post(url(web_form), GOOD, REMOTE_ADDR="127.0.0.1")
    assert r.status_code == 429
    r = client.post(url(web_form, "sales:webform_submit"), GOOD, HTTP_ACCEPT="application/json")
    assert r.status_code == 429 and "detail" in r.json()
    assert Lead.objects.count() == limit
    # another address is not limited
    assert client.post(url(web_form), GOOD, REMOTE_ADDR="10.1.2.3").status_code == 200


@pytest.mark.parametrize(
    "language,expected",
    [("zh-hans", "请留下手机号码或电子邮箱"), ("en", "Give a mobile number or an e-mail address")],
)
def test_validation_is_400_in_the_visitors_language(client, web_form, language, expected):
    r = client.post(f"{url(web_form)}?lang={language}", {"name": "王五", "company": "x"})
    assert r.status_code == 400
    assert expected in r.content.decode()
    r = client.post(
        f"{url(web_form, 'sales:webform_submit')}?lang={language}",
        {"name": "", "mobile": "abc"},
        HTTP_ACCEPT="application/json",
    )
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert set(errors) >= {"name", "mobile"}
    assert (language == "en") == ("required" in errors["name"][0]["message"])
    assert not Lead.objects.exists()


def test_admin_page_shows_the_snippet_and_salespeople_cannot_manage(client, web_form, make_user):
    admin = make_user("administrator", "hq")
    client.force_login(admin)
    page = client.get(reverse("sales:webform_detail", args=[web_form.pk])).content.decode()
    assert "<iframe" in page.replace("&lt;", "<") and web_form.key in page
    client.force_login(make_user("salesperson", "a1"))
    assert client.get(reverse("sales:webform_list")).status_code == 403
    assert client.get(reverse("sales:leadscoringrule_list")).status_code == 403
