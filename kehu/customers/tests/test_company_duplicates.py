"""The company-wide duplicate check on create (撞单/查重): a customer that exists outside the
user's data scope is refused (same name for a company, same phone) or warned about (similar),
naming its owner and nothing else of it; the user can ask the owner for a share."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.core.models import Notification
from kehu.customers.actions import matching as actions
from kehu.customers.models import Customer
from kehu.customers.tests.factories import customer

FORM = {"kind": "company", "credit_limit": "0", "registered_on": "2026-01-01"}


@pytest.fixture
def taken(make_user):
    """Branch A's salesperson 林晓 owns 厦门辰远; a salesperson of branch B cannot see it."""
    owner = make_user("salesperson", "a1", display_name="林晓")
    other = make_user("salesperson", "b", display_name="周强")
    record = customer(
        owner,
        1,
        name="厦门辰远贸易有限公司",
        number="KH-SECRET-77",
        phone="0592-5551234",
        city="厦门",
        address="思明区湖滨南路88号",
        email="info@chenyuan.example",
    )
    assert not Customer.objects.visible_to(other).filter(pk=record.pk).exists()
    return owner, other, record


def secrets(record) -> list[str]:
    """Everything of the record that must not reach someone outside its scope."""
    return [
        record.number,
        "5551234",
        record.address,
        record.email,
        record.get_absolute_url(),
    ]


def test_same_name_elsewhere_is_refused_naming_the_owner_only(taken, client):
    owner, other, record = taken
    client.force_login(other)
    url = reverse("customers:customer_add")
    data = {**FORM, "name": "廈門辰遠", "phone": "13900001111", "city": "厦门"}
    page = client.post(url, data).content.decode()
    assert 'id="customer-exists"' in page and "林晓" in page
    assert not any(s in page for s in secrets(record))
    assert 'name="confirm_duplicates"' not in page  # no "create anyway" for an exact match
    # forcing it does not help: the action refuses too
    page = client.post(url, {**data, "confirm_duplicates": "1"}).content.decode()
    assert "林晓" in page and not any(s in page for s in secrets(record))
    assert Customer.objects.count() == 1


def test_same_phone_elsewhere_is_refused(taken, client):
    _owner, other, record = taken
    client.force_login(other)
    data = {**FORM, "name": "完全另一个名字", "phone": "0592 555 1234", "city": "厦门"}
    page = client.post(reverse("customers:customer_add"), data).content.decode()
    assert 'id="customer-exists"' in page and "林晓" in page
    assert not any(s in page for s in secrets(record))
    assert Customer.objects.count() == 1


def test_a_similar_customer_elsewhere_is_a_warning(taken, client):
    _owner, other, record = taken
    client.force_login(other)
    url = reverse("customers:customer_add")
    data = {**FORM, "name": "厦门辰远达贸易有限公司", "city": "厦门"}
    found = actions.find_elsewhere({"name": data["name"], "city": "厦门"}, user=other)
    assert found and not found[0].exact
    page = client.post(url, data).content.decode()
    assert 'id="customer-exists"' in page and "林晓" in page
    assert [s for s in secrets(record) if s in page] == []
    assert 'name="confirm_duplicates"' in page
    assert client.post(url, {**data, "confirm_duplicates": "1"}).status_code == 302
    assert Customer.objects.count() == 2


def test_people_of_one_name_are_not_refused(make_user):
    owner = make_user("salesperson", "a1", display_name="林晓")
    other = make_user("salesperson", "b")
    customer(owner, 1, name="张伟", kind="individual", phone="13800000001")
    found = actions.find_elsewhere({"name": "张伟", "kind": "individual"}, user=other)
    assert not any(m.exact for m in found)
    found = actions.find_elsewhere(
        {"name": "张伟", "kind": "individual", "phone": "138 0000 0001"}, user=other
    )
    assert found and found[0].reasons == ("phone",)


def test_records_in_scope_are_not_checked_company_wide(taken, make_user, client):
    owner, _other, record = taken
    manager = make_user("branch_manager", "a")
    assert actions.find_elsewhere({"name": "厦门辰远"}, user=manager) == []
    client.force_login(manager)
    page = client.post(
        reverse("customers:customer_add"), {**FORM, "name": "厦门辰远", "city": "厦门"}
    ).content.decode()
    # the usual warning with a link: the manager may see it
    assert 'id="possible-duplicates"' in page and record.get_absolute_url() in page
    assert 'id="customer-exists"' not in page


