"""The fast insert path of imports writes exactly what ``bulk_create`` (+ audit) writes, and the
cached word-by-word pinyin gives pypinyin's syllables."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest
from pypinyin import lazy_pinyin

from kehu.core.actions import bulk_create_audited
from kehu.core.bulkinsert import insert_objects
from kehu.core.context import acting_as
from kehu.core.models import AuditLog
from kehu.core.text import pinyin_syllables
from kehu.customers.actions.customer import mnemonic_for
from kehu.customers.models import Contact, Customer

SKIP = {"id", "created_at", "updated_at", "search_text", "search_grams", "number"}


def _customers(user, tag: str, parent=None) -> list[Customer]:
    out = []
    for i, name in enumerate(
        ["北京华为技术有限公司", "重庆银行 Chongqing Bank", "Ａｂｃ　商行(上海)"]
    ):
        out.append(
            Customer(
                number=f"{tag}{i}",
                name=name,
                mnemonic=mnemonic_for(name),
                kind=Customer.Kind.INDIVIDUAL if i == 2 else "company",
                phone=f"+86 21 5555 000{i}",
                email=f"x{i}@example.com",
                credit_limit=Decimal("1234.50") if i else Decimal("0"),
                registered_on=datetime.date(2024, 2, 29 - i),
                birthday=datetime.date(1990, 1, 1) if i == 2 else None,
                notes="" if i else "备注 “quoted” 'x'",
                owner_id=user.pk,
                department_id=user.department_id,
                parent=parent,
                custom={"a": [1, "二"]} if i == 1 else {},
            )
        )
    return out


def _row(obj) -> dict:
    data = Customer.objects.filter(pk=obj.pk).values().get()
    return {k: v for k, v in data.items() if k not in SKIP}


@pytest.mark.django_db
def test_fast_insert_writes_what_bulk_create_writes(make_user):
    user = make_user("sales_manager", "a1")
    parent = Customer.objects.create(
        number="P1", name="母公司", owner=user, department=user.department
    )
    with acting_as(user):
        slow = bulk_create_audited(Customer, _customers(user, "S", parent), batch="b-slow")
        fast = bulk_create_audited(
            Customer, _customers(user, "F", parent), batch="b-fast", fast=True
        )
    assert all(c.pk and not c._state.adding for c in fast)
    for a, b in zip(slow, fast, strict=True):
        assert _row(a) == _row(b)
        ra = Customer.objects.filter(pk=a.pk).values("search_text", "search_grams").get()
        rb = Customer.objects.filter(pk=b.pk).values("search_text", "search_grams").get()
        assert ra["search_grams"] == rb["search_grams"]
        assert ra["search_text"].replace("|s", "|f") == rb["search_text"].replace("|s", "|f")
        b.refresh_from_db()  # the instance is the row
        assert b.parent_id == parent.pk and b.credit_limit == a.credit_limit
    # found by the search index (FTS triggers on SQLite, indexes on PostgreSQL)
    assert Customer.objects.filter(pk=fast[0].pk).filter(search_text__match="huawei").exists()
    assert Customer.objects.filter(pk=fast[0].pk).filter(search_grams__hasgram="华为").exists()

    def audit(batch):
        return [
            (e.user_id, e.content_type_id, e.object_repr, e.action, e.request_id, e.changes)
            for e in AuditLog.objects.filter(batch=batch).order_by("pk")
        ]

    slow_audit, fast_audit = audit("b-slow"), audit("b-fast")
    assert len(fast_audit) == 3
    for a, b in zip(slow_audit, fast_audit, strict=True):
        changes_a = {k: v for k, v in a[5].items() if k not in SKIP}
        changes_b = {k: v for k, v in b[5].items() if k not in SKIP}
        assert a[:5] == b[:5] and changes_a == changes_b
    assert fast_audit[0][5]["number"] == [None, "F0"]


@pytest.mark.django_db
def test_fast_insert_fills_foreign_keys_of_saved_objects(make_user):
    user = make_user("sales_manager", "a1")
    with acting_as(user):
        [customer] = insert_objects(Customer, _customers(user, "K")[:1])
        contact = Contact(
            customer=customer, name="王五", owner_id=user.pk, department_id=user.department_id
        )
        insert_objects(Contact, [contact])
    assert Contact.objects.get(pk=contact.pk).customer_id == customer.pk
    unsaved = Customer(name="未保存", owner_id=user.pk, department_id=user.department_id)
    with pytest.raises(ValueError):
        insert_objects(
            Contact,
            [Contact(customer=unsaved, name="x", owner_id=user.pk, department_id=1)],
        )


def test_cached_pinyin_is_pypinyins():
    rnd = random.Random(7)
    pool = "重庆银行长沙朝阳行长单于曾经了解还是都会调查乐器音乐华为 技术(北京)有限公司AB 1，。！Ａｂ１㐀〇々_"
    texts = ["", " ", "重庆", "长春重庆银行行长", "Huawei 华为", "乐乐音乐"]
    texts += ["".join(rnd.choice(pool) for _ in range(rnd.randrange(1, 20))) for _ in range(3000)]
    for text in texts:
        assert pinyin_syllables(text) == lazy_pinyin(text, errors=lambda c: list(c)), text
        assert pinyin_syllables(text, keep_whole=True) == lazy_pinyin(text, errors=lambda c: [c])
