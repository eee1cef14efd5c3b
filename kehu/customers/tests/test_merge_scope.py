"""Merge history stays inside data scopes: a merge of another branch's record into one of mine
shows me nothing of that record and cannot be undone by me; the merge form refuses a survivor
that is not among the merged records."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.urls import reverse

from kehu.customers import actions
from kehu.customers.models import Customer, CustomerMerge

from .factories import customer as make_customer


@pytest.fixture
def cross_merge(make_user, admin_user):
    """The administrator merged a branch-A customer into a branch-B one."""
    seller_a = make_user("salesperson", "a1")
    seller_b = make_user("salesperson", "b")
    survivor = make_customer(seller_b, 1, name="乙分公司存续客户")
    loser = make_customer(seller_a, 2, name="甲分公司机密客户", phone="13900001111")
    merge = actions.merge_customers(survivor=survivor, others=[loser], values={}, user=admin_user)
    return {
        "manager_b": make_user("branch_manager", "b"),
        "survivor": survivor,
        "loser": loser,
        "merge": merge,
    }


@pytest.mark.django_db
def test_api_merge_detail_omits_records_outside_the_scope(client, cross_merge):
    client.force_login(cross_merge["manager_b"])
    merge = cross_merge["merge"]
    response = client.get(f"/api/customer-merges/{merge.pk}/")
    assert response.status_code == 200
    body = json.dumps(response.json(), ensure_ascii=False)
    assert "甲分公司机密客户" not in body and "13900001111" not in body
    assert str(cross_merge["survivor"].pk) in response.json()["snapshot"]["survivor"]
    listing = json.dumps(client.get("/api/customer-merges/").json(), ensure_ascii=False)
    assert "甲分公司机密客户" not in listing


@pytest.mark.django_db
def test_merge_pages_omit_records_outside_the_scope(client, cross_merge):
    client.force_login(cross_merge["manager_b"])
    merge = cross_merge["merge"]
    history = client.get(reverse("customers:customer_merge_list")).content.decode()
    assert "甲分公司机密客户" not in history
    page = client.get(reverse("customers:customer_merge_undo", args=[merge.pk]))
    assert page.status_code == 200
    assert "甲分公司机密客户" not in page.content.decode()
    assert 'id="undo-submit"' not in page.content.decode()


@pytest.mark.django_db
def test_undo_needs_edit_rights_on_every_restored_record(client, cross_merge, admin_user):
    client.force_login(cross_merge["manager_b"])
    merge = cross_merge["merge"]
    assert client.post(f"/api/customer-merges/{merge.pk}/undo/").status_code == 403
    assert client.post(reverse("customers:customer_merge_undo", args=[merge.pk])).status_code == 403
    assert CustomerMerge.objects.get().undone_at is None
    assert not Customer.objects.filter(pk=cross_merge["loser"].pk).exists()
    client.force_login(admin_user)
    assert client.post(f"/api/customer-merges/{merge.pk}/undo/").status_code == 200
    assert Customer.objects.filter(pk=cross_merge["loser"].pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("survivor", ["999999", "abc", ""])
def test_merge_form_refuses_an_invalid_survivor(client, make_user, survivor):
    manager = make_user("sales_manager", "a1")
    a, b = make_customer(manager, 1), make_customer(manager, 2)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(manager)
    response = client.post(
        reverse("customers:customer_merge"), {"ids": [a.pk, b.pk], "survivor": survivor}
    )
    assert response.status_code == 400
    assert "Choose the record that survives" in response.content.decode()
    assert Customer.objects.filter(pk__in=[a.pk, b.pk]).count() == 2
    assert not CustomerMerge.objects.exists()


@pytest.mark.django_db
def test_undo_preview_names_no_record_outside_the_scope(client, make_user, admin_user):
    """A contact moved by the merge and later moved on to another branch's customer is listed
    as moved elsewhere without its name."""
    from .factories import contact as make_contact

    seller_a = make_user("salesperson", "a1")
    seller_b = make_user("salesperson", "b")
    survivor = make_customer(seller_b, 1)
    loser = make_customer(seller_a, 2)
    person = make_contact(seller_a, 3, customer=loser, name="甲方机密联系人")
    merge = actions.merge_customers(survivor=survivor, others=[loser], values={}, user=admin_user)
    person.refresh_from_db()
    person.customer = make_customer(seller_a, 4)
    person.owner_id, person.department_id = seller_a.pk, seller_a.department_id
    person.save()
    client.force_login(make_user("branch_manager", "b"))
    preview = client.get(f"/api/customer-merges/{merge.pk}/preview/")
    assert preview.status_code == 200
    assert len(preview.json()["elsewhere"]) == 1
    assert "甲方机密联系人" not in preview.content.decode()
    page = client.get(reverse("customers:customer_merge_undo", args=[merge.pk])).content.decode()
    assert "甲方机密联系人" not in page
