"""Record operations as actions: soft delete and what depends on a record, restore, purge after
retention, copy, merge (with a model that did not exist when merge was written) and its undo,
and the erasure of personal data."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.utils import timezone

from kehu.core import records
from kehu.core.actions import add_attachment, bulk_delete
from kehu.core.audit import unaudited_write
from kehu.core.context import acting_as
from kehu.core.models import Attachment, AuditLog
from kehu.customers import actions
from kehu.customers.models import (
    Contact,
    ContactAlias,
    Customer,
    CustomerAlias,
    CustomerMerge,
)
from kehu.customers.signals import merge_undone, records_merged
from kehu.system.models import RecordShare

from .factories import contact as make_contact
from .factories import customer as make_customer


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager", "a1")


def attach(target, name="card.txt"):
    return add_attachment(target=target, upload=SimpleUploadedFile(name, b"hello", "text/plain"))


# Soft delete ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dependents_list_contacts_subsidiaries_attachments_and_shares(manager, make_user):
    parent = make_customer(manager, 1)
    make_customer(manager, 2, parent=parent)
    make_contact(manager, 3, customer=parent)
    make_contact(manager, 4, customer=parent)
    with acting_as(manager):
        attach(parent)
    RecordShare.objects.create(
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=parent.pk,
        user=make_user("salesperson", "b"),
    )
    from kehu.customers.tests.factories import activity as make_activity

    make_activity(manager, 5, customer=parent)
    found = {d.label: d for d in records.dependents(parent)}
    assert found["customers.activity"].effect == str(records.EFFECT_PURGED)
    assert found["customers.contact"].count == 2
    assert found["customers.contact"].effect == str(records.EFFECT_CASCADE)
    assert found["customers.customer"].count == 1  # the subsidiary
    assert found["core.attachment"].count == 1
    assert found["system.recordshare"].count == 1
    assert "customers.customermerge" not in found


@pytest.mark.django_db
def test_soft_delete_hides_customer_and_its_contacts_and_restore_brings_both(manager):
    cust = make_customer(manager, 1)
    kept = make_contact(manager, 2, customer=cust)
    earlier = make_contact(manager, 3, customer=cust)
    records.soft_delete(obj=earlier, user=manager)  # deleted on its own before
    records.soft_delete(obj=cust, user=manager)
    assert not Customer.objects.filter(pk=cust.pk).exists()
    assert not Contact.objects.filter(pk__in=[kept.pk, earlier.pk]).exists()
    assert Customer.all_objects.get(pk=cust.pk).deleted_by == manager
    assert AuditLog.for_object(cust).filter(action="delete").exists()
    records.restore(obj=Customer.all_objects.get(pk=cust.pk), user=manager)
    assert Customer.objects.filter(pk=cust.pk).exists()
    assert Contact.objects.filter(pk=kept.pk).exists()
    # a contact deleted separately stays in the recycle bin
    assert not Contact.objects.filter(pk=earlier.pk).exists()
    assert AuditLog.for_object(cust).filter(action="restore").exists()


@pytest.mark.django_db
def test_bulk_delete_soft_deletes(manager):
    a, b = make_customer(manager, 1), make_customer(manager, 2)
    with acting_as(manager):
        assert bulk_delete(Customer.objects.filter(pk__in=[a.pk, b.pk])) == 2
    assert Customer.all_objects.filter(pk__in=[a.pk, b.pk], deleted_at__isnull=False).count() == 2


@pytest.mark.django_db
def test_number_uniqueness_ignores_deleted_and_blocks_restore_when_taken(manager):
    old = make_customer(manager, 1, number="C-1")
    records.soft_delete(obj=old, user=manager)
    new = actions.save_customer(customer=Customer(name="新", number="C-1"), user=manager)
    assert new.number == "C-1"
    with pytest.raises(ValidationError):
        actions.save_customer(customer=Customer(name="又一个", number="C-1"), user=manager)
    with pytest.raises(ValidationError):
        records.restore(obj=Customer.all_objects.get(pk=old.pk), user=manager)


@pytest.mark.django_db
def test_contact_of_deleted_customer_cannot_come_back_alone(manager):
    person = make_contact(manager, 1)
    records.soft_delete(obj=person.customer, user=manager)
    with pytest.raises(ValidationError):
        records.restore(obj=Contact.all_objects.get(pk=person.pk), user=manager)


@pytest.mark.django_db
def test_restore_needs_delete_permission_and_edit_access(manager, make_user):
    cust = make_customer(manager, 1)
    records.soft_delete(obj=cust, user=manager)
    deleted = Customer.all_objects.get(pk=cust.pk)
    with pytest.raises(PermissionDenied):
        actions.restore_record(obj=deleted, user=make_user("salesperson", "a1"))
    with pytest.raises(PermissionDenied):
        actions.restore_record(obj=deleted, user=make_user("sales_manager", "b"))
    actions.restore_record(obj=deleted, user=manager)
    assert Customer.objects.filter(pk=cust.pk).exists()


@pytest.mark.django_db
def test_purge_after_retention_only(manager):
    old = make_customer(manager, 1)
    person = make_contact(manager, 2, customer=old)
    sub = make_customer(manager, 3, parent=old)
    with acting_as(manager):
        attach(old)
    recent = make_customer(manager, 4)
    from kehu.customers.tests.factories import activity as make_activity

    call = make_activity(manager, 5, customer=old)
    from kehu.customers.models import CareTask

    care = CareTask.objects.create(
        customer=old,
        kind=CareTask.Kind.BIRTHDAY,
        due_on=timezone.localdate(),
        owner=manager,
        department=manager.department,
    )
    records.soft_delete(obj=old, user=manager)
    records.soft_delete(obj=recent, user=manager)
    with unaudited_write("test set-up: deleted long ago"):
        Customer.all_objects.filter(pk=old.pk).update(
            deleted_at=timezone.now() - datetime.timedelta(days=31)
        )
        Contact.all_objects.filter(pk=person.pk).update(
            deleted_at=timezone.now() - datetime.timedelta(days=31)
        )
    from kehu.core.tasks import purge_recycle_bin

    result = purge_recycle_bin()
    assert result["customers.customer"] == [1, 0]
    assert not Customer.all_objects.filter(pk=old.pk).exists()
    assert not Contact.all_objects.filter(pk=person.pk).exists()
    assert Customer.all_objects.filter(pk=recent.pk).exists()
    sub.refresh_from_db()
    assert sub.parent_id is None
    assert not Attachment.objects.filter(object_id=str(old.pk)).exists()
    assert AuditLog.objects.filter(
        object_id=str(old.pk), content_type__model="customer", action="delete", user=None
    ).exists()
    # The customer's activities are part of it: purged with it, each audited.
    assert not type(call).objects.filter(pk=call.pk).exists()
    assert not CareTask.objects.filter(pk=care.pk).exists()
    assert AuditLog.objects.filter(
        object_id=str(care.pk), content_type__model="caretask", action="delete"
    ).exists()
    assert AuditLog.objects.filter(
        object_id=str(call.pk), content_type__model="activity", action="delete"
    ).exists()


# Copy -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_copy_customer_with_contacts(manager, make_user):
    source = make_customer(manager, 1, notes="VIP")
    boss = make_contact(manager, 2, customer=source, name="老板")
    make_contact(manager, 3, customer=source, name="秘书", reports_to=boss)
    other = make_user("sales_manager", "a1")
    copy = Customer(
        **{
            f: getattr(source, f)
            for f in ("name", "city", "notes", "kind", "registered_on", "credit_limit")
        }
    )
    copy.name = f"{source.name} (copy)"
    result = actions.copy_customer(source=source, customer=copy, user=other, with_contacts=True)
    assert result.pk != source.pk and result.number != source.number
    assert result.owner == other
    names = dict(result.contacts.values_list("name", "reports_to__name"))
    assert names == {"老板": None, "秘书": "老板"}
    assert not AuditLog.for_object(result).filter(action="update", changes__has_key="owner_id")


# Merge ------------------------------------------------------------------------------------------


@pytest.fixture
def linked_model(db):
    """A model written "later" (like activities) with a FK and a M2M to customers; its tables
    are created inside the test's transaction and vanish with its rollback."""

    class Visit(models.Model):
        customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
        guests = models.ManyToManyField(Customer, related_name="+")
        note = models.CharField(max_length=50, blank=True)

        class Meta:
            app_label = "customers"

        def __str__(self) -> str:
            return self.note

    try:
        editor = connection.schema_editor(atomic=False)
        editor.deferred_sql = []
        for model in (Visit, Visit.guests.through):
            sql, params = editor.table_sql(model)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
        yield Visit
    finally:
        through = Visit.guests.through._meta.model_name
        for name in ("visit", through):
            apps.all_models["customers"].pop(name, None)
            apps.app_configs["customers"].models.pop(name, None)
        apps.clear_cache()


