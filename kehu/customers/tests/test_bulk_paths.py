"""Bulk paths at the sizes the demo and imports use: no query grows one SQL term per row.

SQLite refuses an expression tree deeper than 1,000; Django 5.2 spells a forward prefetch as one
``OR`` per row there (see ``kehu.core.dbcompat``). These run on both databases.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from kehu.core.actions import bulk_create_audited
from kehu.customers.models import Contact, Customer

ROWS = 2500  # well past SQLite's 1,000-deep expression limit


def _customers(owner, n):
    return bulk_create_audited(
        Customer,
        [
            Customer(
                number=f"B{i:07d}",
                name=f"批量客户{i}",
                owner=owner,
                department=owner.department,
            )
            for i in range(n)
        ],
    )


def _longest_or_chain(queries) -> int:
    return max((len(re.findall(r"\bOR\b", q["sql"])) for q in queries), default=0)


@pytest.mark.django_db
def test_bulk_created_contacts_read_their_customers_without_an_or_per_row(make_user):
    owner = make_user("salesperson", "a1")
    customers = _customers(owner, ROWS)
    contacts = [
        Contact(customer_id=c.pk, name=f"联系人{c.pk}", owner=owner, department=owner.department)
        for c in customers
    ]
    with CaptureQueriesContext(connection) as ctx:
        bulk_create_audited(Contact, contacts)
    assert Contact.objects.count() == ROWS
    # the contact's search text holds its company's name, read in the prefetch
    assert Contact.objects.filter(search_text__contains="批量客户2499").count() == 1
    assert _longest_or_chain(ctx.captured_queries) < 10


@pytest.mark.django_db
def test_forward_prefetch_over_many_rows_is_one_in_list(make_user):
    owner = make_user("salesperson", "a1")
    customers = _customers(owner, ROWS)
    Contact.objects.bulk_create(
        Contact(customer_id=c.pk, name="x", owner=owner, department=owner.department)
        for c in customers
    )
    contacts = list(Contact.objects.all())
    with CaptureQueriesContext(connection) as ctx:
        models.prefetch_related_objects(contacts, "customer")
    assert {c.customer.name for c in contacts} == {c.name for c in customers}
    assert len(ctx.captured_queries) == 1
    assert " IN (" in ctx.captured_queries[0]["sql"]
    assert _longest_or_chain(ctx.captured_queries) == 0


@pytest.mark.django_db
def test_forward_prefetch_of_nothing_and_of_null_keys(make_user):
    owner = make_user("salesperson", "a1")
    orphan = Customer(number="N1", name="无上级", owner=owner, department=owner.department)
    orphan.save()
    models.prefetch_related_objects([orphan], "parent")  # a NULL key: no query needed
    assert orphan.parent is None
