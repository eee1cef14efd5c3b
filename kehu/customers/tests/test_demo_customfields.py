"""``kehu demo`` creates custom fields of every kind on customers and contacts (Chinese and
English labels) and fills them on a good share of demo records with values the definitions
accept."""

from __future__ import annotations

import pytest
from django.utils import translation

from kehu.core.context import acting_as
from kehu.core.customfields import clean_custom_values, definitions
from kehu.core.demo import GENERATORS, DemoContext
from kehu.core.registry import import_app_modules
from kehu.customers.models import Contact, Customer

pytestmark = pytest.mark.django_db


def run(names: set[str], customers: int = 300) -> None:
    import_app_modules("demo")
    ctx = DemoContext(seed=7, customers=customers, employees=20, out=lambda s: None)
    with acting_as(None, request_id="demo"):
        for _order, name, fn in sorted(GENERATORS, key=lambda g: g[0]):
            if name in names:
                fn(ctx)


def test_demo_custom_fields_are_defined_and_filled_validly():
    from kehu.system.params import dictionary_choices

    run({"org chart and employees", "custom fields", "customers"})
    kinds = {d.kind for d in definitions(Customer)} | {d.kind for d in definitions(Contact)}
    assert {"choice", "number", "date", "boolean", "text"} <= kinds
    assert all(d.label_zh and d.label_en for d in definitions(Customer))
    with translation.override("en"):
        assert "Listed company" in [d.label() for d in definitions(Customer)]
        # the source is the customer's own field, from the dictionary: no second list
        assert "Source" not in [d.label() for d in definitions(Customer)]
    customers = list(Customer.objects.only("custom", "source"))
    sources = {code for code, _label in dictionary_choices("customer_source")}
    with_source = [c for c in customers if c.source]
    assert len(with_source) > 0.5 * len(customers)
    assert {c.source for c in with_source} <= sources
    filled = [c for c in customers if c.custom]
    assert len(filled) > 0.5 * len(customers)
    for c in filled:  # every stored value is one the definitions accept, unchanged
        assert clean_custom_values(Customer, c.custom, enforce_required=False) == c.custom
    contacts = list(Contact.objects.only("custom"))
    assert sum(1 for c in contacts if c.custom) > 0.4 * len(contacts)
    for c in contacts:
        assert clean_custom_values(Contact, c.custom, enforce_required=False) == c.custom
    # a list sorted by a demo custom field works
    numbers = [
        c.custom.get("annual_purchase")
        for c in Customer.objects.order_by("pk")
        if c.custom.get("annual_purchase") is not None
    ]
    assert len(numbers) > 50


def test_existing_custom_fields_are_left_alone():
    from kehu.system.tests.factories_customfields import custom_field

    custom_field(None, code="mine", label_zh="我的字段")
    run({"org chart and employees", "custom fields", "customers"}, customers=50)
    assert [d.code for d in definitions(Customer)] == ["mine"]
    assert not Customer.objects.exclude(custom={}).exists()
