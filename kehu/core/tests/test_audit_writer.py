"""The one audit writer (``core.audit``): one diff rule for single and bulk writes, and
``QuerySet.update()``/``bulk_update()`` on audited models refused outside it."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from kehu.core import audit
from kehu.core.actions import bulk_save_audited, bulk_update_audited
from kehu.core.audit import UnauditedWriteError, audited_write, unaudited_write
from kehu.core.context import acting_as
from kehu.core.models import AuditLog, BackgroundJob
from kehu.customers.models import Customer
from kehu.customers.tests.factories import customer


def entries(obj, action="update"):
    return AuditLog.objects.filter(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        action=action,
    )


@pytest.mark.django_db
def test_queryset_update_on_an_audited_model_is_refused(make_user):
    c = customer(make_user(), 1, name="原名")
    with pytest.raises(UnauditedWriteError, match="audit"):
        Customer.objects.filter(pk=c.pk).update(name="x")
    with pytest.raises(UnauditedWriteError):
        Customer._base_manager.filter(pk=c.pk).update(name="x")  # the base manager too
    c.name = "y"
    with pytest.raises(UnauditedWriteError):
        Customer.objects.bulk_update([c], ["name"])
    c.refresh_from_db()
    assert c.name == "原名" and not entries(c).exists()


@pytest.mark.django_db
def test_models_outside_the_audit_trail_update_freely(make_user):
    job = BackgroundJob.objects.create(kind="export", user=make_user())
    assert BackgroundJob.objects.filter(pk=job.pk).update(progress=5) == 1


@pytest.mark.django_db
def test_the_escape_hatch_names_a_reason_and_writes_no_entry(make_user):
    c = customer(make_user(), 1)
    with pytest.raises(ValueError), unaudited_write(""):
        pass
    with unaudited_write("test: derived data"):
        Customer.objects.filter(pk=c.pk).update(city="杭州")
    with pytest.raises(UnauditedWriteError):  # only inside the block
        Customer.objects.filter(pk=c.pk).update(city="上海")
    assert not entries(c).exists()


@pytest.mark.django_db
def test_bulk_update_through_the_writer_audits_and_bumps_versions(make_user):
    user = make_user()
    a, b = customer(user, 1), customer(user, 2, city="杭州")
    with acting_as(user):
        n = bulk_update_audited(Customer.objects.filter(pk__in=[a.pk, b.pk]), city="杭州")
    assert n == 2
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.city == "杭州" and a.version == 2 and b.version == 2
    assert entries(a).get().changes == {"city": ["上海", "杭州"]}
    assert not entries(b).exists()  # nothing changed for b: no entry


@pytest.mark.django_db
def test_bulk_update_honours_audit_exclude(make_user):
    """Excluded fields (noise, secrets: a password hash) stay out of bulk entries as out of saves."""
    user = make_user()
    person = make_user()
    with acting_as(user):
        bulk_update_audited(
            type(person).objects.filter(pk=person.pk),
            display_name="新名字",
            password="pbkdf2_sha256$secret-hash",
            last_login=timezone.now(),
        )
    assert entries(person).get().changes == {"display_name": [person.display_name, "新名字"]}


@pytest.mark.django_db
def test_bulk_update_compares_values_as_a_save_does(make_user):
    """``"2024-01-01"`` for a date that holds 2024-01-01 is no change, for ``save()`` and bulk."""
    user = make_user()
    c = customer(user, 1, registered_on=datetime.date(2024, 1, 1))
    bulk_update_audited(Customer.objects.filter(pk=c.pk), registered_on="2024-01-01")
    c.refresh_from_db()
    c.registered_on = "2024-01-01"
    c.save()
    assert not entries(c).exists()


@pytest.mark.django_db
def test_bulk_save_expands_custom_fields_like_a_save(make_user):
    user = make_user()
    c = customer(user, 1)
    with unaudited_write("test set-up"):
        Customer.objects.filter(pk=c.pk).update(custom={"a": 1, "b": 2})
    c = Customer.objects.get(pk=c.pk)
    c.custom = {"a": 1, "b": 3}
    bulk_save_audited([c], ["custom"])
    assert entries(c).get().changes == {"custom.b": [2, 3]}


@pytest.mark.django_db
def test_one_diff_rule_for_creation_and_deletion(make_user):
    """Created and deleted rows record their values alike, without excluded or derived columns."""
    user = make_user()
    with acting_as(user):
        single = customer(user, 1)
        (bulk,) = audit.audited_bulk_create(Customer, [Customer(**_fields(user, 2))])
    created = [entries(o, "create").get().changes for o in (single, bulk)]
    for changes in created:
        assert not {"search_text", "search_grams", "updated_by_id", "version"} & set(changes)
    assert set(created[0]) == set(created[1])


def _fields(user, n):
    return {
        "number": f"B{n:05d}",
        "name": f"批量客户{n}",
        "owner": user,
        "department": user.department,
        "city": "上海",
    }


@pytest.mark.django_db
def test_inside_the_writer_context_update_runs(make_user):
    c = customer(make_user(), 1)
    with audited_write():
        assert Customer.objects.filter(pk=c.pk).update(city="x") == 1
