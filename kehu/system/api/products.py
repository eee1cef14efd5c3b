"""System set-up API: product categories, products (with level prices) and level prices."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from rest_framework import permissions, serializers, viewsets

from kehu.core.access_rules import access_rule, perm
from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet
from kehu.core.registry import get_object_type

from .. import actions
from ..models import PriceListItem, Product, ProductCategory


class ProductCategorySerializer(BaseModelSerializer):
    class Meta:
        model = ProductCategory
        fields = [
            "id",
            "code",
            "name",
            "parent",
            "path",
            "depth",
            "is_active",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["path", "depth", "created_at", "updated_at"]
        extra_kwargs = {"code": {"validators": []}}


def _apply(instance, data: dict):
    version = data.pop("version", None)
    if version is not None:
        instance.version = version
    for key, value in data.items():
        setattr(instance, key, value)
    return instance


class ProductCategoryViewSet(RestrictedModelViewSet):
    serializer_class = ProductCategorySerializer

    @property
    def object_type(self):
        return get_object_type(ProductCategory)

    def get_queryset(self):
        return super().get_queryset().select_related("parent")


class LevelPriceSerializer(serializers.ModelSerializer):
    class Meta:
        model = PriceListItem
        fields = ["id", "customer_level", "price"]


class ProductSerializer(BaseModelSerializer):
    """Cost and margin are dropped for users without "see cost and margin"."""

    margin = serializers.SerializerMethodField()
    level_prices = LevelPriceSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "code",
            "name",
            "category",
            "kind",
            "unit",
            "list_price",
            "floor_price",
            "cost",
            "margin",
            "tax_rate",
            "is_active",
            "description",
            "level_prices",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # The action's rules give one message per rule, in the user's language.
        extra_kwargs = {
            "code": {"validators": []},
            "tax_rate": {"validators": [], "min_value": None, "max_value": None},
        }

    def get_margin(self, obj) -> str:
        return str(actions.product_margin(obj))

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = self.instance

        def value(name):
            if name in attrs:
                return attrs[name]
            if instance is not None:
                return getattr(instance, name)
            return Product._meta.get_field(name).get_default()

        errors = actions.product_errors(
            code=value("code") or "",
            list_price=value("list_price"),
            floor_price=value("floor_price"),
            cost=value("cost"),
            tax_rate=value("tax_rate"),
            pk=instance.pk if instance is not None else None,
        )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ProductViewSet(RestrictedModelViewSet):
    serializer_class = ProductSerializer

    @property
    def object_type(self):
        return get_object_type(Product)

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch("level_prices", queryset=PriceListItem.objects.order_by("customer_level"))
            )
        )


class ProductPricePermission(permissions.BasePermission):
    """Level prices are part of the product: reading needs view_product, writing change_product."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        action = "view" if request.method in permissions.SAFE_METHODS else "change"
        return request.user.has_perm(f"system.{action}_product")


class PriceListItemSerializer(BaseModelSerializer):
    class Meta:
        model = PriceListItem
        fields = ["id", "product", "customer_level", "price", "version"]
        validators: list = []  # one price per level is checked below, with a clear message

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = self.instance
        product = attrs.get("product") or (instance.product if instance else None)
        level = attrs.get("customer_level", instance.customer_level if instance else "")
        price = attrs.get("price", instance.price if instance else None)
        request = self.context["request"]
        errors = actions.level_price_errors(
            product=product, customer_level=level, price=price, user=request.user
        )
        clash = PriceListItem.objects.filter(product=product, customer_level=level)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if level and clash.exists():
            errors.setdefault("customer_level", []).append(_("This level already has a price."))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


@access_rule(perm("system.view_product", "system.pricelistitem"))
class PriceListItemViewSet(viewsets.ModelViewSet):
    """Prices by customer level; ``?product=<id>`` lists one product's prices."""

    serializer_class = PriceListItemSerializer
    permission_classes = [ProductPricePermission]
    filterset_fields = ["product", "customer_level"]
    ordering_fields = ["id", "customer_level", "price"]

    def get_queryset(self):
        products = Product.objects.visible_to(self.request.user)
        return PriceListItem.objects.filter(product__in=products).order_by("-id")

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        fields = getattr(serializer, "fields", None)
        if fields is not None and "product" in fields and hasattr(fields["product"], "queryset"):
            fields["product"].queryset = Product.objects.visible_to(self.request.user)
        return serializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        serializer.instance = actions.save_price_list_item(
            item=PriceListItem(**data), user=self.request.user
        )

    def perform_update(self, serializer):
        item = _apply(serializer.instance, dict(serializer.validated_data))
        actions.save_price_list_item(item=item, user=self.request.user)

    def perform_destroy(self, instance):
        actions.delete_price_list_item(item=instance, user=self.request.user)


def register(router) -> None:
    """Register this area's viewsets on the API router."""
    router.register("productcategorys", ProductCategoryViewSet, basename="productcategory")
    router.register("productcategories", ProductCategoryViewSet, basename="productcategory-alias")
    router.register("products", ProductViewSet, basename="product")
    router.register("pricelistitems", PriceListItemViewSet, basename="pricelistitem")
