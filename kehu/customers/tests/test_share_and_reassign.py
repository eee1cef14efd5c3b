"""An edit share lets its recipient edit the record, nothing more: no owner change (that needs
the reassign-owner permission and data scope over both owners, for the page, the list and the
API alike) and no further sharing (that needs the record through one's own roles or ownership,
and never grants more than the sharer holds)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework.test import APIClient

from kehu.customers.actions import transfer_customers
from kehu.customers.models import Activity, Customer
from kehu.system.actions import share_record
from kehu.system.models import RecordShare, User

from .factories import activity, customer


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)


@pytest.fixture
def team(make_user, org):
    return {
        "sales17": make_user("salesperson", "a"),  # may share within branch A
        "sales18": make_user("salesperson", "a1"),
        "manager_a2": make_user("sales_manager", "a2"),  # may reassign, scope: team A2
        "a2_member": make_user("salesperson", "a2"),
        "b_member": make_user("salesperson", "b"),
        "hq": org["hq"],
    }


@pytest.fixture
def shared(team):
    """sales17's customer shared with sales18, who may edit it."""
    c = customer(team["sales17"], 1)
    share_record(obj=c, user=team["sales18"], can_edit=True, actor=team["sales17"])
    return c


@pytest.mark.django_db
def test_an_edit_share_does_not_let_its_recipient_take_the_customer(team, shared):
    sales18 = fresh(team["sales18"])
    api = APIClient()
    api.force_authenticate(sales18)
    assert (
        api.patch(
            f"/api/customers/{shared.pk}/",
            {"city": "苏州", "version": shared.version},
            format="json",
        ).status_code
        == 200
    )  # the share does allow editing
    one = api.post(f"/api/customers/{shared.pk}/reassign/", {"owner": sales18.pk}, format="json")
    assert one.status_code == 403
    many = api.post(
        "/api/customers/reassign/", {"ids": [shared.pk], "owner": sales18.pk}, format="json"
    )
    assert many.status_code == 403
    with pytest.raises(PermissionDenied):
        transfer_customers(customers=[shared], owner=sales18, user=sales18)
    shared.refresh_from_db()
    assert shared.owner_id == team["sales17"].pk


@pytest.mark.django_db
def test_pages_refuse_the_recipient_of_an_edit_share_too(client, team, shared):
    sales18 = team["sales18"]
    client.force_login(sales18)
    one = reverse("customers:customer_transfer_one", args=[shared.pk])
    assert client.post(one, {"owner": sales18.pk}).status_code == 403
    bulk = reverse("customers:customer_transfer")
    assert client.post(bulk, {"pk": [shared.pk], "owner": sales18.pk}).status_code == 403
    shared.refresh_from_db()
    assert shared.owner_id == team["sales17"].pk


@pytest.mark.django_db
def test_reassigning_needs_scope_over_the_current_owner_not_just_a_share(team):
    """A manager with the reassign permission, editing another team's customer through a
    share, may not move it into their own team."""
    c = customer(team["sales17"], 2)
    share_record(obj=c, user=team["manager_a2"], can_edit=True, actor=team["sales17"])
    with pytest.raises(PermissionDenied):
        transfer_customers(customers=[c], owner=team["a2_member"], user=fresh(team["manager_a2"]))
    a = activity(team["sales17"], 1, customer=c)
    from kehu.customers.actions import reassign_activities

    with pytest.raises(PermissionDenied):
        reassign_activities(activities=[a], owner=team["a2_member"], user=fresh(team["manager_a2"]))
    c.refresh_from_db()
    assert c.owner_id == team["sales17"].pk
    assert Activity.objects.get(pk=a.pk).owner_id == team["sales17"].pk


@pytest.mark.django_db
def test_an_edit_share_cannot_be_passed_on(team, shared):
    sales18 = fresh(team["sales18"])
    api = APIClient()
    api.force_authenticate(sales18)
    params = {"object_type": "customers.customer", "object_id": shared.pk}
    company_wide = api.post(
        "/api/shares/", {**params, "department": team["hq"].pk, "can_edit": True}, format="json"
    )
    assert company_wide.status_code == 403
    with pytest.raises(PermissionDenied):
        share_record(obj=shared, user=team["b_member"], actor=sales18)
    assert RecordShare.objects.count() == 1
    assert not Customer.objects.visible_to(fresh(team["b_member"])).filter(pk=shared.pk).exists()


@pytest.mark.django_db
def test_a_viewer_by_role_may_not_share_for_editing(make_user, team):
    """A service agent sees every customer (view: all, edit: own) and may share none of
    another's customers, least of all for editing."""
    agent = make_user("service_agent", "a1")
    c = customer(team["sales17"], 3)
    with pytest.raises(PermissionDenied):
        share_record(obj=c, user=team["sales18"], can_edit=True, actor=agent)
    assert not RecordShare.objects.exists()


@pytest.mark.django_db
def test_share_targets_are_colleagues_the_sharer_may_see(client, team):
    sales17, sales18, b_member = team["sales17"], team["sales18"], team["b_member"]
    c = customer(sales17, 4)
    client.force_login(sales17)
    widget = client.get(reverse("system:record_shares", args=["customers.customer", c.pk]))
    people, departments = widget.content.decode().split('name="department"')
    assert f'<option value="{sales18.pk}">' in people
    assert f'<option value="{b_member.pk}">' not in people
    assert f'<option value="{team["hq"].pk}">' not in departments  # no company-wide share
    params = {"object_type": "customers.customer", "object_id": c.pk}
    api = APIClient()
    api.force_authenticate(sales17)
    outside = api.post("/api/shares/", {**params, "user": b_member.pk}, format="json")
    assert outside.status_code == 400 and "user" in outside.json()
    hq = api.post("/api/shares/", {**params, "department": team["hq"].pk}, format="json")
    assert hq.status_code == 400 and "department" in hq.json()
    ok = api.post("/api/shares/", {**params, "user": sales18.pk}, format="json")
    assert ok.status_code == 201
