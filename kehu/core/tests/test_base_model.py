"""The base model: created/updated stamps, optimistic locking, audit of every write path."""

import pytest
from django.contrib.contenttypes.models import ContentType

from kehu.core.actions import bulk_create_audited, bulk_delete, bulk_update_audited
from kehu.core.context import acting_as
from kehu.core.errors import StaleObjectError
from kehu.core.models import AuditLog
from kehu.customers.models import Customer


def customer(owner, n=1, **kw):
    return Customer(
        number=f"T{n:05d}",
        name=kw.pop("name", f"测试客户{n}"),
        owner=owner,
        department=owner.department,
        **kw,
    )


def audit(obj):
    return AuditLog.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    )


@pytest.mark.django_db
def test_save_stamps_user_and_audits_create_and_diff(make_user):
    user = make_user()
    with acting_as(user):
        c = customer(user)
        c.save()
        assert c.created_by == user and c.version == 1
        entry = audit(c).get()
        assert entry.action == "create" and entry.user == user
        assert entry.changes["name"] == [None, "测试客户1"]

        c = Customer.objects.get(pk=c.pk)
        c.city = "上海"
        c.save()
    assert c.version == 2
    update = audit(c).filter(action="update").get()
    assert update.changes == {"city": ["", "上海"]}


@pytest.mark.django_db
def test_save_without_changes_writes_no_audit(make_user):
    user = make_user()
    c = customer(user)
    c.save()
    Customer.objects.get(pk=c.pk).save()
    assert audit(c).filter(action="update").count() == 0


@pytest.mark.django_db
def test_stale_save_is_refused_and_changes_nothing(make_user):
    user = make_user()
    c = customer(user)
    c.save()
    first, second = Customer.objects.get(pk=c.pk), Customer.objects.get(pk=c.pk)
    first.city = "北京"
    first.save()
    second.city = "广州"
    with pytest.raises(StaleObjectError):
        second.save()
    fresh = Customer.objects.get(pk=c.pk)
    assert fresh.city == "北京" and fresh.version == 2
    assert second.version == 1  # the refused save leaves the copy as it was


@pytest.mark.django_db
def test_bulk_paths_audit_every_row_and_bump_versions(make_user):
    user = make_user()
    with acting_as(user):
        rows = bulk_create_audited(Customer, [customer(user, n) for n in range(1, 6)])
        ct = ContentType.objects.get_for_model(Customer)
        assert AuditLog.objects.filter(action="create", content_type=ct).count() == 5
        assert all(r.pk for r in rows)
        n = bulk_update_audited(
            Customer.objects.filter(pk__in=[r.pk for r in rows[:3]]), city="杭州"
        )
    assert n == 3
    updates = AuditLog.objects.filter(action="update", content_type=ct)
    assert updates.count() == 3
    assert {u.user_id for u in updates} == {user.pk}
    assert set(updates.values_list("batch", flat=True)).__len__() == 1
    assert list(Customer.objects.filter(city="杭州").values_list("version", flat=True)) == [2, 2, 2]
    with acting_as(user):
        bulk_delete(Customer.objects.filter(pk__in=[r.pk for r in rows[:2]]))
    assert Customer.objects.count() == 3
    assert AuditLog.objects.filter(action="delete", content_type=ct).count() == 2


@pytest.mark.django_db
def test_instance_delete_is_audited(make_user):
    user = make_user()
    c = customer(user)
    c.save()
    pk = c.pk
    c.delete()
    assert AuditLog.objects.filter(action="delete", object_id=str(pk)).count() == 1