def test_merge_three_customers_moves_everything_and_undo_puts_it_back(linked_model, make_user):
    Visit = linked_model
    manager = make_user("sales_manager", "a1")
    a = make_customer(manager, 1, name="华为技术", phone="010-1111111", city="北京")
    b = make_customer(manager, 2, name="华为北京", phone="010-2222222", email="b@hw.cn")
    c = make_customer(manager, 3, name="华为(北京)", city="深圳")
    child = make_customer(manager, 4, parent=b)
    pb = make_contact(manager, 5, customer=b)
    pc = make_contact(manager, 6, customer=c)
    with acting_as(manager):
        att = attach(c)
    share = RecordShare.objects.create(
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=b.pk,
        user=make_user("salesperson", "b"),
    )
    v1 = Visit.objects.create(customer=b)
    v2 = Visit.objects.create(customer=a)
    v2.guests.add(a, c)
    v1.guests.add(b)
    seen = []
    records_merged.connect(lambda **kw: seen.append(kw["losers"]), weak=False, dispatch_uid="t1")
    merge = actions.merge_customers(
        survivor=a, others=[b, c], values={"email": b.pk, "city": c.pk}, user=manager
    )
    records_merged.disconnect(dispatch_uid="t1")
    assert seen == [[b.pk, c.pk]]
    a.refresh_from_db()
    assert (a.name, a.email, a.city, a.phone) == ("华为技术", "b@hw.cn", "深圳", "010-1111111")
    assert set(a.contacts.values_list("pk", flat=True)) == {pb.pk, pc.pk}
    child.refresh_from_db()
    assert child.parent_id == a.pk
    att.refresh_from_db()
    assert att.object_id == str(a.pk)
    share.refresh_from_db()
    assert share.object_id == a.pk
    v1.refresh_from_db()
    assert v1.customer_id == a.pk
    assert set(v1.guests.values_list("pk", flat=True)) == {a.pk}
    assert set(v2.guests.values_list("pk", flat=True)) == {a.pk}  # duplicate link dropped
    assert not Customer.objects.filter(pk__in=[b.pk, c.pk]).exists()
    assert Customer.all_objects.get(pk=b.pk).merged_into_id == merge.pk
    aliases = set(CustomerAlias.objects.filter(customer=a).values_list("name", "number"))
    assert aliases == {(b.name, b.number), (c.name, c.number)}
    assert merge.snapshot["losers"][str(b.pk)]["email"] == "b@hw.cn"
    assert merge.moved_counts["customers.contact"] == 2
    assert AuditLog.for_object(a).filter(action="merge").exists()

    undone = []
    merge_undone.connect(lambda **kw: undone.append(kw["restored"]), weak=False, dispatch_uid="t2")
    actions.undo_merge(merge=merge, user=manager)
    merge_undone.disconnect(dispatch_uid="t2")
    assert undone == [[b.pk, c.pk]]
    a.refresh_from_db()
    assert (a.email, a.city) == ("", "北京")
    assert set(Customer.objects.filter(pk__in=[b.pk, c.pk]).values_list("pk", flat=True)) == {
        b.pk,
        c.pk,
    }
    pb.refresh_from_db()
    pc.refresh_from_db()
    child.refresh_from_db()
    att.refresh_from_db()
    share.refresh_from_db()
    v1.refresh_from_db()
    assert (pb.customer_id, pc.customer_id, child.parent_id) == (b.pk, c.pk, b.pk)
    assert (att.object_id, share.object_id, v1.customer_id) == (str(c.pk), b.pk, b.pk)
    assert set(v1.guests.values_list("pk", flat=True)) == {b.pk}
    assert set(v2.guests.values_list("pk", flat=True)) == {a.pk, c.pk}
    assert not CustomerAlias.objects.exists()
    assert CustomerMerge.objects.get(pk=merge.pk).undone_at is not None
    with pytest.raises(ValidationError):
        actions.undo_merge(merge=CustomerMerge.objects.get(pk=merge.pk), user=manager)


