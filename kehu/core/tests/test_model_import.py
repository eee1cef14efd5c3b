"""The generic model importer (``kehu.core.model_import``) on its own: cleaning from the model
field, dictionary-backed choices read from the field, and a minimal declaration with child rows
(contacts under customers) going through its default hooks on the real database."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kehu.core.fields import dictionary_of
from kehu.core.imports import ImportContext, ImportField, Row
from kehu.core.model_import import LIKENESS, ChildImporter, ModelImporter, field_cleaner
from kehu.core.models import AuditLog
from kehu.customers.models import Contact, Customer
from kehu.customers.tests.factories import contact as make_contact
from kehu.customers.tests.factories import customer as make_customer


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_dictionary_backed_choices_are_declared_on_the_model_field():
    field = Customer._meta.get_field
    assert dictionary_of(field("industry")) == "industry"
    assert dictionary_of(field("level")) == "customer_level"
    assert dictionary_of(field("credit_rating")) == "credit_rating"
    assert dictionary_of(field("kind")) == ""  # plain choices
    assert dictionary_of(field("name")) == ""


@pytest.mark.django_db
def test_field_cleaner_follows_the_model_field():
    rating = field_cleaner(Customer, "credit_rating")
    assert rating("") == ""
    assert rating("AAA") == "AAA"  # a dictionary entry's code (seeded by migrate)
    with pytest.raises(ValidationError, match="not one of the choices"):
        rating("ZZZ-not-an-entry")
    kind = field_cleaner(Customer, "kind", {"个人": "individual"})
    assert kind("个人") == "individual"
    assert kind("Company") == "company"  # the English label
    assert kind("") == "company"  # the field's default
    registered = field_cleaner(Customer, "registered_on")
    assert registered("2024年3月9日") == datetime.date(2024, 3, 9)
    with pytest.raises(ValidationError):
        registered("2200-01-01")  # outside the project's date range
    limit = field_cleaner(Customer, "credit_limit")
    assert limit("1,234.50") == Decimal("1234.50")
    with pytest.raises(ValidationError):
        limit("-1")  # the field's validator
    phone = field_cleaner(Customer, "phone")
    with pytest.raises(ValidationError):
        phone("call me")


OWNER = ImportField("owner_hint", "owner hint")  # a column no model field holds


class MiniCustomers(ModelImporter):
    """The smallest declaration: a few model columns and contacts as child rows."""

    model = Customer
    columns = ["number", "name", "phone", OWNER]
    children = [
        ChildImporter(
            model=Contact,
            parent_field="customer",
            prefix="contact_",
            fields=["name", "mobile"],
            meta={"name": ("contact name", ()), "mobile": ("contact mobile", ())},
            inherit=("owner_id", "department_id"),
            first_child={"is_primary": True},
        )
    ]
    update_fields = ["name", "phone"]

    def prefetch(self, items, batch, ctx):
        numbers = {i.values["number"] for i in items if i.values.get("number")}
        found = {
            c.number: c for c in Customer.objects.visible_to(ctx.user).filter(number__in=numbers)
        }
        for item in items:
            if item.values.get("number") in found:
                item.match = (found[item.values["number"]], LIKENESS)
        batch.candidates = [i.match[0] for i in items if i.match]

    def keys(self, item):
        return [("name", item.values["name"])]

    def build(self, item, ctx):
        return Customer(**item.values, owner_id=ctx.user.pk, department_id=ctx.user.department_id)


def _run(importer, user, mode, rows):
    ctx = ImportContext(user=user, mode=mode, dry_run=False, batch="b" * 32, options={})
    importer.prepare(ctx)
    batch = [Row(number=n, raw=[], values=values) for n, values in enumerate(rows, 2)]
    importer.process(batch, ctx)
    return batch


@pytest.mark.django_db
def test_a_declaration_imports_parents_with_child_rows(make_user):
    manager = make_user("sales_manager", "a1")
    rows = _run(
        MiniCustomers(),
        manager,
        "skip",
        [
            {
                "number": "M1",
                "name": "甲公司",
                "contact_name": "张三",
                "contact_mobile": "13800138000",
            },
            {"number": "M2", "name": "乙公司", "contact_name": "", "contact_mobile": "13900139000"},
            {"number": "M3", "name": "丙公司", "phone": "call me"},
            {"number": "M4", "name": "甲公司"},
            {"number": "M5", "name": "丁公司", "contact_name": "", "contact_mobile": ""},
        ],
    )
    assert [r.outcome for r in rows] == ["created", "error", "error", "duplicate", "created"]
    assert rows[1].errors == ["Contact name: This field is required."]
    assert rows[2].errors[0].startswith("Main phone: ")
    assert rows[3].errors == ["Same record as row 2 of the file."]
    # both or neither: the row whose contact was refused left no customer behind
    assert set(Customer.objects.values_list("number", flat=True)) == {"M1", "M5"}
    child = Contact.objects.get()
    assert (child.customer.number, child.name, child.is_primary) == ("M1", "张三", True)
    assert (child.owner_id, child.department_id) == (manager.pk, manager.department_id)
    assert AuditLog.objects.filter(batch="b" * 32).count() == 3


@pytest.mark.django_db
def test_update_mode_updates_the_parent_and_its_child_by_key(make_user):
    manager = make_user("sales_manager", "a1")
    mine = make_customer(manager, 1, number="U1", phone="010-1234567")
    make_contact(manager, 1, customer=mine, name="李四", mobile="13700137000")
    rows = _run(
        MiniCustomers(),
        manager,
        "update",
        [
            {
                "number": "U1",
                "name": "新名字",
                "phone": "",
                "contact_name": "李四",
                "contact_mobile": "13600136000",
            },
            {"number": "U1x", "name": "另一家", "contact_name": "王五"},
        ],
    )
    assert [r.outcome for r in rows] == ["updated", "created"]
    mine.refresh_from_db()
    assert (mine.name, mine.phone) == ("新名字", "010-1234567")  # empty cells change nothing
    assert Contact.objects.get(customer=mine).mobile == "13600136000"  # updated, not added
    assert Contact.objects.get(name="王五").customer.number == "U1x"
