"""System set-up forms: products. Validation and saving go through ``kehu.system.actions``."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.forms import BaseModelForm

from ..models import PriceListItem, Product, ProductCategory


class ProductCategoryForm(BaseModelForm):
    class Meta:
        model = ProductCategory
        fields = ["code", "name", "parent", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = ProductCategory.objects.order_by("path")
        if self.instance.pk:  # never under itself or one of its own sub-categories
            parents = parents.exclude(path__startswith=self.instance.path)
        self.fields["parent"].queryset = parents
        self.fields["parent"].label_from_instance = lambda c: "\u3000" * c.depth + str(c)

    def clean(self):
        from ..actions.products import _category_errors

        data = super().clean()
        probe = ProductCategory(
            pk=self.instance.pk,
            code=data.get("code") or "",
            parent=data.get("parent"),
            path=self.instance.path,
        )
        for field, messages in _category_errors(probe).items():
            for message in messages:
                if field in self.fields and field not in self.errors:
                    self.add_error(field, message)
        return data


class ProductForm(BaseModelForm):
    """Cost is dropped for users without "see cost and margin" (``ObjectType.sensitive``)."""

    class Meta:
        model = Product
        fields = [
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
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ProductCategory.objects.order_by("path")
        self.fields["category"].label_from_instance = lambda c: "\u3000" * c.depth + str(c)
        self.fields["tax_rate"].help_text = _("A fraction: 0.13 is 13%.")

    def clean(self):
        from ..actions import product_errors

        data = super().clean()

        def value(name):
            if name in self.fields:
                return data.get(name)
            return getattr(self.instance, name)

        errors = product_errors(
            code=value("code") or "",
            list_price=value("list_price"),
            floor_price=value("floor_price"),
            cost=value("cost"),
            tax_rate=value("tax_rate"),
            pk=self.instance.pk,
        )
        for field, messages in errors.items():
            for message in messages:
                if field not in self.errors:
                    self.add_error(field if field in self.fields else None, message)
        return data


class PriceListItemForm(forms.ModelForm):
    """One customer level's price in the product's price list (a formset row)."""

    class Meta:
        model = PriceListItem
        fields = ["customer_level", "price"]

    def __init__(self, *args, product: Product, user, levels=(), **kwargs):
        self.product = product
        self.user = user
        super().__init__(*args, **kwargs)
        if levels:
            choices = [("", "---------"), *levels]
            current = self.initial.get("customer_level")
            if current and current not in dict(levels):
                choices.append((current, current))  # a level since removed from the dictionary
            self.fields["customer_level"] = forms.ChoiceField(
                label=PriceListItem._meta.get_field("customer_level").verbose_name,
                choices=choices,
                required=False,
            )
        self.fields["customer_level"].required = False
        price = self.initial.get("price")
        if isinstance(price, Decimal):  # stored at 6 places: show 1500, not 1500.000000
            self.initial["price"] = (
                price.quantize(Decimal(1)) if price == price.to_integral() else price.normalize()
            )
        self.fields["price"].required = False
        self.fields["customer_level"].widget.attrs.setdefault(
            "class",
            "form-select"
            if isinstance(self.fields["customer_level"].widget, forms.Select)
            else "form-control",
        )
        self.fields["price"].widget.attrs.setdefault("class", "form-control")

    def clean(self):
        from ..actions import level_price_errors

        data = super().clean()
        if self.cleaned_data.get("DELETE") or not self.has_changed():
            return data
        errors = level_price_errors(
            product=self.product,
            customer_level=data.get("customer_level") or "",
            price=data.get("price"),
            user=self.user,
        )
        if data.get("price") is None:
            errors.setdefault("price", []).append(_("Enter a price."))
        for field, messages in errors.items():
            for message in messages:
                if field not in self.errors:
                    self.add_error(field, message)
        return data

    def validate_unique(self):
        # The product is not a form field; the formset checks one price per level.
        self.instance.product = self.product
        super().validate_unique()


class BasePriceListFormSet(forms.BaseModelFormSet):
    def __init__(self, *args, product: Product, user, levels=(), **kwargs):
        self.product = product
        self.user = user
        self.levels = levels
        super().__init__(*args, queryset=product.level_prices.order_by("customer_level"), **kwargs)

    def get_form_kwargs(self, index):
        return {"product": self.product, "user": self.user, "levels": self.levels}

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            level = form.cleaned_data.get("customer_level")
            if level and level in seen:
                form.add_error("customer_level", _("This level already has a price."))
            seen.add(level)

    def save_all(self) -> None:
        from .. import actions

        for form in self.forms:
            if not form.has_changed() and not form.instance.pk:
                continue
            item = form.instance
            if form.cleaned_data.get("DELETE"):
                if item.pk:
                    actions.delete_price_list_item(item=item, user=self.user)
                continue
            if not form.has_changed():
                continue
            item.product = self.product
            actions.save_price_list_item(item=item, user=self.user)


PriceListFormSet = forms.modelformset_factory(
    PriceListItem,
    form=PriceListItemForm,
    formset=BasePriceListFormSet,
    extra=3,
    can_delete=True,
)
