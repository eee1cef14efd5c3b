"""Quotes API: quotes with their lines (written together, through ``save_quote``), the lines on
their own, price agreements, and the quote's actions (new version, accept, reject, send, PDF)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.core.access_rules import access_rule, record
from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet
from kehu.core.registry import get_object_type
from kehu.customers.models import Customer
from kehu.system.models import Product

from ..actions import quotes as actions
from ..models import PriceAgreement, Quote, QuoteLine

LINE_READ = [
    "id",
    "position",
    "product",
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "tax_rate",
    "line_total",
    "price_source",
]


class QuoteLineInputSerializer(serializers.Serializer):
    """A line as sent with its quote: missing unit price and tax rate come from the product
    and the customer's prices; amounts are always computed by the server."""

    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.filter(is_active=True))
    quantity = serializers.CharField(max_length=30, required=False, default="1")
    unit_price = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    discount_percent = serializers.CharField(max_length=30, required=False, default="0")
    tax_rate = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    description = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )


class QuoteLineOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = QuoteLine
        fields = LINE_READ
        read_only_fields = LINE_READ


class QuoteSerializer(BaseModelSerializer):
    lines = QuoteLineInputSerializer(many=True, required=False, write_only=True)
    line_items = QuoteLineOutSerializer(source="lines", many=True, read_only=True)

    class Meta:
        model = Quote
        fields = [
            "id",
            "number",
            "title",
            "customer",
            "contact",
            "opportunity",
            "status",
            "version_no",
            "previous",
            "currency",
            "valid_until",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "terms",
            "sent_at",
            "decided_at",
            "reject_reason",
            "floor_approval",
            "lines",
            "line_items",
            "owner",
            "department",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = [
            "number",
            "status",
            "version_no",
            "previous",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "sent_at",
            "decided_at",
            "reject_reason",
            "floor_approval",
            "owner",
            "department",
            "created_at",
            "updated_at",
        ]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated and "customer" in fields:
            fields["customer"].queryset = Customer.objects.visible_to(request.user)
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "lines" in attrs:
            attrs["lines"] = [dict(line) for line in attrs["lines"]]
        return attrs


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class SendSerializer(serializers.Serializer):
    to = serializers.ListField(child=serializers.EmailField(), min_length=1, max_length=20)
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    message = serializers.CharField(required=False, allow_blank=True, default="")
    language = serializers.ChoiceField(choices=["zh-hans", "en"], default="zh-hans")


def _as_api_error(exc: ValidationError) -> serializers.ValidationError:
    detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
    return serializers.ValidationError(detail)


class QuoteViewSet(RestrictedModelViewSet):
    serializer_class = QuoteSerializer

    @property
    def object_type(self):
        return get_object_type(Quote)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("lines")

    def _editable(self):
        if not self.request.user.has_perm("sales.change_quote"):
            self.permission_denied(self.request)
        quote = self.get_object()
        if not Quote.objects.editable_by(self.request.user).filter(pk=quote.pk).exists():
            self.permission_denied(self.request)
        return quote

    def _answer(self, quote):
        quote = self.get_queryset().get(pk=quote.pk)
        return Response(QuoteSerializer(quote, context=self.get_serializer_context()).data)

    @extend_schema(
        request=None, responses=QuoteSerializer, description="A draft copy: version + 1."
    )
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        try:
            copy = actions.new_version(quote=self._editable(), user=request.user)
        except ValidationError as exc:
            raise _as_api_error(exc) from None
        return self._answer(copy)

    @extend_schema(request=None, responses=QuoteSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        try:
            quote = actions.accept_quote(quote=self._editable(), user=request.user)
        except ValidationError as exc:
            raise _as_api_error(exc) from None
        return self._answer(quote)

    @extend_schema(request=RejectSerializer, responses=QuoteSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        quote = self._editable()
        body = RejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            quote = actions.reject_quote(
                quote=quote, user=request.user, reason=body.validated_data["reason"]
            )
        except ValidationError as exc:
            raise _as_api_error(exc) from None
        return self._answer(quote)

    @extend_schema(request=SendSerializer, responses=QuoteSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        quote = self._editable()
        body = SendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            quote = actions.send_quote(quote=quote, user=request.user, **body.validated_data)
        except ValidationError as exc:
            raise _as_api_error(exc) from None
        return self._answer(quote)

    @extend_schema(
        parameters=[OpenApiParameter("lang", str, enum=["zh-hans", "en"])],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        from ..quote_pdf import quote_pdf

        quote = self.get_object()
        lang = "en" if (request.query_params.get("lang") or "").startswith("en") else "zh-hans"
        with translation.override(lang):
            content = quote_pdf(quote, user=request.user)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="{quote.number}-v{quote.version_no}-{lang}.pdf"'
        )
        return response


for _name in ("new_version", "accept", "reject", "send"):
    access_rule(record("sales.quote", "sales.change_quote"))(getattr(QuoteViewSet, _name))
access_rule(record("sales.quote", "sales.view_quote"))(QuoteViewSet.pdf)


class PriceAgreementSerializer(BaseModelSerializer):
    class Meta:
        model = PriceAgreement
        fields = [
            "id",
            "customer",
            "product",
            "price",
            "valid_from",
            "valid_to",
            "notes",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated and "customer" in fields:
            fields["customer"].queryset = Customer.objects.visible_to(request.user)
        return fields


class PriceAgreementViewSet(RestrictedModelViewSet):
    serializer_class = PriceAgreementSerializer

    @property
    def object_type(self):
        return get_object_type(PriceAgreement)


def register(router) -> None:
    router.register("quotes", QuoteViewSet, basename="quote")
    router.register("priceagreements", PriceAgreementViewSet, basename="priceagreement")
