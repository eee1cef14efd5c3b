"""System set-up views: product categories, products and prices by customer level.

The generic views do the work; the subclasses only round prices for display, indent the category
tree, add margin and level prices to the product page, and route deletes through the actions.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from kehu.core.permissions import SpecialPermission
from kehu.core.registry import get_object_type
from kehu.core.views import (
    ObjectBulkDeleteView,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    RestrictedObjectMixin,
)

from .. import actions
from ..forms.products import PriceListFormSet
from ..models import Product, ProductCategory

MONEY_FIELDS = ("list_price", "floor_price", "cost")


def _round_cells(names: list[str], values: list, places: int) -> list:
    return [
        actions.format_product_amount(v, places)
        if n in MONEY_FIELDS and isinstance(v, Decimal)
        else v
        for n, v in zip(names, values, strict=False)
    ]


class ProductListView(ObjectListView):
    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        names = [c["name"] for c in ctx["columns"]]
        places = actions.product_amount_decimals()
        ctx["rows"] = [(obj, _round_cells(names, cells, places)) for obj, cells in ctx["rows"]]
        return ctx


class ProductDetailView(ObjectDetailView):
    def get_template_names(self):
        return ["system/products/product_detail.html"]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        product = ctx["object"]
        user = self.request.user
        places = actions.product_amount_decimals()
        names = self.object_type.visible(self.object_type.detail_fields, user)
        values = _round_cells(names, [value for _label, value in ctx["fields"]], places)
        ctx["fields"] = [
            (label, value) for (label, _old), value in zip(ctx["fields"], values, strict=False)
        ]
        if "tax_rate" in names:
            i = names.index("tax_rate")
            label, rate = ctx["fields"][i]
            ctx["fields"][i] = (label, f"{(rate * 100).normalize():f}%")
        if user.has_perm(SpecialPermission.SEE_COST):
            rate = actions.product_margin_rate(product)
            ctx["margin"] = actions.format_product_amount(actions.product_margin(product), places)
            ctx["margin_rate"] = f"{rate * 100:.1f}%" if rate is not None else "—"
        labels = dict(actions.customer_levels())
        ctx["level_prices"] = [
            (labels.get(item.customer_level, item.customer_level), item)
            for item in product.level_prices.order_by("customer_level")
        ]
        ctx["level_price_values"] = {
            item.pk: actions.format_product_amount(item.price, places)
            for _label, item in ctx["level_prices"]
        }
        ctx["rows_level_prices"] = [
            (label, ctx["level_price_values"][item.pk], item.price < product.floor_price)
            for label, item in ctx["level_prices"]
        ]
        ctx["list_price_display"] = actions.format_product_amount(product.list_price, places)
        return ctx


class ProductPricesView(RestrictedObjectMixin, TemplateView):
    """Edit the prices by customer level of one product (needs change_product and edit access)."""

    template_name = "system/products/product_prices.html"
    action = "change"

    def formset(self, product, data=None):
        return PriceListFormSet(
            data, product=product, user=self.request.user, levels=actions.customer_levels()
        )

    def get_context_data(self, formset=None, **kwargs):
        ctx = super().get_context_data(**kwargs) | self.base_context()
        product = self.get_editable_object(kwargs["pk"])
        ctx.update(
            object=product,
            formset=formset or self.formset(product),
            floor_price=actions.format_product_amount(product.floor_price),
            list_price=actions.format_product_amount(product.list_price),
            may_sell_below_floor=self.request.user.has_perm(SpecialPermission.SELL_BELOW_FLOOR),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        product = self.get_editable_object(kwargs["pk"])
        formset = self.formset(product, request.POST)
        if formset.is_valid():
            try:
                with transaction.atomic():
                    formset.save_all()
            except ValidationError as exc:
                formset._non_form_errors = formset.error_class(exc.messages)
            else:
                messages.success(
                    request, _("Saved the prices of %(object)s.") % {"object": product}
                )
                return redirect("system:product_detail", pk=product.pk)
        return self.render_to_response(self.get_context_data(formset=formset, **kwargs))


class ProductCategoryListView(ObjectListView):
    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if self.sort() == "path":  # tree order: indent the names
            names = [c["name"] for c in ctx["columns"]]
            if "name" in names:
                i = names.index("name")
                rows = []
                for obj, cells in ctx["rows"]:
                    cells = list(cells)
                    cells[i] = "\u3000" * obj.depth + str(cells[i])
                    rows.append((obj, cells))
                ctx["rows"] = rows
        return ctx


class ProductCategoryDetailView(ObjectDetailView):
    def get_template_names(self):
        return ["system/products/productcategory_detail.html"]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        category = ctx["object"]
        ctx["children"] = category.children.order_by("code")
        ctx["product_count"] = Product.objects.filter(
            category__path__startswith=category.path
        ).count()
        ctx["products_url_category"] = category.pk
        return ctx


class ProductCategoryDeleteView(ObjectDeleteView):
    """Refused, with the reason, while products or sub-categories use the category."""

    def post(self, request, *args, **kwargs):
        category = self.get_editable_object(kwargs["pk"])
        try:
            get_object_type(ProductCategory).actions.delete(user=request.user, obj=category)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("system:productcategory_detail", pk=category.pk)
        messages.success(request, _("Deleted %(object)s.") % {"object": category})
        return redirect("system:productcategory_list")


def _urls(object_type, *, list_view, detail_view, delete_view) -> list:
    n = object_type.name
    kw = {"object_type": object_type}
    return [
        path(f"{n}s/", list_view.as_view(**kw), name=f"{n}_list"),
        path(f"{n}s/add/", ObjectEditView.as_view(**kw), name=f"{n}_add"),
        path(f"{n}s/bulk-delete/", ObjectBulkDeleteView.as_view(**kw), name=f"{n}_bulk_delete"),
        path(f"{n}s/<int:pk>/", detail_view.as_view(**kw), name=f"{n}_detail"),
        path(f"{n}s/<int:pk>/edit/", ObjectEditView.as_view(**kw), name=f"{n}_edit"),
        path(f"{n}s/<int:pk>/delete/", delete_view.as_view(**kw), name=f"{n}_delete"),
    ]


_category = get_object_type(ProductCategory)
_product = get_object_type(Product)

urlpatterns: list = [
    *_urls(
        _category,
        list_view=ProductCategoryListView,
        detail_view=ProductCategoryDetailView,
        delete_view=ProductCategoryDeleteView,
    ),
    *_urls(
        _product,
        list_view=ProductListView,
        detail_view=ProductDetailView,
        delete_view=ObjectDeleteView,
    ),
    path(
        "products/<int:pk>/prices/",
        ProductPricesView.as_view(object_type=_product),
        name="product_prices",
    ),
]
