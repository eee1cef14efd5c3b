"""Customers and contacts: numbering, dictionary codes, parent companies, phone and e-mail
validation in both languages, contact customer choice and the contacts on the customer page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from kehu.core.audit import unaudited_write
from kehu.customers import actions
from kehu.customers.forms import ContactForm, CustomerForm
from kehu.customers.models import PHONE_ERROR, Contact, Customer

from .factories import contact as make_contact
from .factories import customer as make_customer


@pytest.fixture(autouse=True)
def fresh_cache():
    """The test cache outlives each test's rolled-back transaction: start and end empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager", "a1")


def phone_message(language: str) -> str:
    """The phone rule's message as the catalogue of ``language`` renders it."""
    with translation.override(language):
        return str(PHONE_ERROR)


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def new_customer(user, **kw) -> Customer:
    return actions.save_customer(customer=Customer(name=kw.pop("name", "测试"), **kw), user=user)


# Numbering ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_empty_number_gets_the_next_in_the_pattern(manager):
    make_customer(manager, 1, number="C00000041")
    make_customer(manager, 2, number="X99999999")  # other patterns do not count
    first = new_customer(manager, name="北京华为")
    assert first.number == "C00000042"
    assert first.mnemonic == "BJHW"
    assert new_customer(manager).number == "C00000043"
    assert new_customer(manager, number="MY-1").number == "MY-1"