@pytest.mark.django_db
def test_undo_keeps_and_lists_edits_made_since_the_merge(manager):
    a = make_customer(manager, 1, city="北京", notes="a")
    b = make_customer(manager, 2, city="上海", notes="b", phone="021-5555555")
    person = make_contact(manager, 3, customer=b, title="经理")
    merge = actions.merge_customers(
        survivor=a, others=[b], values={"city": b.pk, "notes": b.pk, "phone": b.pk}, user=manager
    )
    with acting_as(manager):
        a.refresh_from_db()
        a.notes = "edited after the merge"
        actions.save_customer(customer=a, user=manager)
        person.refresh_from_db()
        person.title = "总监"
        actions.save_contact(contact=person, user=manager)
    preview = actions.preview_undo(merge)
    assert [row["field"] for row in preview.kept] == ["notes"]
    restored = {row["field"] for row in preview.restored}
    assert {"city", "phone"} <= restored and "notes" not in restored
    assert [row["pk"] for row in preview.edited_moved] == [person.pk]
    assert not preview.problems
    actions.undo_merge(merge=merge, user=manager)
    a.refresh_from_db()
    person.refresh_from_db()
    assert (a.city, a.phone, a.notes) == ("北京", "", "edited after the merge")
    assert (person.customer_id, person.title) == (b.pk, "总监")


