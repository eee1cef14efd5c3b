"""System set-up object types: product categories and products."""

from kehu.core.permissions import SpecialPermission
from kehu.core.registry import ObjectType, register
from kehu.core.saving import record_actions

from ..filters.products import ProductCategoryFilterSet, ProductFilterSet
from ..forms.products import ProductCategoryForm, ProductForm
from ..models import Product, ProductCategory


def _save_category(obj: ProductCategory, *, user) -> ProductCategory:
    from ..actions import save_product_category

    return save_product_category(category=obj, user=user)


def _delete_category(*, user, obj: ProductCategory) -> None:
    """Refused while products or sub-categories use it."""
    from ..actions import delete_product_category

    delete_product_category(category=obj, user=user)


def _save_product(obj: Product, *, user) -> Product:
    from ..actions import save_product

    return save_product(product=obj, user=user)


PRODUCT_CATEGORY = register(
    ObjectType(
        model=ProductCategory,
        namespace="system",
        filterset=ProductCategoryFilterSet,
        form=ProductCategoryForm,
        actions=record_actions(ProductCategory, _save_category, delete=_delete_category),
        columns=["code", "name", "parent", "is_active"],
        sortable=["code", "name"],
        default_sort="path",
        search_fields=["code", "name"],
        export_fields=["code", "name", "parent", "is_active"],
        select_related=["parent"],
        api_select_related=["parent"],
        detail_fields=["code", "name", "parent", "is_active"],
    )
)

PRODUCT = register(
    ObjectType(
        model=Product,
        namespace="system",
        filterset=ProductFilterSet,
        form=ProductForm,
        actions=record_actions(Product, _save_product),
        columns=[
            "code",
            "name",
            "category",
            "kind",
            "unit",
            "list_price",
            "floor_price",
            "cost",
            "is_active",
        ],
        sortable=["code", "name", "list_price"],
        default_sort="code",
        search_fields=["code", "name"],
        export_fields=[
            "code",
            "name",
            "category",
            "kind",
            "unit",
            "list_price",
            "floor_price",
            "cost",
            "tax_rate",
            "is_active",
            "description",
        ],
        select_related=["category"],
        api_select_related=["category"],
        detail_fields=[
            "code",
            "name",
            "category",
            "kind",
            "unit",
            "list_price",
            "floor_price",
            "cost",
            "tax_rate",
            "is_active",
            "description",
        ],
        sensitive={"cost": SpecialPermission.SEE_COST, "margin": SpecialPermission.SEE_COST},
    )
)
