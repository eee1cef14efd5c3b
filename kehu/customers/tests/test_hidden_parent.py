"""A parent company outside the user's view scope: the customer's owner can still save the
customer unchanged (page and API), and nothing shows the hidden parent's name or number."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from kehu.customers.forms import CustomerForm
from kehu.customers.models import Customer

from .factories import customer

HIDDEN = "（您无权查看）"


@pytest.fixture
def family(make_user):
    """sales1's customer whose parent company belongs to a salesperson of another branch."""
    owner = make_user("salesperson", "a1")
    other = make_user("salesperson", "b")
    parent = customer(other, 1, name="隐藏母公司", number="P0000001")
    child = customer(owner, 2, name="子公司", parent=parent)
    return {"owner": owner, "other": other, "parent": parent, "child": child}


def as_shown(form) -> dict:
    """What the browser posts back for an untouched form."""
    data = {}
    for bf in form:
        value = bf.value()
        if value is None or value is False:
            continue
        data[bf.html_name] = value
    return data


@pytest.mark.django_db
def test_the_form_masks_the_hidden_parent_and_saves_unchanged(client, family):
    owner, child, parent = family["owner"], family["child"], family["parent"]
    client.force_login(owner)
    url = reverse("customers:customer_edit", args=[child.pk])
    page = client.get(url).content.decode()
    assert parent.number not in page and parent.name not in page
    assert HIDDEN in page
    data = as_shown(CustomerForm(instance=child, user=owner))
    data["city"] = "杭州"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    child.refresh_from_db()
    assert (child.city, child.parent_id) == ("杭州", parent.pk)
    # clearing the field removes the parent: the owner's explicit choice
    data = as_shown(CustomerForm(instance=child, user=owner))
    data.pop("parent")
    assert client.post(url, data).status_code == 302
    child.refresh_from_db()
    assert child.parent_id is None


@pytest.mark.django_db
def test_the_detail_page_does_not_name_the_hidden_parent(client, family):
    client.force_login(family["owner"])
    page = client.get(family["child"].get_absolute_url()).content.decode()
    assert family["parent"].name not in page and family["parent"].number not in page
    assert HIDDEN in page


@pytest.mark.django_db
def test_the_api_shows_null_and_keeps_the_hidden_parent_on_patch(family):
    owner, child, parent = family["owner"], family["child"], family["parent"]
    api = APIClient()
    api.force_authenticate(owner)
    body = api.get(f"/api/customers/{child.pk}/").json()
    assert body["parent"] is None
    listed = api.get("/api/customers/").json()["results"]
    assert [row["parent"] for row in listed if row["id"] == child.pk] == [None]
    # the representation sent back unchanged, or just one field: the parent stays
    body["city"] = "宁波"
    assert api.put(f"/api/customers/{child.pk}/", body, format="json").status_code == 200
    child.refresh_from_db()
    assert (child.city, child.parent_id) == ("宁波", parent.pk)
    patched = api.patch(
        f"/api/customers/{child.pk}/",
        {"parent": parent.pk, "notes": "x", "version": child.version},
        format="json",
    )
    assert patched.status_code == 200 and patched.json()["parent"] is None
    child.refresh_from_db()
    assert child.parent_id == parent.pk
    # choosing a hidden customer as a new parent stays refused
    other = customer(family["other"], 3)
    refused = api.patch(
        f"/api/customers/{child.pk}/", {"parent": other.pk, "version": child.version}, format="json"
    )
    assert refused.status_code == 400 and "parent" in refused.json()


@pytest.mark.django_db
def test_exports_do_not_name_the_hidden_parent(client, family, make_user):
    from kehu.core.export import export_columns, iter_rows
    from kehu.core.registry import get_object_type

    ot = get_object_type(Customer)
    owner = family["owner"]
    columns = export_columns(ot, owner)
    at = [name for name, _label in columns].index("parent")
    rows = list(iter_rows(Customer.objects.visible_to(owner), columns, user=owner))
    assert [row[at] for row in rows] == [HIDDEN]
    admin = make_user("administrator", "hq", is_superuser=True)
    rows = list(iter_rows(Customer.objects.filter(pk=family["child"].pk), columns, user=admin))
    assert rows[0][at] == str(family["parent"])
    manager = make_user("sales_manager", "a1")  # exports the team's customers
    client.force_login(manager)
    export = client.get(reverse("customers:customer_list"), {"export": "csv"})
    text = b"".join(export.streaming_content).decode()
    assert family["child"].name in text and family["parent"].name not in text and HIDDEN in text


@pytest.mark.django_db
def test_the_merge_page_does_not_name_the_hidden_parent(client, family, make_user):
    manager = make_user("sales_manager", "a1")  # may merge the team's customers
    twin = customer(family["owner"], 5, name="子公司（重复）")
    client.force_login(manager)
    url = reverse("customers:customer_merge")
    page = client.get(f"{url}?ids={family['child'].pk}&ids={twin.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert family["parent"].name not in html and HIDDEN in html
