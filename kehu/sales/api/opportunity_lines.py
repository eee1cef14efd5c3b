"""API of a deal's products: ``GET/POST /opportunities/{id}/products/`` and
``POST /opportunities/{id}/products/{line}/remove/`` (a change of the deal, so the change
permission, not the delete one) — the same actions as the deal page's card."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.system.models import Product

from ..models import OpportunityLine


class DealLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OpportunityLine
        fields = [
            "id",
            "position",
            "product",
            "description",
            "quantity",
            "unit_price",
            "discount_percent",
            "line_total",
        ]
        read_only_fields = fields


class DealLineInputSerializer(serializers.Serializer):
    product = serializers.IntegerField(help_text="The id of an active product.")
    quantity = serializers.DecimalField(max_digits=20, decimal_places=6, required=False)
    unit_price = serializers.DecimalField(
        max_digits=20,
        decimal_places=6,
        required=False,
        allow_null=True,
        help_text="Leave out for the customer's price (agreement, level or list price).",
    )
    discount_percent = serializers.DecimalField(max_digits=7, decimal_places=4, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=300)


def _lines(deal) -> list:
    return DealLineSerializer(deal.lines.order_by("position", "pk"), many=True).data


class DealLinesMixin:
    """Mixed into the opportunity viewset: its ``get_object`` applies the data scope."""

    @extend_schema(
        methods=["GET"], responses=DealLineSerializer(many=True), summary="A deal's products"
    )
    @extend_schema(
        methods=["POST"],
        request=DealLineInputSerializer,
        responses=DealLineSerializer(many=True),
        summary="Add a product to an open deal (its amount becomes the sum of its products)",
    )
    @action(detail=True, methods=["get", "post"], url_path="products", pagination_class=None)
    def products(self, request, pk=None):
        from ..actions.opportunity_lines import add_deal_line

        deal = self.get_object()
        if request.method == "GET":
            return Response(_lines(deal))
        self.check_object_permissions(request, deal)
        body = DealLineInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        product = Product.objects.filter(pk=data.pop("product"), is_active=True).first()
        add_deal_line(opportunity=deal, user=request.user, product=product, **data)
        return Response(_lines(deal), status=201)

    @extend_schema(request=None, responses=DealLineSerializer(many=True))
    @action(
        detail=True,
        methods=["post"],
        url_path=r"products/(?P<line_pk>[0-9]+)/remove",
        pagination_class=None,
    )
    def remove_product(self, request, pk=None, line_pk=None):
        """Remove a product from an open deal."""
        from ..actions.opportunity_lines import remove_deal_line

        deal = self.get_object()
        self.check_object_permissions(request, deal)
        line = get_object_or_404(OpportunityLine, pk=line_pk, opportunity=deal)
        remove_deal_line(line=line, user=request.user)
        return Response(_lines(deal))


def register(router) -> None:
    """No route of its own: the actions above live on the opportunity viewset."""
