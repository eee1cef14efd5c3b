"""Money and quantity fields: stored at a fixed high precision, rounded for display by parameter."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models

MONEY_MAX_DIGITS = 20
MONEY_DECIMAL_PLACES = 6


class MoneyField(models.DecimalField):
    """Decimal money at 6 places; never float. Display rounding comes from system parameters."""

    def __init__(self, *args, decimals_param: str | None = None, **kwargs):
        #: The system parameter giving the places shown (``order_amount_decimals``); display
        #: only, so not part of the migration state. ``None``: 2 places.
        self.decimals_param = decimals_param
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, "kehu.core.fields.MoneyField", args, kwargs


def quantize(value: Decimal | int | str, places: int = 2) -> Decimal:
    """Round half up (商业舍入) to ``places`` decimals, the way invoices round."""
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def dictionary_choices(code: str):
    """Mark a ``choices`` callable as the entries of dictionary ``code``.

    The model field then says which dictionary backs it, so forms, the API and the importer
    read that from the field instead of keeping their own copies of the list. The callable
    itself is returned unchanged (migrations still name it)."""

    def mark(fn):
        fn.dictionary = code
        return fn

    return mark


def dictionary_of(field) -> str:
    """The dictionary code behind a model field's choices (see :func:`dictionary_choices`),
    or "" for a plain field."""
    func = getattr(getattr(field, "_choices", None), "func", None)
    return getattr(func, "dictionary", "")