@pytest.mark.django_db
def test_undo_leaves_records_moved_elsewhere_since(manager):
    a, b, c = (make_customer(manager, n) for n in (1, 2, 3))
    person = make_contact(manager, 4, customer=b)
    merge = actions.merge_customers(survivor=a, others=[b], values={}, user=manager)
    person.refresh_from_db()
    person.customer = c
    actions.save_contact(contact=person, user=manager)
    preview = actions.preview_undo(merge)
    assert [row["pk"] for row in preview.elsewhere] == [person.pk]
    actions.undo_merge(merge=merge, user=manager)
    person.refresh_from_db()
    assert person.customer_id == c.pk


@pytest.mark.django_db
def test_merge_survivor_takes_a_losers_number(manager):
    a = make_customer(manager, 1, number="A-1")
    b = make_customer(manager, 2, number="B-1")
    merge = actions.merge_customers(survivor=a, others=[b], values={"number": b.pk}, user=manager)
    a.refresh_from_db()
    assert a.number == "B-1"
    actions.undo_merge(merge=merge, user=manager)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.number, b.number) == ("A-1", "B-1")


@pytest.mark.django_db
def test_merge_and_edit_history_show_the_fields_not_the_search_columns(manager):
    """The survivor's history (and its timeline) lists what the user chose, never the derived
    search columns that follow it."""
    a = make_customer(manager, 1, name="苏州瑞丰机械有限公司", mnemonic="SZRFJXYXGS")
    b = make_customer(
        manager, 2, name="蘇州瑞豐機械", mnemonic="SZRFJX", email="sales@ruifeng.example"
    )
    actions.merge_customers(survivor=a, others=[b], values={"email": b.pk}, user=manager)
    a.refresh_from_db()
    a.phone = "0512-66881234"
    actions.save_customer(customer=a, user=manager)
    updates = AuditLog.for_object(a).filter(action=AuditLog.Action.UPDATE)
    assert [sorted(e.changes) for e in updates.order_by("id")] == [["email"], ["phone"]]


def test_merge_needs_permission_and_edit_access_on_every_record(manager, make_user):
    a = make_customer(manager, 1)
    other_team = make_user("sales_manager", "b")
    foreign = make_customer(other_team, 2)
    with pytest.raises(PermissionDenied):
        actions.merge_customers(survivor=a, others=[foreign], values={}, user=manager)
    salesperson = make_user("salesperson", "a1")
    own = make_customer(salesperson, 3)
    own2 = make_customer(salesperson, 4)
    with pytest.raises(PermissionDenied):  # no merge permission
        actions.merge_customers(survivor=own, others=[own2], values={}, user=salesperson)
    with pytest.raises(ValidationError):
        actions.merge_customers(survivor=a, others=[], values={}, user=manager)
    assert Customer.objects.filter(pk__in=[a.pk, foreign.pk]).count() == 2


