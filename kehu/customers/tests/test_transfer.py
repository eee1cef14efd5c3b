"""Transferring customers to a colleague by hand (转移客户): one from its page, several from the
list, or through the API — with what goes along, who may do it, the audit and the notice."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from kehu.core.models import AuditLog, Notification
from kehu.core.testing import picker_choices
from kehu.customers.actions import transfer_customers
from kehu.customers.models import Activity, CareTask, Contact, Customer

from .factories import activity, contact, customer


@pytest.fixture
def team(make_user):
    """A sales manager and two salespeople of team A1; a salesperson of branch B."""
    return {
        "manager": make_user("sales_manager", "a1"),
        "li": make_user("salesperson", "a1"),
        "wang": make_user("salesperson", "a1"),
        "outsider": make_user("salesperson", "b"),
    }


def book(owner, n: int = 1):
    """A customer with a contact, an open care task, a planned and a done activity of its
    owner, and a planned activity of somebody else."""
    c = customer(owner, n)
    contact(owner, n, customer=c)
    CareTask.objects.create(
        customer=c,
        owner=owner,
        department=owner.department,
        kind=CareTask.Kind.BIRTHDAY,
        title="生日",
        due_on=datetime.date.today(),
    )
    later = timezone.now() + datetime.timedelta(days=2)
    activity(owner, 1, customer=c, status=Activity.Status.PLANNED, start_at=later, subject="拜访")
    activity(owner, 2, customer=c, subject="已完成的电话")
    return c


@pytest.mark.django_db
def test_transfer_moves_the_customer_and_what_goes_along(team):
    li, wang, manager = team["li"], team["wang"], team["manager"]
    c = book(li)
    helper = activity(manager, 3, customer=c, status=Activity.Status.PLANNED, subject="经理的会议")
    moved = transfer_customers(customers=[c], owner=wang, user=manager)
    assert moved == 1
    c.refresh_from_db()
    assert (c.owner_id, c.department_id) == (wang.pk, wang.department_id)
    assert set(Contact.objects.filter(customer=c).values_list("owner_id", flat=True)) == {wang.pk}
    assert set(CareTask.objects.filter(customer=c).values_list("owner_id", flat=True)) == {wang.pk}
    owners = dict(Activity.objects.filter(customer=c).values_list("subject", "owner_id"))
    # the planned visit goes along; done history and a colleague's meeting stay as they were
    assert owners == {"拜访": wang.pk, "已完成的电话": li.pk, "经理的会议": manager.pk}
    helper.refresh_from_db()
    entry = AuditLog.objects.get(
        object_id=str(c.pk), action="update", content_type__model="customer"
    )
    assert entry.user_id == manager.pk and entry.changes["owner_id"][1] == wang.pk
    # the contact, care task and visit that went along are in the same audit batch
    assert AuditLog.objects.filter(batch=entry.batch).count() == 4
    notice = Notification.objects.get(recipient=wang)
    assert c.name in notice.title and notice.link == c.get_absolute_url()
    # the planned visit that went along, counted
    assert "1 open activities" in notice.body or "1 项未完成的活动" in notice.body, notice.body
    # already theirs: nothing to do, nothing audited again
    assert transfer_customers(customers=[c], owner=wang, user=manager) == 0


@pytest.mark.django_db
def test_who_may_transfer_to_whom(team):
    li, wang, outsider, manager = team["li"], team["wang"], team["outsider"], team["manager"]
    c = book(li)
    # a salesperson without the reassign permission may not give a customer away
    with pytest.raises(PermissionDenied):
        transfer_customers(customers=[c], owner=wang, user=li)
    # nor touch a colleague's customer
    with pytest.raises(PermissionDenied):
        transfer_customers(customers=[c], owner=li, user=wang)
    # the manager may not give it to someone outside their department, nor to a leaver
    with pytest.raises(ValidationError):
        transfer_customers(customers=[c], owner=outsider, user=manager)
    wang.is_active = False
    wang.save()
    with pytest.raises(ValidationError):
        transfer_customers(customers=[c], owner=wang, user=manager)
    c.refresh_from_db()
    assert c.owner_id == li.pk
    assert not AuditLog.objects.filter(object_id=str(c.pk), action="update").exists()


@pytest.mark.django_db
def test_customer_page_transfer(client, team):
    li, wang, manager = team["li"], team["wang"], team["manager"]
    c = book(li)
    client.force_login(li)  # no reassign permission: no menu
    assert 'id="transfer-owner"' not in client.get(c.get_absolute_url()).content.decode()
    client.force_login(manager)
    page = client.get(c.get_absolute_url()).content.decode()
    assert 'id="transfer-owner"' in page
    assert str(wang.pk) in picker_choices(client, page, "owner")
    assert (
        '<input type="hidden" name="owner" value="" data-picker-value>' in page
    )  # no one preselected
    response = client.post(
        reverse("customers:customer_transfer_one", args=[c.pk]), {"owner": wang.pk}
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.owner_id == wang.pk
    # someone who cannot see the customer gets a 404, whatever they post
    client.force_login(team["outsider"])
    url = reverse("customers:customer_transfer_one", args=[c.pk])
    assert client.post(url, {"owner": team["outsider"].pk}).status_code == 404


@pytest.mark.django_db
def test_list_bulk_transfer_is_all_or_nothing(client, team):
    li, wang, manager, outsider = team["li"], team["wang"], team["manager"], team["outsider"]
    mine = [book(li, n) for n in (1, 2)]
    foreign = customer(outsider, 9)
    client.force_login(manager)
    listing = client.get(reverse("customers:customer_list")).content.decode()
    assert "data-bulk-reassign" in listing
    url = reverse("customers:customer_transfer")
    response = client.post(url, {"pk": [mine[0].pk, foreign.pk], "owner": wang.pk})
    assert response.status_code == 403
    assert set(
        Customer.objects.filter(pk__in=[c.pk for c in mine]).values_list("owner_id", flat=True)
    ) == {li.pk}
    response = client.post(url, {"pk": [c.pk for c in mine], "owner": wang.pk}, follow=True)
    assert set(
        Customer.objects.filter(pk__in=[c.pk for c in mine]).values_list("owner_id", flat=True)
    ) == {wang.pk}
    assert "2" in response.content.decode()
    assert Notification.objects.filter(recipient=wang).count() == 1  # one notice for the batch


@pytest.mark.django_db
def test_api_transfer(team):
    li, wang, manager, outsider = team["li"], team["wang"], team["manager"], team["outsider"]
    a, b = book(li, 1), book(li, 2)
    api = APIClient()
    api.force_authenticate(manager)
    response = api.post(f"/api/customers/{a.pk}/reassign/", {"owner": wang.pk}, format="json")
    assert response.status_code == 200 and response.json()["owner"] == wang.pk
    response = api.post(
        "/api/customers/reassign/", {"ids": [b.pk], "owner": outsider.pk}, format="json"
    )
    assert response.status_code == 400 and "owner" in response.json()
    response = api.post(
        "/api/customers/reassign/", {"ids": [b.pk], "owner": wang.pk}, format="json"
    )
    assert response.json() == {"moved": 1}
    api.force_authenticate(outsider)
    response = api.post(f"/api/customers/{a.pk}/reassign/", {"owner": outsider.pk}, format="json")
    assert response.status_code == 404
    api.force_authenticate(li)  # sees nothing of wang's now
    response = api.post("/api/customers/reassign/", {"ids": [a.pk], "owner": li.pk}, format="json")
    assert response.status_code == 404