def test_asking_for_a_share_notifies_the_owner_once(taken, client):
    owner, other, record = taken
    client.force_login(other)
    data = {**FORM, "name": "厦门辰远", "phone": "", "city": "厦门", "share_index": "0"}
    url = reverse("customers:customer_share_request")
    response = client.post(url, data, follow=True)
    assert "林晓" in response.content.decode()
    notes = Notification.objects.filter(recipient=owner, kind="share_request")
    assert notes.count() == 1
    note = notes.get()
    assert note.link.startswith(record.get_absolute_url()) and f"share_with={other.pk}" in note.link
    assert "周强" in note.title
    client.post(url, data)
    assert notes.count() == 1  # asked again: no second notice
    # the link preselects the requester in the owner's share card
    client.force_login(owner)
    widget = client.get(
        reverse("system:record_shares", args=["customers.customer", record.pk]),
        {"user": other.pk},
    ).content.decode()
    assert f'<option value="{other.pk}" selected>' in widget
    # beyond the colleagues a salesperson may pick, but they asked for this very record
    shared = client.post(
        reverse("system:record_shares", args=["customers.customer", record.pk]),
        {"user": other.pk},
    )
    assert "周强" in shared.content.decode(), shared.content.decode()[:1500]
    fresh = type(other).objects.get(pk=other.pk)  # access is cached on the user object
    assert Customer.objects.visible_to(fresh).filter(pk=record.pk).exists()


def test_without_a_request_the_owner_cannot_share_across_branches(taken):
    from django.core.exceptions import ValidationError

    from kehu.system.actions.roles import share_record

    owner, other, record = taken
    with pytest.raises(ValidationError):
        share_record(obj=record, user=other, actor=owner)


def test_nothing_to_ask_for(taken, client):
    _owner, other, _record = taken
    client.force_login(other)
    response = client.post(
        reverse("customers:customer_share_request"), {"name": "毫不相干"}, follow=True
    )
    assert Notification.objects.filter(kind="share_request").count() == 0
    assert response.status_code == 200


def test_api_refuses_with_a_code_and_the_owner(taken, client):
    owner, other, record = taken
    client.force_login(other)
    body = {"name": "厦门辰远贸易有限公司", "kind": "company", "city": "厦门"}
    response = client.post("/api/customers/", body, content_type="application/json")
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "customer_exists" and data["owner"] == "林晓"
    assert set(data) == {"detail", "code", "owner"}
    assert not any(s in response.content.decode() for s in secrets(record))
    checked = client.post(
        "/api/customers/?check_duplicates=1", body, content_type="application/json"
    )
    assert checked.status_code == 409
    assert checked.json()["elsewhere"] == [{"owner": "林晓", "same": ["name"]}]
    assert checked.json()["duplicates"] == []
    asked = client.post(
        "/api/customers/request-share/", {"name": body["name"]}, content_type="application/json"
    )
    assert asked.status_code == 200 and asked.json() == {"owners": ["林晓"]}
    assert Notification.objects.filter(recipient=owner, kind="share_request").count() == 1
    assert Customer.objects.count() == 1


def test_a_name_equal_once_normalised_is_labelled_so():
    from django.utils import translation

    from kehu.customers import matching as m
    from kehu.customers.views.matching import components

    a = m.make_profile({"name": "厦门辰远"}, kind=m.COMPANY)
    b = m.make_profile({"name": "廈門辰遠"}, kind=m.COMPANY)
    explanation = m.compare(a, b).explanation
    assert explanation["fields"]["name"]["how"] == "exact"
    with translation.override("zh-hans"):
        (name,) = [c for c in components(explanation) if c["label"] == "名称"]
    assert name["how"] == "相同（繁简/大小写归一后）"


def test_a_contact_has_a_persons_name():
    from django.utils import translation

    from kehu.customers.models import Contact

    with translation.override("zh-hans"):
        assert str(Contact._meta.get_field("name").verbose_name) == "姓名"
        assert str(Customer._meta.get_field("name").verbose_name) == "名称"
