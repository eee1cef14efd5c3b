"""The shared list features, on the customer list (every registered type gets them): counts,
page sizes, the column chooser, remembered settings, mass update, inline edit, pinyin sort."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kehu.core import lists
from kehu.core.models import AuditLog, ListSettings
from kehu.customers.models import Customer
from kehu.customers.tests.factories import customer

LIST = "customers:customer_list"


@pytest.fixture
def sales(make_user):
    return make_user("salesperson", "a1")


def test_count_is_exact_under_the_cap_and_bounded_or_estimated_over_it(sales, monkeypatch):
    for n in range(1, 6):
        customer(sales, n)
    qs = Customer.objects.visible_to(sales)
    assert lists.count_rows(qs) == lists.Count(5)
    monkeypatch.setattr(lists, "EXACT_COUNT_CAP", 3)
    monkeypatch.setattr(lists, "SQLITE_COUNT_CAP", 4)
    got = lists.count_rows(qs)
    if connection.vendor == "postgresql":  # the planner's estimate, never below the cap
        assert got.estimated and got.value >= 4
    else:  # SQLite: a bounded count, "more than 4"
        assert got == lists.Count(4, exact=False)


def test_page_size_columns_and_sort_are_remembered_per_user(client, sales, make_user):
    for n in range(1, 30):
        customer(sales, n, name=f"客户{n}")
    client.force_login(sales)
    url = reverse(LIST)
    r = client.get(
        url, {"per_page": "25", "cols": ["name", "phone", "credit_limit"], "sort": "name"}
    )
    assert len(r.context["rows"]) == 25
    assert [c["name"] for c in r.context["columns"]] == ["name", "phone", "credit_limit"]
    saved = ListSettings.objects.get(user=sales, object_type="customers.customer")
    assert (saved.per_page, saved.columns, saved.sort) == (
        25,
        ["name", "phone", "credit_limit"],
        "name",
    )
    again = client.get(url)  # opened without parameters: what the user chose last time
    assert again.context["page_size"] == 25
    assert [c["name"] for c in again.context["columns"]] == ["name", "phone", "credit_limit"]
    other = make_user("salesperson", "a1")
    client.force_login(other)
    assert client.get(url).context["page_size"] == lists.DEFAULT_PAGE_SIZE
    # a column outside what the user may choose, or a page size not offered, is ignored
    client.force_login(sales)
    r = client.get(url, {"cols": "search_text,notes_x", "per_page": "7"})
    assert "search_text" not in [c["name"] for c in r.context["columns"]]
    assert r.context["page_size"] == lists.DEFAULT_PAGE_SIZE


def test_list_queries_do_not_grow_with_rows_with_chosen_columns(client, sales):
    client.force_login(sales)
    url = reverse(LIST)
    params = {"cols": ["name", "owner", "department", "parent", "phone"], "per_page": "100"}
    customer(sales, 1)
    client.get(url, params)
    with CaptureQueriesContext(connection) as few:
        client.get(url, params)
    for n in range(2, 40):
        customer(sales, n)
    with CaptureQueriesContext(connection) as many:
        r = client.get(url, params)
    assert len(r.context["rows"]) == 39
    assert len(many) == len(few)


def test_mass_update_changes_what_the_user_may_edit_and_reports_the_rest(client, sales, make_user):
    mine = [customer(sales, n) for n in (1, 2)]
    colleague = make_user("salesperson", "a1")
    theirs = customer(colleague, 9)
    client.force_login(sales)
    r = client.post(
        reverse("customers:customer_mass_update"),
        {"pk": [mine[0].pk, mine[1].pk, theirs.pk], "field": "city", "bulk-city": "杭州"},
        follow=True,
    )
    assert {c.city for c in Customer.objects.filter(pk__in=[c.pk for c in mine])} == {"杭州"}
    theirs.refresh_from_db()
    assert theirs.city == "上海"
    text = " ".join(str(m) for m in r.context["messages"])
    assert "1" in text and f"#{theirs.pk}" in text  # refused row named, not its data
    changes = AuditLog.objects.filter(object_id__in=[str(c.pk) for c in mine])
    assert changes.filter(action=AuditLog.Action.UPDATE).count() == 2


def test_mass_update_refuses_a_field_outside_the_editable_ones(client, sales):
    obj = customer(sales, 1)
    client.force_login(sales)
    client.post(
        reverse("customers:customer_mass_update"),
        {"pk": [obj.pk], "field": "owner", "bulk-owner": "1"},
    )
    obj.refresh_from_db()
    assert obj.owner == sales


def test_inline_edit_saves_and_a_stale_version_is_a_conflict(client, sales):
    obj = customer(sales, 1)
    client.force_login(sales)
    url = reverse("customers:customer_cell", args=[obj.pk]) + "?field=city"
    editor = client.get(url)
    assert editor.status_code == 200 and 'name="edit-city"' in editor.content.decode()
    version = obj.version
    r = client.post(url, {"edit-city": "苏州", "version": version})
    assert r.status_code == 200 and "苏州" in r.content.decode()
    obj.refresh_from_db()
    assert obj.city == "苏州"
    stale = client.post(url, {"edit-city": "无锡", "version": version})
    assert stale.status_code == 409 and "data-conflict" in stale.content.decode()
    obj.refresh_from_db()
    assert obj.city == "苏州"
    assert (
        client.get(reverse("customers:customer_cell", args=[obj.pk]) + "?field=owner").status_code
        == 404
    )


def test_inline_edit_is_refused_outside_the_edit_scope(client, sales, make_user):
    obj = customer(make_user("salesperson", "a1"), 1)
    client.force_login(sales)
    url = reverse("customers:customer_cell", args=[obj.pk]) + "?field=city"
    assert client.post(url, {"edit-city": "苏州", "version": obj.version}).status_code == 404


def test_names_sort_by_pinyin(client, sales):
    for n, name in enumerate(["中信银行", "阿里巴巴", "北京华为", "Apple 中国", "长城汽车"], 1):
        customer(sales, n, name=name)
    client.force_login(sales)
    r = client.get(reverse(LIST), {"sort": "name"})
    assert [obj.name for obj, _cells in r.context["rows"]] == [
        "阿里巴巴",
        "Apple 中国",
        "北京华为",
        "长城汽车",
        "中信银行",
    ]
    renamed = Customer.objects.get(name="中信银行")
    renamed.name = "安信证券"
    renamed.save()
    r = client.get(reverse(LIST), {"sort": "-name"})
    assert [obj.name for obj, _cells in r.context["rows"]][-2:] == ["安信证券", "阿里巴巴"]


def test_contact_names_sort_by_pinyin_whichever_path_wrote_them(client, sales):
    from kehu.core.actions import bulk_create_audited
    from kehu.customers.models import Contact
    from kehu.customers.tests.factories import contact

    saved = contact(sales, 1, name="张伟")
    contact(sales, 2, name="白雪")
    bulk_create_audited(  # the import and demo path
        Contact,
        [
            Contact(customer=saved.customer, name=name, owner=sales, department=sales.department)
            for name in ("李娜", "Anna 王")
        ],
    )
    client.force_login(sales)
    r = client.get(reverse("customers:contact_list"), {"sort": "name"})
    assert [obj.name for obj, _cells in r.context["rows"]] == ["Anna 王", "白雪", "李娜", "张伟"]
    saved.name = "艾米"
    saved.save()
    r = client.get(reverse("customers:contact_list"), {"sort": "-name"})
    assert [obj.name for obj, _cells in r.context["rows"]][-2:] == ["Anna 王", "艾米"]


def test_phones_and_emails_are_links(client, sales):
    obj = customer(sales, 1, phone="021-6123 4567", email="a@example.cn")
    client.force_login(sales)
    page = client.get(reverse(LIST), {"cols": "name,phone,email"}).content.decode()
    assert 'href="tel:02161234567"' in page and 'href="mailto:a@example.cn"' in page
    detail = client.get(reverse("customers:customer_detail", args=[obj.pk])).content.decode()
    assert 'href="tel:02161234567"' in detail


def test_static_storage_falls_back_to_the_plain_name_without_a_manifest(tmp_path, settings):
    from kehu.core.staticfiles import StaticStorage

    storage = StaticStorage(location=tmp_path)
    assert storage.url("kehu/app.js").endswith("kehu/app.js")


def test_api_counts_on_request_only(client, sales, monkeypatch):
    for n in range(1, 6):
        customer(sales, n)
    client.force_login(sales)
    plain = client.get("/api/customers/", {"page_size": 2}).json()
    assert "count" not in plain and len(plain["results"]) == 2
    counted = client.get("/api/customers/", {"page_size": 2, "count": "1"}).json()
    assert (counted["count"], counted["count_kind"]) == (5, "exact")
    assert [r["id"] for r in counted["results"]] == [r["id"] for r in plain["results"]]
    monkeypatch.setattr(lists, "EXACT_COUNT_CAP", 3)
    monkeypatch.setattr(lists, "SQLITE_COUNT_CAP", 4)
    over = client.get("/api/customers/", {"count": "true"}).json()
    if connection.vendor == "postgresql":
        assert over["count_kind"] == "estimate" and over["count"] >= 4
    else:
        assert (over["count"], over["count_kind"]) == (4, "at_least")
