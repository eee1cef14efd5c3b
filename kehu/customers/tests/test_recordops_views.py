"""Record operations through the pages and the API: deleted records vanish everywhere, the
recycle bin, copy, merge and undo pages, erasure — each with its leak test per role."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from kehu.core import records
from kehu.core.models import AuditLog
from kehu.customers import actions
from kehu.customers.models import Contact, Customer, CustomerAlias, CustomerMerge

from .factories import contact as make_contact
from .factories import customer as make_customer


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager", "a1")


@pytest.fixture
def outsider(make_user):
    """A sales manager of another branch: has every right, but not on team A1's records."""
    return make_user("sales_manager", "b")


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def merge_url(*ids, kind="customer"):
    return reverse(f"customers:{kind}_merge") + "?" + "&".join(f"ids={i}" for i in ids)


# Delete -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_delete_page_lists_dependents_then_soft_deletes(client, manager):
    cust = make_customer(manager, 1, name="依赖客户")
    make_contact(manager, 2, customer=cust)
    make_customer(manager, 3, parent=cust)
    client.force_login(manager)
    english(client)
    page = client.get(reverse("customers:customer_delete", args=[cust.pk])).content.decode()
    assert 'id="dependents"' in page and "recycle bin" in page
    assert "Deleted with it, restored with it" in page  # contacts
    assert "the link is removed when the record is purged" in page  # the subsidiary
    assert client.post(reverse("customers:customer_delete", args=[cust.pk])).status_code == 302
    assert Customer.all_objects.get(pk=cust.pk).deleted_at is not None


@pytest.mark.django_db
def test_deleted_records_vanish_from_lists_search_api_and_export(client, manager):
    gone = make_customer(manager, 1, name="已删客户甲")
    person = make_contact(manager, 2, customer=gone, name="已删联系人乙")
    kept = make_customer(manager, 3, name="保留客户丙")
    records.soft_delete(obj=gone, user=manager)
    client.force_login(manager)
    listing = client.get(reverse("customers:customer_list")).content.decode()
    assert "已删客户甲" not in listing and "保留客户丙" in listing
    assert "已删联系人乙" not in client.get(reverse("customers:contact_list")).content.decode()
    found = client.get(reverse("core:search"), {"q": "已删"}).content.decode()
    assert "已删客户甲" not in found and "已删联系人乙" not in found
    assert client.get(f"/api/customers/{gone.pk}/").status_code == 404
    assert client.get(f"/api/contacts/{person.pk}/").status_code == 404
    ids = [row["id"] for row in client.get("/api/customers/").json()["results"]]
    assert ids == [kept.pk]
    assert client.get(reverse("customers:customer_detail", args=[gone.pk])).status_code == 404
    export = client.get(reverse("customers:customer_list") + "?export=csv")
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "已删客户甲" not in body and "保留客户丙" in body
    # a deleted customer is no longer a choice for a new contact
    response = client.post(
        reverse("customers:contact_add"), {"customer": gone.number, "name": "新", "gender": "male"}
    )
    assert response.status_code == 200 and not Contact.objects.filter(name="新").exists()


@pytest.mark.django_db
def test_api_delete_soft_deletes_and_restore(client, manager):
    cust = make_customer(manager, 1)
    client.force_login(manager)
    assert client.delete(f"/api/customers/{cust.pk}/").status_code == 204
    assert Customer.all_objects.filter(pk=cust.pk, deleted_at__isnull=False).exists()
    restored = client.post(f"/api/customers/{cust.pk}/restore/")
    assert restored.status_code == 200, restored.content
    assert restored.json()["id"] == cust.pk


@pytest.mark.django_db
def test_bulk_delete_view_soft_deletes(client, admin_user, manager):
    a, b = make_customer(manager, 1), make_customer(manager, 2)
    client.force_login(admin_user)
    client.post(reverse("customers:customer_bulk_delete"), {"pk": [a.pk, b.pk]})
    assert Customer.all_objects.filter(pk__in=[a.pk, b.pk], deleted_at__isnull=False).count() == 2