@pytest.mark.django_db
def test_merge_of_a_record_edited_meanwhile_is_refused(manager):
    a, b = make_customer(manager, 1), make_customer(manager, 2)
    versions = {a.pk: a.version, b.pk: b.version}
    b.notes = "someone else"
    b.save()
    with pytest.raises(ValidationError) as exc:
        actions.merge_customers(survivor=a, others=[b], values={}, user=manager, versions=versions)
    assert exc.value.code == "stale"
    assert Customer.objects.filter(pk=b.pk).exists()
    assert not CustomerMerge.objects.exists()


@pytest.mark.django_db
def test_merge_contacts_with_aliases_and_undo(manager):
    cust = make_customer(manager, 1)
    a = make_contact(manager, 2, customer=cust, mobile="13800000001")
    b = make_contact(manager, 3, customer=cust, mobile="13800000002", email="b@x.cn")
    report = make_contact(manager, 4, customer=cust, reports_to=b)
    merge = actions.merge_contacts(survivor=a, others=[b], values={"email": b.pk}, user=manager)
    report.refresh_from_db()
    assert report.reports_to_id == a.pk
    assert ContactAlias.objects.get(contact=a).phone == "13800000002"
    a.refresh_from_db()
    assert a.email == "b@x.cn"
    actions.undo_merge(merge=merge, user=manager)
    report.refresh_from_db()
    assert report.reports_to_id == b.pk
    assert Contact.objects.filter(pk=b.pk).exists()


# Erasure ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_erasure_scrubs_fields_and_audit_values_and_is_audited(manager, admin_user, make_user):
    person = make_contact(manager, 1, name="张三丰", email="zsf@example.cn", hobbies="太极")
    person.mobile = "13912345678"
    person.save()
    seen = []
    actions.register_erasure("tests.hook", lambda **kw: seen.append(kw["values"]) or 1)
    try:
        with pytest.raises(PermissionDenied):
            actions.erase_personal_data(record=person, user=manager, reason="request #1")
        with pytest.raises(ValidationError):
            actions.erase_personal_data(record=person, user=admin_user, reason=" ")
        result = actions.erase_personal_data(record=person, user=admin_user, reason="request #1")
    finally:
        actions.ERASURE_HOOKS.pop("tests.hook")
    person.refresh_from_db()
    assert person.name.endswith(str(person.pk)) and person.mobile == "" and person.email == ""
    assert person.customer_id  # the record and its links stay
    assert "13912345678" in seen[0] and "张三丰" in seen[0]
    assert result["related"]["tests.hook"] == 1
    trail = AuditLog.for_object(person)
    dump = str(list(trail.values_list("changes", "object_repr")))
    for secret in ("张三丰", "zsf@example.cn", "13912345678", "太极"):
        assert secret not in dump
    erasure = trail.get(action="erase")
    assert erasure.user == admin_user
    assert erasure.changes["reason"] == "request #1"
    assert "mobile" in erasure.changes["fields"]


@pytest.mark.django_db
def test_erasure_only_for_individual_customers(admin_user, manager):
    company = make_customer(manager, 1)
    with pytest.raises(ValidationError):
        actions.erase_personal_data(record=company, user=admin_user, reason="x")
    person = make_customer(manager, 2, kind=Customer.Kind.INDIVIDUAL, phone="021-7777777")
    actions.erase_personal_data(record=person, user=admin_user, reason="x")
    person.refresh_from_db()
    assert person.phone == "" and person.credit_limit == company.credit_limit


def test_later_module_records_are_counted_and_block_the_purge(linked_model, make_user):
    Visit = linked_model
    manager = make_user("sales_manager", "a1")
    kept, free = make_customer(manager, 1), make_customer(manager, 2)
    Visit.objects.create(customer=kept)
    found = {d.label: d for d in records.dependents(kept)}
    assert found["customers.visit"].count == 1
    assert found["customers.visit"].effect == str(records.EFFECT_BLOCKS)
    for obj in (kept, free):
        records.soft_delete(obj=obj, user=manager)
    with unaudited_write("test set-up: deleted long ago"):
        Customer.all_objects.update(deleted_at=timezone.now() - datetime.timedelta(days=99))
    assert records.purge_expired(model=Customer, retention_days=30) == (1, 1)
    assert list(Customer.all_objects.values_list("pk", flat=True)) == [kept.pk]
