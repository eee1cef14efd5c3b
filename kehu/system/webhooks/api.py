"""Webhook API: endpoints through the registry like every object type, their delivery log, a
test delivery. ``WebhookPayload`` documents the JSON body Kehu posts to a receiver."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet
from kehu.core.registry import get_object_type

from . import actions
from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent

DELIVERY_LIMIT = 100


class WebhookPayloadSerializer(serializers.Serializer):
    """The JSON body of every delivery (``POST`` to the endpoint's URL), signed with the headers
    ``Kehu-Signature: v1=<hex HMAC-SHA256 of "<Kehu-Timestamp>.<body>">`` and
    ``Kehu-Timestamp``; ``Kehu-Event`` and ``Kehu-Delivery`` (the delivery's ID, the same on
    every retry) come too."""

    event = serializers.ChoiceField(choices=[*WebhookEvent.values, "ping"])
    object_type = serializers.CharField(help_text="The object type's label, e.g. sales.order.")
    id = serializers.IntegerField(help_text="The record's ID.")
    object = serializers.CharField(help_text="The record's name as Kehu shows it.")
    timestamp = serializers.DateTimeField(help_text="When the change was recorded.")
    changes = serializers.DictField(
        child=serializers.ListField(min_length=2, max_length=2),
        help_text="The audit diff: field → [old value, new value] (all fields on created, "
        "the last values on deleted).",
    )

    class Meta:
        ref_name = "WebhookPayload"


class WebhookDeliverySerializer(serializers.ModelSerializer):
    payload = WebhookPayloadSerializer(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "payload",
            "status",
            "attempts",
            "response_code",
            "response_excerpt",
            "error",
            "duration_ms",
            "next_retry_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class WebhookEndpointSerializer(BaseModelSerializer):
    """The secret is in the answer to the create only; its owner reads it again on the page."""

    object_types = serializers.ListField(child=serializers.CharField(), required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), min_length=1
    )
    secret = serializers.SerializerMethodField()

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "name",
            "url",
            "object_types",
            "events",
            "is_active",
            "owner",
            "failure_count",
            "disabled_at",
            "secret",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["owner", "failure_count", "disabled_at", "created_at", "updated_at"]

    def get_secret(self, obj) -> str | None:
        return obj.secret if self.context.get("show_secret") else None


class WebhookEndpointViewSet(RestrictedModelViewSet):
    serializer_class = WebhookEndpointSerializer

    @property
    def object_type(self):
        return get_object_type(WebhookEndpoint)

    def get_queryset(self):
        return super().get_queryset().select_related("owner")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        serializer.context["show_secret"] = True
        return Response(serializer.data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=WebhookDeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The newest deliveries of this endpoint (at most 100)."""
        endpoint = self.get_object()
        rows = endpoint.deliveries.order_by("-created_at", "-id")[:DELIVERY_LIMIT]
        return Response(WebhookDeliverySerializer(rows, many=True).data)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Queue a ``ping`` delivery to this endpoint."""
        endpoint = self.get_object()
        if not request.user.has_perm(self.object_type.perm("change")):
            self.permission_denied(request)
        delivery = actions.send_test(endpoint=endpoint, user=request.user)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


def register(router) -> None:
    router.register("webhookendpoints", WebhookEndpointViewSet, basename="webhookendpoint")