@pytest.mark.django_db
def test_number_is_generated_from_the_form_and_the_api(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("customers:customer_add"),
        {"name": "上海表单", "kind": "company", "credit_limit": "0", "registered_on": "2026-01-05"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Customer.objects.get(name="上海表单").number == "C00000001"
    response = client.post("/api/customers/", {"name": "接口客户"}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["number"] == "C00000002"


# Dictionaries ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_credit_rating_dictionary_is_installed():
    from kehu.system.params import dictionary_choices

    assert [code for code, _label in dictionary_choices("credit_rating")] == [
        "AAA",
        "AA",
        "A",
        "B",
        "C",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["level", "industry", "customer_type", "status", "credit_rating"])
def test_unknown_dictionary_code_is_refused(manager, field):
    with pytest.raises(ValidationError) as exc:
        new_customer(manager, **{field: "NOPE"})
    assert field in exc.value.message_dict
    ok = new_customer(manager, **{field: ""})
    assert getattr(ok, field) == ""


@pytest.mark.django_db
def test_unknown_code_message_in_both_languages_and_labels_shown(client, manager):
    client.force_login(manager)
    data = {"name": "客户", "level": "Z", "credit_limit": "0", "kind": "company"}
    zh = client.post(reverse("customers:customer_add"), data).content.decode()
    assert "请选择有效的选项" in zh
    english(client)
    en = client.post(reverse("customers:customer_add"), data).content.decode()
    assert "Select a valid choice" in en
    api = client.post(
        "/api/customers/", {"name": "客户", "level": "Z"}, content_type="application/json"
    )
    assert api.status_code == 400 and "level" in api.json()
    obj = make_customer(manager, 1, level="A", industry="it", status="vip", customer_type="company")
    page = client.get(reverse("customers:customer_detail", args=[obj.pk])).content.decode()
    assert "A Key account" in page and "Information technology" in page and "VIP" in page
    listing = client.get(reverse("customers:customer_list")).content.decode()
    assert "A Key account" in listing
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(reverse("customers:customer_detail", args=[obj.pk])).content.decode()
    assert "A 重要客户" in page and "信息技术" in page


@pytest.mark.django_db
def test_form_offers_only_active_entries_but_keeps_the_current_one(manager):
    from kehu.system.models import DictionaryItem

    item = DictionaryItem.objects.get(dictionary="credit_rating", code="C")
    obj = make_customer(manager, 1, credit_rating="C")
    item.is_active = False
    item.save()
    cache.clear()
    new = [c for c, _l in CustomerForm(user=manager).fields["credit_rating"].choices]
    assert "C" not in new and "AAA" in new
    edit = [c for c, _l in CustomerForm(instance=obj, user=manager).fields["credit_rating"].choices]
    assert "C" in edit


# Parent companies -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_parent_cycle_is_refused(manager):
    group = new_customer(manager, name="集团")
    sub = new_customer(manager, name="子公司", parent=group)
    grandchild = new_customer(manager, name="孙公司", parent=sub)
    assert list(group.subsidiaries.all()) == [sub]
    for child in (group,):
        child.parent = grandchild
        with pytest.raises(ValidationError) as exc:
            actions.save_customer(customer=child, user=manager)
        assert "parent" in exc.value.message_dict
    group.refresh_from_db()
    group.parent = group
    with pytest.raises(ValidationError):
        actions.save_customer(customer=group, user=manager)


@pytest.mark.django_db
def test_parent_by_number_in_the_form_and_group_on_the_page(client, manager, make_user):
    client.force_login(manager)
    group = make_customer(manager, 1, name="华东集团")
    outsider = make_customer(make_user("salesperson", "b"), 2, name="外部集团")
    data = {
        "name": "华东子公司",
        "kind": "company",
        "credit_limit": "0",
        "registered_on": "2026-01-05",
        "parent": group.number,
    }
    assert client.post(reverse("customers:customer_add"), data).status_code == 302
    sub = Customer.objects.get(name="华东子公司")
    assert sub.parent == group
    page = client.get(reverse("customers:customer_detail", args=[group.pk])).content.decode()
    assert reverse("customers:customer_detail", args=[sub.pk]) in page
    # a customer outside the user's view scope cannot be chosen as parent
    data = {**data, "name": "另一家", "parent": outsider.number}
    response = client.post(reverse("customers:customer_add"), data)
    assert response.status_code == 200
    assert not Customer.objects.filter(name="另一家").exists()
    # the form shows the parent's number, not its id
    form = CustomerForm(instance=sub, user=manager)
    assert form.initial["parent"] == group.number


# Phone, e-mail, credit limit ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "phone,ok",
    [
        ("010-8888 6666", True),
        ("+86 (21) 5555-1234", True),
        ("13800138000", True),
        ("1234", False),
        ("123456789012345678901", False),
        ("010-8888x66", False),
        ("电话", False),
    ],
)
def test_phone_rule(manager, phone, ok):
    customer = Customer(name="电话测试", phone=phone)
    if ok:
        actions.save_customer(customer=customer, user=manager)
    else:
        with pytest.raises(ValidationError) as exc:
            actions.save_customer(customer=customer, user=manager)
        assert "phone" in exc.value.message_dict


@pytest.mark.django_db
def test_phone_email_and_credit_limit_messages_in_both_languages(client, manager):
    client.force_login(manager)
    data = {
        "name": "校验",
        "kind": "company",
        "phone": "abc",
        "email": "not-an-address",
        "credit_limit": "-1",
        "registered_on": "2026-01-05",
    }
    zh = client.post(reverse("customers:customer_add"), data).content.decode()
    assert phone_message("zh-hans") in zh and "邮件地址" in zh
    assert "大于或等于" in zh
    english(client)
    en = client.post(reverse("customers:customer_add"), data).content.decode()
    assert "Enter a phone number of 5 to 20 digits" in en
    assert "valid email" in en
    assert "greater than or equal to 0" in en
    assert not Customer.objects.filter(name="校验").exists()
    body = {"name": "校验", "phone": "abc", "email": "x@"}
    api_en = client.post(
        "/api/customers/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert api_en.status_code == 400
    assert "Enter a phone number" in api_en.json()["phone"][0]
    assert "email" in api_en.json()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    api_zh = client.post(
        "/api/customers/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert api_zh.status_code == 400
    assert api_zh.json()["phone"][0] == phone_message("zh-hans")
    assert "邮件地址" in api_zh.json()["email"][0]


@pytest.mark.django_db
def test_contact_phone_validation_in_both_languages(client, manager):
    customer = make_customer(manager, 1)
    client.force_login(manager)
    body = {"customer": customer.pk, "name": "王五", "mobile": "12", "email": "bad"}
    en = client.post(
        "/api/contacts/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert en.status_code == 400
    assert "Enter a phone number" in en.json()["mobile"][0] and "email" in en.json()
    zh = client.post(
        "/api/contacts/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert zh.json()["mobile"][0] == phone_message("zh-hans")


# Contacts -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_contact_follows_its_customer_owner(manager, make_user):
    other = make_user("sales_manager", "b")
    contact = make_contact(manager, 1)
    assert contact.owner == manager and contact.department == manager.department
    customer = contact.customer
    customer.owner, customer.department = other, other.department
    actions.save_customer(customer=customer, user=manager)
    contact.refresh_from_db()
    assert contact.owner == other and contact.department == other.department
    # data permissions follow the customer: the old owner no longer sees the contact
    assert not Contact.objects.visible_to(manager).filter(pk=contact.pk).exists()
    assert Contact.objects.visible_to(other).filter(pk=contact.pk).exists()


@pytest.mark.django_db
def test_contact_visibility_follows_the_customer_on_both_paths(manager, make_user):
    """``customer__owner`` / ``customer__department`` paths: department scope included."""
    teammate_manager = make_user("sales_manager", "a1")
    salesperson = make_user("salesperson", "a1")
    contact = make_contact(salesperson, 1)
    with unaudited_write("test set-up: stale columns"):
        Contact.objects.filter(pk=contact.pk).update(owner=manager)  # stale columns are ignored
    assert Contact.objects.visible_to(teammate_manager).filter(pk=contact.pk).exists()
    assert Contact.objects.visible_to(salesperson).filter(pk=contact.pk).exists()
    assert (
        not Contact.objects.visible_to(make_user("salesperson", "a1"))
        .filter(pk=contact.pk)
        .exists()
    )


@pytest.mark.django_db
def test_contact_customer_choice_is_limited_to_editable_customers(client, make_user):
    salesperson = make_user("salesperson", "a1")
    director = make_user("director", "a")
    own = make_customer(salesperson, 1)
    theirs = make_customer(make_user("salesperson", "a1"), 2)
    form = ContactForm(user=salesperson)
    assert list(form.fields["customer"].queryset) == [own]
    client.force_login(salesperson)
    response = client.post(
        reverse("customers:contact_add"), {"customer": theirs.number, "name": "越权"}
    )
    assert response.status_code == 200
    assert not Contact.objects.filter(name="越权").exists()
    api = client.post(
        "/api/contacts/", {"customer": theirs.pk, "name": "越权"}, content_type="application/json"
    )
    assert api.status_code == 400
    assert not Contact.objects.filter(name="越权").exists()
    # the director sees everything but edits only the subtree: still limited to editable ones
    outside = make_customer(make_user("salesperson", "b"), 3)
    assert outside not in ContactForm(user=director).fields["customer"].queryset
    ok = client.post(
        reverse("customers:contact_add"), {"customer": own.number, "name": "张三", "gender": "male"}
    )
    assert ok.status_code == 302
    created = Contact.objects.get(name="张三")
    assert created.customer == own and created.owner == salesperson


@pytest.mark.django_db
def test_reports_to_must_be_a_colleague_at_the_same_customer(manager):
    boss = make_contact(manager, 1)
    stranger = make_contact(manager, 2)
    worker = Contact(customer=boss.customer, name="下属", reports_to=boss)
    actions.save_contact(contact=worker, user=manager)
    assert worker.owner == manager
    worker.reports_to = stranger
    with pytest.raises(ValidationError):
        actions.save_contact(contact=worker, user=manager)
    worker.reports_to = worker
    with pytest.raises(ValidationError):
        actions.save_contact(contact=worker, user=manager)


@pytest.mark.django_db
def test_customer_page_lists_contacts_and_add_button_prefills(client, manager, make_user):
    contact = make_contact(manager, 1, is_primary=True)
    other = make_contact(manager, 2)  # another customer's contact
    client.force_login(manager)
    url = reverse("customers:customer_detail", args=[contact.customer_id])
    page = client.get(url).content.decode()
    assert reverse("customers:contact_detail", args=[contact.pk]) in page
    assert contact.name in page
    assert reverse("customers:contact_detail", args=[other.pk]) not in page
    add_url = f"{reverse('customers:contact_add')}?customer={contact.customer_id}"
    assert add_url in page
    form_page = client.get(add_url).content.decode()
    assert f'value="{contact.customer.number}"' in form_page
    # someone who may view but not edit the customer gets no add button
    director = make_user("director", "b")
    client.force_login(director)
    page = client.get(url).content.decode()
    assert contact.name in page and add_url not in page
    # and no prefill of a customer they may not edit
    form_page = client.get(add_url).content.decode()
    assert f'value="{contact.customer.number}"' not in form_page


@pytest.mark.django_db
def test_contact_search_and_filters(client, manager):
    contact = make_contact(manager, 1, email="li@example.cn")
    make_contact(manager, 2)
    client.force_login(manager)
    for q in (contact.name, contact.mobile, "li@example"):
        rows = client.get("/api/contacts/", {"q": q}).json()["results"]
        assert [r["id"] for r in rows] == [contact.pk], q
    rows = client.get("/api/contacts/", {"customer_number": contact.customer.number}).json()
    assert [r["id"] for r in rows["results"]] == [contact.pk]