# Recycle bin ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_recycle_bin_shows_only_visible_records_and_restores(client, manager, outsider, make_user):
    mine = make_customer(manager, 1, name="回收站客户")
    records.soft_delete(obj=mine, user=manager)
    url = reverse("customers:recycle_bin")
    client.force_login(outsider)
    assert "回收站客户" not in client.get(url).content.decode()
    restore = reverse("customers:recycle_restore", args=["customer", mine.pk])
    assert client.post(restore).status_code == 404
    assert client.post(f"/api/customers/{mine.pk}/restore/").status_code == 404
    client.force_login(make_user("salesperson", "a1"))  # no delete right: no recycle bin
    assert client.get(url).status_code == 403
    client.force_login(manager)
    assert "回收站客户" in client.get(url).content.decode()
    assert client.post(restore).status_code == 302
    assert Customer.objects.filter(pk=mine.pk).exists()


# Copy -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_copy_page_prefills_and_creates_with_contacts(client, manager):
    source = make_customer(manager, 1, name="原客户", city="杭州")
    make_contact(manager, 2, customer=source, name="联系人甲")
    client.force_login(manager)
    english(client)
    page = client.get(reverse("customers:customer_copy", args=[source.pk])).content.decode()
    assert "原客户 (copy)" in page and "杭州" in page
    response = client.post(
        reverse("customers:customer_copy", args=[source.pk]),
        {
            "name": "原客户 (copy)",
            "kind": "company",
            "city": "杭州",
            "credit_limit": "0",
            "registered_on": "2026-01-01",
            "copy_contacts": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    copy = Customer.objects.get(name="原客户 (copy)")
    assert copy.number and copy.number != source.number
    assert list(copy.contacts.values_list("name", flat=True)) == ["联系人甲"]


@pytest.mark.django_db
def test_copy_of_invisible_customer_is_404(client, manager, outsider):
    source = make_customer(manager, 1)
    client.force_login(outsider)
    assert client.get(reverse("customers:customer_copy", args=[source.pk])).status_code == 404


# Merge and undo ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_merge_page_then_undo_page(client, manager):
    a = make_customer(manager, 1, name="甲公司", city="北京")
    b = make_customer(manager, 2, name="甲公司北京", city="上海")
    make_contact(manager, 3, customer=b)
    client.force_login(manager)
    page = client.get(merge_url(a.pk, b.pk)).content.decode()
    assert 'name="value_city"' in page and 'id="merge-moving"' in page
    response = client.post(
        reverse("customers:customer_merge"),
        {
            "ids": [a.pk, b.pk],
            "survivor": a.pk,
            "value_city": b.pk,
            f"version_{a.pk}": a.version,
            f"version_{b.pk}": b.version,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    a.refresh_from_db()
    assert a.city == "上海" and a.contacts.count() == 1
    merge = CustomerMerge.objects.get()
    detail = client.get(reverse("customers:customer_detail", args=[a.pk])).content.decode()
    assert reverse("customers:customer_merge_undo", args=[merge.pk]) in detail
    assert "甲公司北京" in detail  # the alias
    history = client.get(reverse("customers:customer_merge_list")).content.decode()
    assert "甲公司北京" in history
    undo = reverse("customers:customer_merge_undo", args=[merge.pk])
    assert 'id="undo-submit"' in client.get(undo).content.decode()
    assert client.post(undo).status_code == 302
    assert Customer.objects.filter(pk=b.pk).exists()
    assert not CustomerAlias.objects.exists()


@pytest.mark.django_db
def test_merge_page_refuses_a_record_edited_meanwhile(client, manager):
    a, b = make_customer(manager, 1), make_customer(manager, 2)
    client.force_login(manager)
    english(client)
    data = {
        "ids": [a.pk, b.pk],
        "survivor": a.pk,
        f"version_{a.pk}": a.version,
        f"version_{b.pk}": b.version,
    }
    b.notes = "edited by someone else"
    b.save()
    response = client.post(reverse("customers:customer_merge"), data)
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert Customer.objects.filter(pk=b.pk).exists()


@pytest.mark.django_db
def test_merge_and_undo_pages_are_closed_to_outsiders(client, manager, outsider, make_user):
    a, b = make_customer(manager, 1), make_customer(manager, 2)
    client.force_login(outsider)
    assert client.get(merge_url(a.pk, b.pk)).status_code == 404
    mine = make_customer(outsider, 3)
    assert client.get(merge_url(mine.pk, a.pk)).status_code == 404
    response = client.post(
        "/api/customers/merge/",
        {"survivor": mine.pk, "others": [a.pk]},
        content_type="application/json",
    )
    assert response.status_code == 404
    salesperson = make_user("salesperson", "a1")
    client.force_login(salesperson)
    assert client.get(merge_url(a.pk, b.pk)).status_code == 403  # no merge right
    merge = actions.merge_customers(survivor=a, others=[b], values={}, user=manager)
    client.force_login(outsider)
    undo = reverse("customers:customer_merge_undo", args=[merge.pk])
    assert client.get(undo).status_code == 404
    assert client.post(undo).status_code == 404
    assert b.name not in client.get(reverse("customers:customer_merge_list")).content.decode()
    assert client.get(f"/api/customer-merges/{merge.pk}/").status_code == 404
    assert client.post(f"/api/customer-merges/{merge.pk}/undo/").status_code == 404
    assert client.get("/api/customer-merges/").json()["results"] == []
    assert CustomerMerge.objects.get().undone_at is None


@pytest.mark.django_db
def test_merge_viewer_without_edit_scope_cannot_merge(client, manager, make_user, roles):
    """A director sees everything but edits only their subtree: merging A1's records is 403."""
    a, b = make_customer(manager, 1), make_customer(manager, 2)
    from kehu.system.models import Role

    viewer = make_user("branch_manager", "b")  # sees and edits branch B only
    viewer.roles.add(Role.objects.create(name="see-all", default_view_scope="all"))
    client.force_login(viewer)
    response = client.post(
        "/api/customers/merge/",
        {"survivor": a.pk, "others": [b.pk]},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert Customer.objects.filter(pk=b.pk).exists()


@pytest.mark.django_db
def test_api_merge_preview_and_undo(client, manager):
    a, b = make_customer(manager, 1, city="北京"), make_customer(manager, 2, city="上海")
    client.force_login(manager)
    response = client.post(
        "/api/customers/merge/",
        {"survivor": a.pk, "others": [b.pk], "values": {"city": b.pk}},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    merge_id = response.json()["id"]
    assert response.json()["losers"] == [b.pk]
    a.refresh_from_db()
    a.notes = "after"
    actions.save_customer(customer=a, user=manager)
    preview = client.get(f"/api/customer-merges/{merge_id}/preview/").json()
    assert [row["field"] for row in preview["kept"]] == ["notes"]
    assert "city" in [row["field"] for row in preview["restored"]]
    assert client.post(f"/api/customer-merges/{merge_id}/undo/").status_code == 200
    assert client.post(f"/api/customer-merges/{merge_id}/undo/").status_code == 400


@pytest.mark.django_db
def test_contact_merge_page(client, manager):
    cust = make_customer(manager, 1)
    a = make_contact(manager, 2, customer=cust)
    b = make_contact(manager, 3, customer=cust, email="b@x.cn")
    client.force_login(manager)
    assert client.get(merge_url(a.pk, b.pk, kind="contact")).status_code == 200
    response = client.post(
        reverse("customers:contact_merge"),
        {"ids": [a.pk, b.pk], "survivor": a.pk, "value_email": b.pk},
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.email == "b@x.cn" and not Contact.objects.filter(pk=b.pk).exists()


# Erasure ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_erase_page_needs_permission_and_typed_name(client, manager, admin_user, outsider):
    person = make_contact(manager, 1, name="李四")
    url = reverse("customers:contact_erase", args=[person.pk])
    client.force_login(manager)
    assert client.get(url).status_code == 403
    assert client.post(f"/api/contacts/{person.pk}/erase/", {"reason": "x"}).status_code == 403
    client.force_login(admin_user)
    assert client.get(url).status_code == 200
    wrong = client.post(url, {"reason": "GDPR request 7", "confirm": "王五"})
    assert wrong.status_code == 400
    assert Contact.objects.get(pk=person.pk).name == "李四"
    assert client.post(url, {"reason": "GDPR request 7", "confirm": "李四"}).status_code == 302
    person.refresh_from_db()
    assert "李四" not in person.name
    assert AuditLog.for_object(person).get(action="erase").changes["reason"] == "GDPR request 7"


@pytest.mark.django_db
def test_api_erase(client, admin_user, manager):
    person = make_customer(manager, 1, kind="individual", name="赵六", phone="021-1234567")
    client.force_login(admin_user)
    response = client.post(
        f"/api/customers/{person.pk}/erase/", {"reason": "PIPL"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert "phone" in response.json()["fields"]
    person.refresh_from_db()
    assert person.phone == ""
