"""Document numbers from a pattern such as ``C{seq:8}`` or ``KH{YYYY}{MM}-{seq:5}``.

A pattern is literal text plus tokens: ``{YYYY}``, ``{YY}``, ``{MM}``, ``{DD}`` (today's date)
and exactly one ``{seq:N}`` (the counter, zero-padded to N digits). The counter lives in
:class:`~kehu.core.models.NumberSequence`, one row per series (the pattern with the date filled
in), so a yearly pattern restarts every year. The first use of a series starts after the highest
number already in the table that fits it, so switching from hand-made numbers loses nothing.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import NumberSequence

TOKEN = re.compile(r"\{([^{}]*)\}")
SEQ = re.compile(r"seq:(\d{1,2})")
LITERAL = re.compile(r"[A-Za-z0-9_\-/.#]*")
DATE_TOKENS = {
    "YYYY": "%Y",
    "YY": "%y",
    "MM": "%m",
    "DD": "%d",
}


@dataclass(frozen=True)
class Series:
    """A pattern with today's date filled in: numbers are ``prefix + counter + suffix``."""

    prefix: str
    digits: int
    suffix: str

    @property
    def key(self) -> str:
        return f"{self.prefix}{{seq:{self.digits}}}{self.suffix}"

    def format(self, n: int) -> str:
        return f"{self.prefix}{n:0{self.digits}d}{self.suffix}"

    def regex(self) -> str:
        return rf"^{re.escape(self.prefix)}[0-9]{{{self.digits}}}{re.escape(self.suffix)}$"


def check_pattern(pattern: str, *, max_length: int = 30) -> None:
    """Refuse a pattern that cannot make valid, unique numbers of at most ``max_length``."""
    pattern = pattern or ""
    seqs = 0
    length = 0
    pos = 0
    for match in TOKEN.finditer(pattern):
        literal = pattern[pos : match.start()]
        if not LITERAL.fullmatch(literal):
            raise ValidationError(
                _("Only letters, digits and - _ / . # may surround the placeholders."),
                code="invalid",
            )
        length += len(literal)
        token = match.group(1)
        seq = SEQ.fullmatch(token)
        if seq:
            seqs += 1
            digits = int(seq.group(1))
            if not 3 <= digits <= 12:
                raise ValidationError(
                    _("The counter {seq:N} needs from 3 to 12 digits."), code="invalid"
                )
            length += digits
        elif token in DATE_TOKENS:
            length += 4 if token == "YYYY" else 2
        else:
            raise ValidationError(
                _("Unknown placeholder {%(token)s}: use {YYYY}, {YY}, {MM}, {DD} or {seq:N}.")
                % {"token": token},
                code="invalid",
            )
        pos = match.end()
    tail = pattern[pos:]
    if not LITERAL.fullmatch(tail):
        raise ValidationError(
            _("Only letters, digits and - _ / . # may surround the placeholders."), code="invalid"
        )
    length += len(tail)
    if seqs != 1:
        raise ValidationError(
            _("The pattern needs exactly one counter placeholder, such as {seq:6}."),
            code="invalid",
        )
    if length > max_length:
        raise ValidationError(
            _("Numbers from this pattern would be longer than %(n)s characters.")
            % {"n": max_length},
            code="invalid",
        )


def series(pattern: str, today: datetime.date | None = None) -> Series:
    """The pattern with today's date filled in (the pattern must have passed check_pattern)."""
    today = today or timezone.localdate()

    def fill(text: str) -> str:
        return TOKEN.sub(lambda m: today.strftime(DATE_TOKENS[m.group(1)]), text)

    seq = next(m for m in TOKEN.finditer(pattern) if SEQ.fullmatch(m.group(1)))
    digits = int(SEQ.fullmatch(seq.group(1)).group(1))
    return Series(fill(pattern[: seq.start()]), digits, fill(pattern[seq.end() :]))


def _highest(s: Series, queryset: models.QuerySet, field: str) -> int:
    top = (
        queryset.filter(**{f"{field}__regex": s.regex()})
        .order_by(f"-{field}")
        .values_list(field, flat=True)
        .first()
    )
    return int(top[len(s.prefix) : len(top) - len(s.suffix) or None]) if top else 0


def take_numbers(
    pattern: str,
    count: int,
    *,
    queryset: models.QuerySet,
    field: str,
    label: str,
    peek: bool = False,
    today: datetime.date | None = None,
) -> list[str]:
    """``count`` new numbers of the series, none already used in ``queryset`` (which should
    include deleted records, so a restored one keeps its number).

    Call inside the transaction that saves the records: the counter's UPDATE locks the series
    until then, so two creations never get the same number. ``peek`` returns the numbers that
    would come next without moving the counter (dry runs, previews).
    """
    if count <= 0:
        return []
    s = series(pattern, today)
    key = f"{label}:{s.key}"[:100]
    out: list[str] = []
    with transaction.atomic():
        if peek:
            last = NumberSequence.objects.filter(key=key).values_list("last", flat=True).first()
            next_n = (_highest(s, queryset, field) if last is None else last) + 1
        while len(out) < count:
            want = count - len(out)
            if peek:
                start, next_n = next_n, next_n + want
            else:
                start = _reserve(key, want, lambda: _highest(s, queryset, field))
            candidates = [s.format(n) for n in range(start, start + want)]
            if len(candidates[-1]) > len(s.format(0)):
                raise ValidationError(
                    _("The numbering pattern has run out of numbers: give it more digits."),
                    code="exhausted",
                )
            taken = set(
                queryset.filter(**{f"{field}__in": candidates}).values_list(field, flat=True)
            )
            out.extend(c for c in candidates if c not in taken)
    return out


def _reserve(key: str, count: int, floor) -> int:
    """Move the series' counter on by ``count``; the first number of the block."""
    for _attempt in range(3):
        if NumberSequence.objects.filter(key=key).update(last=F("last") + count):
            last = NumberSequence.objects.filter(key=key).values_list("last", flat=True).get()
            return last - count + 1
        try:
            with transaction.atomic():
                NumberSequence.objects.create(key=key, last=floor() + count)
        except IntegrityError:
            continue  # another transaction created the series first: take the UPDATE path
        return NumberSequence.objects.get(key=key).last - count + 1
    raise RuntimeError(f"could not reserve numbers in {key}")
