"""API of segments (through the same actions as the pages) and ``GET /segments/{id}/count/``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet
from kehu.core.registry import get_object_type

from ..models import Segment


class SegmentSerializer(BaseModelSerializer):
    class Meta:
        model = Segment
        fields = [
            "id",
            "name",
            "description",
            "query",
            "exclude_unsubscribed",
            "exclude",
            "owner",
            "department",
            "version",
        ]
        read_only_fields = ["owner", "department"]
        extra_kwargs = {"query": {"help_text": "The customer list's filters as a query string."}}

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated and "exclude" in fields:
            fields["exclude"].queryset = Segment.objects.visible_to(request.user)
        return fields


class SegmentViewSet(RestrictedModelViewSet):
    serializer_class = SegmentSerializer

    @property
    def object_type(self):
        return get_object_type(Segment)

    @extend_schema(
        responses=inline_serializer("SegmentCount", {"count": serializers.IntegerField()})
    )
    @action(detail=True, methods=["get"])
    def count(self, request, pk=None):
        """How many customers the segment finds now, in your scope."""
        from ..actions.segments import segment_customers

        return Response({"count": segment_customers(self.get_object(), user=request.user).count()})


def register(router) -> None:
    router.register("segments", SegmentViewSet, basename="segment")
