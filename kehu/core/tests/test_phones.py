"""kehu.core.phones: one reading of a phone number (phonenumbers, default region CN) for search,
duplicate matching and the import's same-customer rule."""

from __future__ import annotations

import pytest

from kehu.core import phones
from kehu.customers.actions.imports import normalise_phone


@pytest.mark.parametrize(
    "raw",
    ["+86 138 0013 8000", "13800138000", "0086-138-0013-8000", "8613800138000", "138-0013-8000"],
)
def test_mobile_written_any_way(raw):
    number = phones.parse(raw)
    assert (number.national, number.e164, number.mobile) == (
        "13800138000",
        "+8613800138000",
        True,
    )


@pytest.mark.parametrize(
    "raw",
    [
        "010-12345678",
        "+86 10 1234 5678",
        "0086 10 12345678",
        "861012345678",
        "(010)12345678",
        "(010)12345678-801",
        "010-12345678 转 801",
        "010-12345678 ext. 801",
        "０１０－１２３４５６７８",
    ],
)
def test_landline_with_area_code_and_extension(raw):
    number = phones.parse(raw)
    assert (number.national, number.e164, number.mobile) == ("1012345678", "+861012345678", False)
    assert number.area_code_length == 2


def test_foreign_numbers_keep_their_country_code():
    assert phones.national("+1 650 253 0000") == "16502530000"
    assert phones.national("001 650 253 0000") == "16502530000"
    assert phones.parse("+44 20 7946 0958").e164 == "+442079460958"


@pytest.mark.parametrize("raw", ["95588", "12345678", "8888 6666", "801"])
def test_short_and_local_numbers_are_plain_digits(raw):
    number = phones.parse(raw)
    assert number.national == phones.digits(raw) and not number.valid


def test_no_digits_is_no_number():
    assert phones.parse("") is None and phones.parse(None) is None and phones.parse("abc") is None
    assert phones.national("n/a") == ""


def test_import_rule_ignores_the_extension():
    """The import's "same customer" rule compares numbers the way search does: an extension
    written after the number is no other number."""
    assert normalise_phone("010-12345678-801") == normalise_phone("+86 10 1234 5678")
    assert normalise_phone("010-12345678 转 801") == normalise_phone("010 1234 5678")


@pytest.mark.parametrize("raw", ["43495799", "2596 9985", "7939685"])
def test_up_to_eight_digits_is_a_local_number(raw):
    """phonenumbers would read 4349 5799 as area code 0434 + 95799: without a country code or
    trunk 0, seven or eight digits are a subscriber number."""
    number = phones.parse(raw)
    assert number.national == phones.digits(raw) and not number.valid


def test_number_phonenumbers_cannot_validate_is_still_one_number():
    """An unassigned range (021-8006 …) is not valid for phonenumbers; written any way, it is
    still the same digits, and an extension after it is dropped."""
    forms = ["021-80061774", "+86 21 8006 1774", "(021)80061774", "021-80061774-550"]
    assert {phones.national(f) for f in forms} == {"2180061774"}


def test_the_landline_shortcut_reads_what_phonenumbers_reads():
    """The common landline shape skips ``phonenumbers.parse`` (its costly part): the number,
    validity, E.164 and area code must be what the full parser gives, for real area codes and
    for made-up ones."""
    import random

    import phonenumbers

    from kehu.core import phones

    rng = random.Random(20261202)
    for _ in range(2000):
        area = (
            "0"
            + str(rng.randint(1, 9))
            + "".join(str(rng.randint(0, 9)) for _ in range(rng.choice((1, 2))))
        )
        number = "".join(str(rng.randint(0, 9)) for _ in range(rng.choice((7, 8))))
        for text in (
            f"{area}-{number}",
            f"{area} {number}",
            f"{area}{number}",
            f"({area}){number}",
        ):
            ours, lib = phones.parse(text), phonenumbers.parse(text, "CN")
            valid = phonenumbers.is_valid_number(lib)
            assert ours.national == phonenumbers.national_significant_number(lib), text
            assert phones.national(text) == ours.national, text
            assert ours.valid == valid, text
            if valid:
                e164 = phonenumbers.format_number(lib, phonenumbers.PhoneNumberFormat.E164)
                assert ours.e164 == e164, text
                assert ours.area_code_length == phonenumbers.length_of_geographical_area_code(
                    lib
                ), text
