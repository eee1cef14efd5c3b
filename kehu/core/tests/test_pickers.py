"""Searchable pickers (``core.pickers``): the endpoint searches only what the user may choose,
labels people with their department, refuses bad parameters, reads a constant number of rows'
worth of queries; forms render a picker instead of a ``<select>`` of every row."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kehu.customers.forms import ContactForm, CustomerForm
from kehu.customers.tests.factories import customer

URL = "/picker/customers.customer/"


def results(client, url: str, q: str = "") -> list[dict]:
    from urllib.parse import quote

    response = client.get(f"{url}{'&' if '?' in url else '?'}q={quote(q)}")
    assert response.status_code == 200, response.content[:500]
    return response.json()["results"]


def picker_url(html: str, name: str) -> str:
    """The ``data-url`` of the picker posting ``name`` in a rendered page or form."""
    match = re.search(rf'data-url="([^"]+)" data-name="{name}"', html)
    assert match, f"no picker for {name}"
    return match.group(1).replace("&amp;", "&")


@pytest.mark.django_db
def test_search_by_pinyin_initials_and_number_within_the_users_scope(client, make_user):
    owner = make_user("salesperson", "a1")
    outsider = make_user("salesperson", "a2")
    cx = customer(owner, 1, name="北京辰星机械有限公司", number="C1000001", city="北京")
    customer(owner, 2, name="上海永嘉医药有限公司", number="C1000002")
    customer(outsider, 3, name="北京辰光食品有限公司", number="C2000001")
    client.force_login(owner)
    hits = results(client, URL, q="bjcx")
    assert [h["value"] for h in hits] == [str(cx.pk)]
    assert hits[0]["label"] == "北京辰星机械有限公司"
    assert hits[0]["context"] == "C1000001 · 北京"  # number and city tell customers apart
    assert [h["label"] for h in results(client, URL, q="C1000001")] == ["北京辰星机械有限公司"]
    assert [h["label"] for h in results(client, URL, q="beijing")] == ["北京辰星机械有限公司"]
    # the outsider's customer is not offered; the outsider sees only theirs
    client.force_login(outsider)
    assert [h["label"] for h in results(client, URL, q="bj")] == ["北京辰光食品有限公司"]
    assert [h["label"] for h in results(client, URL, q="")] == ["北京辰光食品有限公司"]


@pytest.mark.django_db
def test_a_forms_key_searches_the_fields_queryset_and_serves_no_one_else(client, make_user):
    """The contact form offers customers the user may edit: its picker searches those, posts
    the number the field expects, and another user presenting the key gets their own scope."""
    owner = make_user("salesperson", "a1")
    outsider = make_user("salesperson", "a2")
    mine = customer(owner, 1, name="杭州云帆科技", number="C3000001")
    html = str(ContactForm(user=owner)["customer"])
    url = picker_url(html, "customer")
    assert "k=" in url and "f=number" in url
    client.force_login(owner)
    assert [(h["value"], h["label"]) for h in results(client, url, q="hzyf")] == [
        ("C3000001", "杭州云帆科技")
    ]
    client.force_login(outsider)
    assert results(client, url, q="hzyf") == []
    del mine


@pytest.mark.django_db
def test_people_are_labelled_with_their_department(client, make_user, admin_user):
    first = make_user("salesperson", "a1", display_name="廖佳")
    second = make_user("salesperson", "b", display_name="廖佳", title="销售经理")
    client.force_login(admin_user)
    hits = results(client, "/picker/system.user/", q="liaojia")
    assert sorted((h["value"], h["label"], h["context"]) for h in hits) == sorted(
        [(str(first.pk), "廖佳", "销售一部"), (str(second.pk), "廖佳", "华北分公司 · 销售经理")]
    )
    assert {h["value"] for h in results(client, "/picker/system.user/", q="lj")} == {
        str(first.pk),
        str(second.pk),
    }
    # a salesperson may not list employees: the default source is the type's restricted one
    client.force_login(first)
    assert results(client, "/picker/system.user/", q="lj") == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/picker/nothing.here/",
        "/picker/core.attachment/",  # not a registered type
        "/picker/customers/",
        URL + "?q=" + "x" * 101,
        URL + "?k=not-a-key",
        URL + "?f=password",
        URL + "?f=notes",  # neither unique nor searched
        "/picker/system.user/?f=password",
    ],
)
def test_bad_parameters_answer_400(client, make_user, url):
    client.force_login(make_user("salesperson"))
    assert client.get(url).status_code == 400


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_rows(client, make_user, admin_user):
    owner = make_user("salesperson", "a1")

    def count(url, q) -> int:
        with CaptureQueriesContext(connection) as ctx:
            results(client, url, q=q)
        return len(ctx.captured_queries)

    client.force_login(admin_user)
    customer(owner, 1, name="北京一号公司")
    make_user("salesperson", "a2", display_name="张一")
    few = (count(URL, "bj"), count(URL, ""), count("/picker/system.user/", "zhang"))
    for n in range(2, 30):
        customer(owner, n, name=f"北京{n}号公司")
        make_user("salesperson", "a2", display_name=f"张{n}")
    many = (count(URL, "bj"), count(URL, ""), count("/picker/system.user/", "zhang"))
    assert few == many
    assert len(results(client, URL, q="bj")) == 20  # the limit


@pytest.mark.django_db
def test_the_customer_form_renders_a_picker_with_the_current_label(client, make_user):
    owner = make_user("salesperson", "a1")
    group = customer(owner, 1, name="辰星集团", number="G0000001", city="北京")
    child = customer(owner, 2, name="辰星子公司", parent=group)
    client.force_login(owner)
    page = client.get(reverse("customers:customer_add")).content.decode()
    assert 'name="parent"' in page and '<select name="parent"' not in page
    assert "data-picker" in page and "data-empty-label" in page  # optional: an empty choice
    page = client.get(reverse("customers:customer_edit", args=[child.pk])).content.decode()
    assert 'type="hidden" name="parent" value="G0000001"' in page
    assert 'value="辰星集团"' in page and "G0000001 · 北京" in page
    # the form never reads every customer: a picker renders the chosen one only
    assert str(CustomerForm(instance=child, user=owner)["parent"]).count("<option") == 0


@pytest.mark.django_db
def test_role_holders_are_chips_and_transfer_has_no_preselected_target(client, make_user):
    from kehu.system.models import Role

    admin = make_user("administrator", "hq", is_superuser=True)
    holder = make_user("salesperson", "a1", display_name="梁雪")
    client.force_login(admin)
    role = Role.objects.get(name="salesperson")
    page = client.get(reverse("system:role_permissions", args=[role.pk])).content.decode()
    assert 'data-name="users" data-multiple' in page
    assert f'<span class="badge picker-chip" data-value="{holder.pk}">梁雪' in page
    cust = customer(admin, 1)
    page = client.get(cust.get_absolute_url()).content.decode()
    assert 'id="transfer-owner"' in page
    assert '<input type="hidden" name="owner" value="" data-picker-value>' in page
