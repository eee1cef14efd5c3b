"""Products (产品管理): the category tree, products with list/floor/cost prices, level prices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from kehu.core.fields import quantize
from kehu.core.permissions import SpecialPermission

from ..models import PriceListItem, Product, ProductCategory, SystemParameters

CUSTOMER_LEVEL_DICTIONARY = "customer_level"


def product_amount_decimals() -> int:
    """Decimal places for product prices on screen (system parameter; amounts are stored at 6)."""
    try:
        from kehu.system.params import amount_places
    except ImportError:  # pragma: no cover - the parameters area not installed
        params = SystemParameters.objects.filter(pk=1).first() or SystemParameters()
        return int(params.product_amount_decimals)
    return int(amount_places("product"))


def format_product_amount(value: Decimal | None, places: int | None = None) -> str:
    """A price rounded half up to the parameter's places, grouped for the user's locale."""
    if value is None:
        return ""
    places = product_amount_decimals() if places is None else places
    return formats.number_format(
        quantize(value, places), places, use_l10n=True, force_grouping=True
    )


def customer_levels() -> list[tuple[str, str]]:
    """(code, label) of the active entries of the customer level dictionary, in order."""
    try:
        from kehu.system.params import dictionary_choices
    except ImportError:  # pragma: no cover - the dictionaries area not installed
        from ..models import DictionaryItem

        items = DictionaryItem.objects.filter(dictionary=CUSTOMER_LEVEL_DICTIONARY, is_active=True)
        return [(item.code, item.label()) for item in items]
    return dictionary_choices(CUSTOMER_LEVEL_DICTIONARY)


# --- Categories -----------------------------------------------------------------------------


def _category_errors(category: ProductCategory) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    code = (category.code or "").strip()
    if code and "/" in code:
        errors.setdefault("code", []).append(_("The code cannot contain “/”."))
    clash = ProductCategory.objects.filter(code__iexact=code)
    if category.pk:
        clash = clash.exclude(pk=category.pk)
    if code and clash.exists():
        errors.setdefault("code", []).append(_("A category with this code already exists."))
    try:
        category.check_parent(category.parent if category.parent_id else None)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    return errors


@transaction.atomic
def save_product_category(*, category: ProductCategory, user) -> ProductCategory:
    """Create or update a category; moving it moves its whole subtree (paths and depths)."""
    errors = _category_errors(category)
    if errors:
        raise ValidationError(errors)
    category.full_clean(exclude=["path", "depth"])
    category.save()  # a new parent or code moves the subtree (``TreeNode.save``)
    return category


@transaction.atomic
def delete_product_category(*, category: ProductCategory, user) -> None:
    """Refuse while products or sub-categories use the category: history depends on them."""
    if category.products.exists():
        raise ValidationError(
            _("%(category)s still has products; move them to another category first.")
            % {"category": category}
        )
    if category.children.exists():
        raise ValidationError(
            _("%(category)s still has sub-categories; move or delete them first.")
            % {"category": category}
        )
    category.delete()


# --- Products -------------------------------------------------------------------------------


def product_errors(
    *,
    code: str,
    list_price: Any,
    floor_price: Any,
    cost: Any,
    tax_rate: Any,
    pk: int | None = None,
) -> dict[str, list[str]]:
    """The product rules, by field, in the active language (forms and the API share them)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field, value in (("list_price", list_price), ("floor_price", floor_price), ("cost", cost)):
        if value is not None and Decimal(value) < 0:
            add(field, _("The amount cannot be negative."))
    if (
        list_price is not None
        and floor_price is not None
        and Decimal(floor_price) > Decimal(list_price)
    ):
        add("floor_price", _("The floor price cannot be higher than the list price."))
    if tax_rate is not None and not (Decimal(0) <= Decimal(tax_rate) <= Decimal(1)):
        add("tax_rate", _("The tax rate must be between 0 and 1 (0.13 is 13%)."))
    code = (code or "").strip()
    if code:
        clash = Product.objects.filter(code__iexact=code)
        if pk:
            clash = clash.exclude(pk=pk)
        if clash.exists():
            add("code", _("A product with this code already exists."))
    return errors


@transaction.atomic
def save_product(*, product: Product, user) -> Product:
    """Create or update a product after the price, tax and code rules; every path comes here."""
    product.code = (product.code or "").strip()
    errors = product_errors(
        code=product.code,
        list_price=product.list_price,
        floor_price=product.floor_price,
        cost=product.cost,
        tax_rate=product.tax_rate,
        pk=product.pk,
    )
    if errors:
        raise ValidationError(errors)
    product.full_clean()
    product.save()
    return product


def product_margin(product: Product) -> Decimal:
    """List price less cost (毛利); show it only to users who may see cost."""
    return (product.list_price or Decimal(0)) - (product.cost or Decimal(0))


def product_margin_rate(product: Product) -> Decimal | None:
    """Margin as a share of the list price, or ``None`` for a free product."""
    if not product.list_price:
        return None
    return product_margin(product) / product.list_price


# --- Prices by customer level ---------------------------------------------------------------


def level_price_errors(
    *, product: Product, customer_level: str, price: Any, user
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not (customer_level or "").strip():
        errors.setdefault("customer_level", []).append(_("Choose a customer level."))
    if price is None:
        return errors
    price = Decimal(price)
    if price < 0:
        errors.setdefault("price", []).append(_("The amount cannot be negative."))
    elif price < product.floor_price and not user.has_perm(SpecialPermission.SELL_BELOW_FLOOR):
        errors.setdefault("price", []).append(
            _("The price is below the floor price %(floor)s; you may not sell below it.")
            % {"floor": format_product_amount(product.floor_price)}
        )
    return errors


@transaction.atomic
def save_price_list_item(*, item: PriceListItem, user) -> PriceListItem:
    """A price for one customer level; below the floor only with "sell below floor price"."""
    item.customer_level = (item.customer_level or "").strip()
    errors = level_price_errors(
        product=item.product, customer_level=item.customer_level, price=item.price, user=user
    )
    if errors:
        raise ValidationError(errors)
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def delete_price_list_item(*, item: PriceListItem, user) -> None:
    item.delete()


def price_for(*, product: Product, customer_level: str | None) -> Decimal:
    """The price a customer of ``customer_level`` pays: the level's price if set, else list price."""
    if customer_level:
        prices = getattr(product, "_prefetched_objects_cache", {}).get("level_prices")
        if prices is not None:
            for item in prices:
                if item.customer_level == customer_level:
                    return item.price
        else:
            price = (
                PriceListItem.objects.filter(product=product, customer_level=customer_level)
                .values_list("price", flat=True)
                .first()
            )
            if price is not None:
                return price
    return product.list_price


__all__ = [
    "CUSTOMER_LEVEL_DICTIONARY",
    "customer_levels",
    "delete_price_list_item",
    "delete_product_category",
    "format_product_amount",
    "level_price_errors",
    "product_margin",
    "product_margin_rate",
    "price_for",
    "product_amount_decimals",
    "product_errors",
    "save_price_list_item",
    "save_product",
    "save_product_category",
]
