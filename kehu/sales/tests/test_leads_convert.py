"""Conversion: a new customer + contact + opportunity in one step (through the customers'
actions, audited), attaching to an existing customer the user may see, the duplicate check
company-wide (hidden customers named only by their owner), refused twice, all or nothing;
the API; the customer's timeline shows the lead."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kehu.core.models import AuditLog
from kehu.customers.models import Contact, Customer
from kehu.customers.tests.factories import customer as make_customer
from kehu.sales.actions import leads as actions
from kehu.sales.models import Opportunity
from kehu.sales.models.leads import Lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(make_user):
    return make_user("salesperson", "a1")


def lead_of(owner, **kw) -> Lead:
    kw.setdefault("name", "韩梅梅")
    kw.setdefault("company", "苏州新材料科技有限公司")
    kw.setdefault("mobile", "13912345678")
    kw.setdefault("email", "hmm@xcl.cn")
    kw.setdefault("industry", "manufacturing")
    kw.setdefault("source", "exhibition")
    return actions.save_lead(Lead(owner=owner, **kw), user=owner)


def test_convert_to_new_customer_contact_and_opportunity(sales):
    lead = lead_of(sales, title="采购总监")
    lead = actions.convert_lead(lead=lead, user=sales, amount=Decimal("120000"))
    assert lead.status == Lead.Status.CONVERTED and lead.converted_at is not None
    customer = lead.converted_customer
    assert customer.name == "苏州新材料科技有限公司" and customer.owner == sales
    assert customer.number  # numbered by the customers' action
    assert customer.industry == "manufacturing"
    contact = lead.converted_contact
    assert contact.customer == customer and contact.name == "韩梅梅" and contact.is_primary
    assert contact.title == "采购总监" and contact.mobile == "13912345678"
    opp = lead.converted_opportunity
    assert opp.customer == customer and opp.contact == contact and opp.amount == Decimal("120000")
    assert opp.stage.kind == "open" and opp.pipeline.is_default and opp.owner == sales
    for record in (customer, contact, opp):
        assert AuditLog.objects.for_object(record).filter(action=AuditLog.Action.CREATE).exists()
    assert AuditLog.objects.for_object(lead).filter(action=AuditLog.Action.UPDATE).exists()


def test_refused_twice_and_for_disqualified(sales):
    lead = actions.convert_lead(lead=lead_of(sales), user=sales, create_opportunity=False)
    assert lead.converted_opportunity is None
    with pytest.raises(ValidationError) as err:
        actions.convert_lead(lead=lead, user=sales)
    assert err.value.code == actions.LeadError.ALREADY_CONVERTED
    assert Customer.objects.count() == 1
    other = lead_of(sales, status="disqualified", disqualified_reason="竞争对手", name="x")
    with pytest.raises(ValidationError):
        actions.convert_lead(lead=other, user=sales)


def test_attach_to_an_existing_customer_only_if_visible(sales, make_user):
    mine = make_customer(sales, 1, name="苏州新材料科技有限公司")
    theirs = make_customer(make_user("salesperson", "b"), 2, name="别人的客户")
    lead = lead_of(sales)
    with pytest.raises(ValidationError):
        actions.convert_lead(lead=lead, user=sales, customer=theirs)
    assert Contact.objects.count() == 0 and Opportunity.objects.count() == 0
    lead = actions.convert_lead(lead=lead, user=sales, customer=mine)
    assert lead.converted_customer == mine and Customer.objects.count() == 2
    assert mine.contacts.get().name == "韩梅梅"


def test_all_or_nothing(sales, roles):
    """Without the right to add opportunities nothing is created at all."""
    from django.contrib.auth.models import Permission

    roles["salesperson"].permissions.remove(Permission.objects.get(codename="add_opportunity"))
    sales = type(sales).objects.get(pk=sales.pk)  # fresh permission cache
    lead = lead_of(sales)
    with pytest.raises(PermissionDenied):
        actions.convert_lead(lead=lead, user=sales)
    assert not Customer.objects.exists() and not Contact.objects.exists()
    lead.refresh_from_db()
    assert lead.status == "new"


def test_duplicate_check_is_company_wide_and_hides_what_the_user_may_not_see(
    client, sales, make_user
):
    stranger = make_user("salesperson", "b", display_name="赵敏")
    hidden_one = make_customer(stranger, 3, name="苏州新材料科技有限公司", phone="0512-66668888")
    visible = make_customer(sales, 4, name="苏州新材料科技公司", number="C-MINE")
    lead = lead_of(sales, phone="0512-66668888")
    dupes = actions.customer_duplicates(lead, user=sales)
    assert len(dupes) == 2
    hidden = next(d for d in dupes if not d.visible)
    assert hidden.owner == "赵敏" and hidden.name == "" and hidden.url == ""
    assert next(d for d in dupes if d.visible).customer_id == visible.pk
    client.force_login(sales)
    page = client.get(reverse("sales:lead_convert", args=[lead.pk])).content.decode()
    assert 'id="duplicate-warning"' in page and "赵敏" in page
    assert hidden_one.number not in page and hidden_one.get_absolute_url() not in page
    assert 'value="C-MINE"' in page  # the visible match is offered for attaching


def test_conversion_page_posts_and_then_refuses(client, sales):
    lead = lead_of(sales)
    client.force_login(sales)
    r = client.post(
        reverse("sales:lead_convert", args=[lead.pk]),
        {"customer_choice": "new", "create_opportunity": "on", "amount": "5000"},
    )
    lead.refresh_from_db()
    assert r.status_code == 302 and r.url == lead.converted_customer.get_absolute_url()
    r = client.post(reverse("sales:lead_convert", args=[lead.pk]), {"customer_choice": "new"})
    assert r.status_code == 302 and Customer.objects.count() == 1
    r = client.post(
        reverse("sales:lead_convert", args=[lead_of(sales, name="b").pk]),
        {"customer_choice": "existing", "customer_number": "NOPE"},
    )
    assert r.status_code == 400


def test_api_convert_and_timeline(client, sales):
    lead = lead_of(sales)
    client.force_login(sales)
    r = client.post(
        f"/api/leads/{lead.pk}/convert/",
        {"create_opportunity": True, "amount": "800"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "converted" and r.json()["converted_customer"]
    r = client.post(f"/api/leads/{lead.pk}/convert/", {}, content_type="application/json")
    assert r.status_code == 400
    customer = Customer.objects.get()
    page = client.get(reverse("customers:customer_timeline", args=[customer.pk]))
    assert lead.name in page.content.decode()


def test_default_pipeline_is_created_once(sales):
    from kehu.sales.models import Pipeline

    p1, s1 = actions.default_pipeline_stage()
    p2, s2 = actions.default_pipeline_stage()
    assert p1 == p2 and s1 == s2 and Pipeline.objects.count() == 1
    assert s1.kind == "open" and p1.stages.filter(kind="won").exists()


def test_the_leads_person_already_a_contact_is_found(sales, make_user):
    from kehu.customers.tests.factories import contact as make_contact

    other = make_user("salesperson", "a1")
    home = make_customer(other, 7, name="完全不同的名字集团")
    make_contact(other, 7, customer=home, name="韩梅梅", mobile="13912345678")
    lead = lead_of(sales, company="新公司")
    dupes = actions.customer_duplicates(lead, user=sales)
    assert [d.customer_id for d in dupes] == [home.pk]
    assert dupes[0].via_contact and not dupes[0].visible and dupes[0].explanation == {}
