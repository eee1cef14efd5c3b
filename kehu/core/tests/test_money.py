from decimal import Decimal

import pytest

from kehu.core.fields import MONEY_DECIMAL_PLACES, quantize
from kehu.customers.models import Customer


@pytest.mark.parametrize(
    "value,places,expected",
    [
        ("2.345", 2, "2.35"),
        ("2.344", 2, "2.34"),
        ("-2.345", 2, "-2.35"),
        ("10", 0, "10"),
        ("0.0005", 3, "0.001"),
    ],
)
def test_quantize_rounds_half_up(value, places, expected):
    assert quantize(Decimal(value), places) == Decimal(expected)


@pytest.mark.django_db
def test_money_is_stored_exactly_at_high_precision(make_user):
    from kehu.customers.tests.factories import customer

    c = customer(make_user(), credit_limit=Decimal("1234567.123456"))
    assert Customer.objects.get(pk=c.pk).credit_limit == Decimal("1234567.123456")
    assert Customer._meta.get_field("credit_limit").decimal_places == MONEY_DECIMAL_PLACES
