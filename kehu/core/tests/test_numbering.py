"""Numbering patterns and their counters: customer numbers as the first user."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import translation

from kehu.core.models import NumberSequence
from kehu.core.numbering import check_pattern, series, take_numbers
from kehu.core.records import soft_delete
from kehu.customers.actions import save_customer
from kehu.customers.actions.customer import take_customer_numbers
from kehu.customers.models import Customer
from kehu.system.actions import update_parameters


def new_customer(user, name: str, number: str = "") -> Customer:
    return save_customer(customer=Customer(name=name, number=number), user=user)


@pytest.mark.parametrize(
    "pattern", ["C{seq:8}", "KH{YYYY}-{seq:5}", "{YY}{MM}{DD}{seq:4}", "A/{seq:3}.x#"]
)
def test_valid_patterns(pattern):
    check_pattern(pattern)


@pytest.mark.parametrize(
    "pattern, message",
    [
        ("C", "exactly one counter"),
        ("C{seq:4}{seq:4}", "exactly one counter"),
        ("C{seq:2}", "from 3 to 12 digits"),
        ("C{seq:20}", "from 3 to 12 digits"),
        ("C{HH}{seq:4}", "Unknown placeholder {HH}"),
        ("客户{seq:4}", "Only letters"),
        ("C {seq:4}", "Only letters"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZ{seq:8}", "longer than 30"),
    ],
)
def test_invalid_patterns_say_why(pattern, message):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        check_pattern(pattern)
    assert message in " ".join(exc.value.messages)


def test_series_fills_in_the_date():
    s = series("KH{YYYY}{MM}-{seq:5}/{DD}", datetime.date(2026, 3, 9))
    assert (s.prefix, s.digits, s.suffix) == ("KH202603-", 5, "/09")
    assert s.format(42) == "KH202603-00042/09"


@pytest.mark.django_db
def test_customers_numbered_from_the_pattern(admin_user):
    assert new_customer(admin_user, "甲").number == "C00000001"
    assert new_customer(admin_user, "乙").number == "C00000002"
    update_parameters(user=admin_user, customer_number_pattern="KH{YYYY}-{seq:5}")
    year = datetime.date.today().year
    assert new_customer(admin_user, "丙").number == f"KH{year}-00001"
    assert new_customer(admin_user, "丁").number == f"KH{year}-00002"
    # one counter row per series
    assert set(NumberSequence.objects.values_list("key", "last")) == {
        ("customers.customer:C{seq:8}", 2),
        (f"customers.customer:KH{year}-{{seq:5}}", 2),
    }


@pytest.mark.django_db
def test_yearly_series_restarts(admin_user):
    qs = Customer.all_objects.all()
    kw = {"queryset": qs, "field": "number", "label": "t"}
    pattern = "Y{YYYY}{seq:3}"
    assert take_numbers(pattern, 2, today=datetime.date(2026, 12, 31), **kw) == [
        "Y2026001",
        "Y2026002",
    ]
    assert take_numbers(pattern, 1, today=datetime.date(2027, 1, 1), **kw) == ["Y2027001"]
    assert take_numbers(pattern, 1, today=datetime.date(2026, 12, 31), **kw) == ["Y2026003"]


@pytest.mark.django_db
def test_counter_starts_after_existing_numbers_and_skips_taken_ones(admin_user):
    new_customer(admin_user, "旧一", "C00000041")
    new_customer(admin_user, "其他", "X99999999")  # another shape: ignored
    assert new_customer(admin_user, "新一").number == "C00000042"
    new_customer(admin_user, "手工", "C00000043")  # typed by hand, ahead of the counter
    assert new_customer(admin_user, "新二").number == "C00000044"


@pytest.mark.django_db
def test_deleted_customers_keep_their_number(admin_user):
    gone = new_customer(admin_user, "已删")
    soft_delete(obj=gone, user=admin_user)
    NumberSequence.objects.all().delete()  # even a lost counter does not reuse it
    assert new_customer(admin_user, "新").number == "C00000002"


@pytest.mark.django_db
def test_peek_does_not_move_the_counter(admin_user):
    new_customer(admin_user, "甲")
    assert take_customer_numbers(3, peek=True) == ["C00000002", "C00000003", "C00000004"]
    assert take_customer_numbers(3, peek=True) == ["C00000002", "C00000003", "C00000004"]
    assert new_customer(admin_user, "乙").number == "C00000002"


@pytest.mark.django_db
def test_exhausted_pattern_is_refused(admin_user):
    update_parameters(user=admin_user, customer_number_pattern="Z{seq:3}")
    new_customer(admin_user, "满", "Z999")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        new_customer(admin_user, "溢出")
    assert "run out of numbers" in exc.value.messages[0]
    assert not Customer.objects.filter(name="溢出").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_get_distinct_numbers(admin_user):
    """Four sessions creating customers at once: no number twice, no creation refused."""
    errors: list[Exception] = []
    barrier = threading.Barrier(4)

    def work(i: int) -> None:
        try:
            barrier.wait()
            for j in range(10):
                new_customer(admin_user, f"并发{i}-{j}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = list(Customer.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 40
    assert sorted(numbers) == [f"C{n:08d}" for n in range(1, 41)]
