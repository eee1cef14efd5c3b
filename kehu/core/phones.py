"""Phone numbers, normalised once, on ``phonenumbers`` (Google's libphonenumber metadata).

Search (the search column and what the user types), duplicate matching and the import's
"same customer" rule all need the same answer to "which number is this?": +86 138 0013 8000,
0086-138-0013-8000 and 13800138000 are one mobile; 010-12345678, +86 10 1234 5678 and
(010)12345678 转 801 are one Beijing landline. ``phonenumbers`` knows the country codes,
international prefixes, trunk prefixes and area codes of every country, so none of that is
hand-written here. Numbers are read with the default region ``CN``.

* :func:`parse` -- a :class:`PhoneNumber` (national significant number, E.164 when valid), cached.
* :func:`national` -- the digits search and matching compare: the national significant number
  (no country code, no trunk 0) of a Chinese number, country code + national number of a
  foreign one (+1 650 … -> 1650…), valid or not (95588, a local number without area code);
  the plain digits of what phonenumbers cannot read at all.

Pure functions, no Django: the benchmark and the matcher import this without a database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

DEFAULT_REGION = "CN"
CN_CODE = 86
#: At most this many digits, written without a country code: a local number.
LOCAL_DIGITS = 8
#: An extension written after the number: 转 801, 分机 801, ext. 801, x801, #801.
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#)\s*\d{1,6}\s*$", re.IGNORECASE)
#: A Chinese mobile number (11 digits, 13x-19x), by shape: the hot path skips phonenumbers.
_MOBILE = re.compile(r"1[3-9]\d{9}")
_NOT_ASCII_DIGIT = re.compile(r"[^0-9]+")
_DIGIT_GROUPS = re.compile(r"\d+")
_MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE,)


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """One parsed number. ``parsed`` is phonenumbers' object (None on the fast path and for
    numbers it could not read), kept for the rarer questions (area code, type)."""

    national: str  # 13800138000, 1012345678 (010-…), 16502530000 (+1 650 …), 12345678
    e164: str = ""  # +8613800138000 when valid, else ""
    parsed: phonenumbers.PhoneNumber | None = field(default=None, compare=False, repr=False)

    @property
    def valid(self) -> bool:
        return bool(self.e164)

    @property
    def chinese(self) -> bool:
        return self.e164.startswith("+86")

    @property
    def mobile(self) -> bool:
        """A mobile number (a valid Chinese mobile, or a foreign number phonenumbers types so)."""
        if not self.valid:
            return False
        if self.parsed is None:  # the fast path only takes mobiles
            return True
        return phonenumbers.number_type(self.parsed) in _MOBILE_TYPES

    @property
    def area_code_length(self) -> int:
        """Digits of the area code at the start of :attr:`national` (10 for Beijing: 2), 0 for
        mobiles and numbers phonenumbers could not validate."""
        if self.parsed is None or not self.valid:
            return 0
        return phonenumbers.length_of_geographical_area_code(self.parsed)


def digits(value: str | None) -> str:
    """Every digit of a value (full-width and other scripts' digits included), nothing else."""
    text = unicodedata.normalize("NFKC", value or "")
    if text.isascii():
        return _NOT_ASCII_DIGIT.sub("", text)
    return "".join(ch for ch in text if ch.isdigit())


#: A Chinese landline as it is mostly written: the area code with its trunk 0 (in brackets or
#: not), then 7 or 8 digits. phonenumbers reads every such text as its digits without the trunk 0,
#: valid area code or not (``tests/test_phones.py`` compares them), so :func:`national` takes that
#: without parsing: imports and search of landline-heavy lists spent most of their phone time in
#: ``phonenumbers.parse`` (about 0.1 ms a number).
_LANDLINE = re.compile(r"\(?(0[1-9]\d{1,2})\)?[\s-]?(\d{7,8})")


def _number(number: phonenumbers.PhoneNumber) -> PhoneNumber:
    """Ours, from phonenumbers' object: the national number, E.164 when valid."""
    nsn = phonenumbers.national_significant_number(number)
    code = number.country_code
    national = nsn if code == CN_CODE else f"{code}{nsn}"
    if not phonenumbers.is_valid_number(number):
        return PhoneNumber(national, "", number)  # 95588, 12345678, +86 12345
    return PhoneNumber(national, phonenumbers.format_number(number, PhoneNumberFormat.E164), number)


def _read(text: str) -> PhoneNumber | None:
    """phonenumbers' reading of a text (``None`` when it reads no number). Up to 8 digits
    without a country code are a local number (Chinese subscriber numbers have 7 or 8 digits):
    phonenumbers would read the first digits as an area code (4349 5799 as 0434-95799)."""
    plain = digits(text)
    if len(plain) <= LOCAL_DIGITS and not text.startswith("+"):
        return PhoneNumber(plain)
    if shape := _LANDLINE.fullmatch(text):
        # phonenumbers' reading without its parser (the costly part): the same number object
        national = (shape.group(1) + shape.group(2))[1:]
        return _number(
            phonenumbers.PhoneNumber(country_code=CN_CODE, national_number=int(national))
        )
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except NumberParseException:
        return None
    return _number(number)


@lru_cache(maxsize=200_000)
def parse(value: str | None) -> PhoneNumber | None:
    """The number a value holds; ``None`` when it holds no digit.

    Extensions (转 801, ext. 801, and a trailing group of up to 5 digits after a number of 9
    digits or more: 010-12345678-801) are dropped. Cached: every saved record and every imported row asks."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    plain = digits(text)
    if not plain:
        return None
    # the hot path, without phonenumbers: a Chinese mobile, with +86 / 0086 / 86 or without
    if plain.startswith("0086"):
        mobile = plain[4:]
    elif plain.startswith("86") and len(plain) == 13:
        mobile = plain[2:]
    else:
        mobile = "" if text.startswith("+") else plain  # +1 3… is no Chinese mobile
    if _MOBILE.fullmatch(mobile):
        return PhoneNumber(mobile, f"+86{mobile}")
    text = _EXTENSION.sub("", text).strip() or text
    found = _read(text)
    groups = _DIGIT_GROUPS.findall(text)
    if (found is None or not found.valid) and len(groups) >= 2 and len(groups[-1]) <= 5:
        shorter = _read(text[: text.rfind(groups[-1])])  # 010-12345678-801
        if shorter is not None and (shorter.valid or len(shorter.national) > LOCAL_DIGITS):
            found = shorter
    return found or PhoneNumber(plain)


def national(value: str | None) -> str:
    """The digits search and matching compare (see the module's docstring); "" for no number."""
    if value and (shape := _LANDLINE.fullmatch(value.strip())):
        return (shape.group(1) + shape.group(2))[1:]
    number = parse(value)
    return number.national if number else ""
