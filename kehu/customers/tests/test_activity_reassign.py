"""Activity owner change by hand: the action's rules (edit scope, who may be assigned, active
employees only), the audit entry, the inbox notice, the edit page's field and the API."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from kehu.core.models import AuditLog, Notification
from kehu.customers import actions
from kehu.customers.models import Activity

from .factories import activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user):
    return {
        "seller": make_user("salesperson", "a1", display_name="张三"),
        "teammate": make_user("salesperson", "a1", display_name="李四"),
        "manager": make_user("sales_manager", "a1", display_name="王经理"),
        "other_team": make_user("salesperson", "b", display_name="赵六"),
    }


def test_manager_reassigns_within_the_department_audited_and_notified(people):
    seller, teammate, manager = people["seller"], people["teammate"], people["manager"]
    a = activity(seller, 1, status=Activity.Status.PLANNED)
    a.start_at = timezone.now() + datetime.timedelta(days=1)
    a.save()
    moved = actions.reassign_activities(activities=[a], owner=teammate, user=manager)
    assert moved == 1
    a.refresh_from_db()
    assert a.owner == teammate and a.department_id == teammate.department_id
    entry = AuditLog.objects.filter(object_id=str(a.pk), action="update").latest("pk")
    assert entry.user == manager
    assert entry.changes["owner_id"] == [seller.pk, teammate.pk]
    note = Notification.objects.get(recipient=teammate, kind="activity_reassigned")
    assert a.subject in note.title and note.link == a.get_absolute_url()
    # giving it to the same owner again changes nothing and says nothing
    assert actions.reassign_activities(activities=[a], owner=teammate, user=manager) == 0
    assert Notification.objects.filter(recipient=teammate).count() == 1


def test_new_owner_must_be_assignable_and_active(people):
    seller, manager, other_team = people["seller"], people["manager"], people["other_team"]
    a = activity(seller, 1)
    with pytest.raises(ValidationError) as exc:  # outside the manager's edit scope
        actions.reassign_activities(activities=[a], owner=other_team, user=manager)
    assert "owner" in exc.value.message_dict
    people["teammate"].is_active = False
    people["teammate"].save()
    with pytest.raises(ValidationError):  # inactive
        actions.reassign_activities(activities=[a], owner=people["teammate"], user=manager)
    a.refresh_from_db()
    assert a.owner == seller


def test_salesperson_cannot_reassign_anothers_activity_nor_give_away_their_own(people):
    seller, teammate = people["seller"], people["teammate"]
    theirs = activity(teammate, 1)
    with pytest.raises(PermissionDenied):  # not in their edit scope
        actions.reassign_activities(activities=[theirs], owner=seller, user=seller)
    mine = activity(seller, 2)
    with pytest.raises(PermissionDenied):  # no reassign-owner permission
        actions.reassign_activities(activities=[mine], owner=teammate, user=seller)
    assert [p.pk for p in actions.activity_assignees(seller)] == [seller.pk]
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.owner == teammate and mine.owner == seller
    assert not AuditLog.objects.filter(object_id=str(theirs.pk), action="update").exists()


def test_several_at_once_all_or_nothing(people):
    seller, teammate, manager = people["seller"], people["teammate"], people["manager"]
    mine = [activity(seller, n) for n in (1, 2, 3)]
    outside = activity(people["other_team"], 4)
    with pytest.raises(PermissionDenied):
        actions.reassign_activities(activities=[*mine, outside], owner=teammate, user=manager)
    assert not Activity.objects.filter(owner=teammate).exists()
    assert actions.reassign_activities(activities=mine, owner=teammate, user=manager) == 3
    note = Notification.objects.get(recipient=teammate)
    assert "3" in note.title and f"owner={teammate.pk}" in note.link


def test_edit_page_owner_field(client, people):
    seller, teammate, manager = people["seller"], people["teammate"], people["manager"]
    a = activity(seller, 1)
    url = reverse("customers:activity_edit", args=[a.pk])
    client.force_login(seller)  # a salesperson has no one to give it to: no field
    assert 'name="owner"' not in client.get(url).content.decode()
    client.force_login(manager)
    page = client.get(url).content.decode()
    assert 'name="owner"' in page and "李四" in page and "赵六" not in page
    form = {
        "customer": a.customer.number,
        "kind": a.kind,
        "subject": a.subject,
        "start_at": timezone.localtime(a.start_at).strftime("%Y-%m-%dT%H:%M"),
        "status": a.status,
        "version": a.version,
        "owner": teammate.pk,
    }
    r = client.post(url, form)
    assert r.status_code == 302, r.content.decode()[:3000]
    a.refresh_from_db()
    assert a.owner == teammate
    # someone outside the scope is refused with a message on the field
    form.update(owner=people["other_team"].pk, version=a.version)
    r = client.post(url, form)
    assert r.status_code == 200
    a.refresh_from_db()
    assert a.owner == teammate


def test_api_reassign_one_and_many(client, people):
    seller, teammate, manager = people["seller"], people["teammate"], people["manager"]
    a, b = activity(seller, 1), activity(seller, 2)
    client.force_login(seller)
    r = client.post(f"/api/activities/{a.pk}/reassign/", {"owner": teammate.pk})
    assert r.status_code == 403  # no reassign-owner permission
    client.force_login(teammate)  # cannot see the seller's activity at all
    assert (
        client.post(f"/api/activities/{a.pk}/reassign/", {"owner": teammate.pk}).status_code == 404
    )
    client.force_login(manager)
    r = client.post(f"/api/activities/{a.pk}/reassign/", {"owner": teammate.pk})
    assert r.status_code == 200 and r.json()["owner"] == teammate.pk
    r = client.post(
        "/api/activities/reassign/",
        {"ids": [a.pk, b.pk], "owner": manager.pk},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json() == {"moved": 2}
    outside = activity(people["other_team"], 3)
    r = client.post(
        "/api/activities/reassign/",
        {"ids": [a.pk, outside.pk], "owner": teammate.pk},
        content_type="application/json",
    )
    assert r.status_code == 404
    assert set(Activity.objects.filter(pk__in=[a.pk, b.pk]).values_list("owner", flat=True)) == {
        manager.pk
    }


def test_list_bulk_reassign(client, people, django_assert_max_num_queries):
    seller, teammate, manager = people["seller"], people["teammate"], people["manager"]
    mine = [activity(seller, n) for n in (1, 2, 3)]
    url = reverse("customers:activity_list")
    client.force_login(seller)  # nobody else to give them to: no bulk reassign
    everything = {"status": ""}  # the list opens on planned activities; these are done
    assert "data-bulk-reassign" not in client.get(url, everything).content.decode()
    client.force_login(manager)
    page = client.get(url, everything).content.decode()
    assert "data-bulk-reassign" in page and 'name="pk"' in page and "李四" in page
    with django_assert_max_num_queries(60):
        r = client.post(
            reverse("customers:activity_bulk_reassign") + "?kind=call",
            {"pk": [a.pk for a in mine[:2]], "owner": teammate.pk},
        )
    assert r.status_code == 302 and r["Location"].endswith("?kind=call")
    assert set(Activity.objects.filter(owner=teammate).values_list("pk", flat=True)) == {
        mine[0].pk,
        mine[1].pk,
    }
    assert AuditLog.objects.filter(object_id=str(mine[0].pk), user=manager).exists()
    # outside the scope: refused, nothing moves
    outside = activity(people["other_team"], 4)
    r = client.post(
        reverse("customers:activity_bulk_reassign"),
        {"pk": [mine[2].pk, outside.pk], "owner": teammate.pk},
    )
    assert r.status_code == 403
    assert Activity.objects.get(pk=mine[2].pk).owner == seller
    # a salesperson cannot reassign another's activity through the list either
    client.force_login(teammate)
    r = client.post(
        reverse("customers:activity_bulk_reassign"), {"pk": [mine[2].pk], "owner": teammate.pk}
    )
    assert r.status_code == 403
    assert Activity.objects.get(pk=mine[2].pk).owner == seller
