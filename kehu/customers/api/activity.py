"""Activities API: the same FilterSet, restricted queryset and actions as the pages."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet
from kehu.core.registry import get_object_type

from .. import actions
from ..models import ACTIVITY_FIELDS, OWNERSHIP_FIELDS, Activity, Contact, Customer
from .reassign import ReassignMixin


class ActivitySerializer(BaseModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    contacts = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Contact.objects.none(), required=False
    )

    class Meta:
        model = Activity
        fields = [
            "id",
            "customer_name",
            *ACTIVITY_FIELDS,
            *OWNERSHIP_FIELDS,
            "remind_at",
            "reminded_at",
            "completed_at",
            "created_at",
            "updated_at",
            "version",
        ]
        # Owner and department are set by the actions (mass-assignment guard).
        read_only_fields = [
            "owner",
            "department",
            "remind_at",
            "reminded_at",
            "completed_at",
            "created_at",
            "updated_at",
        ]

    def get_fields(self):
        """Activities are logged on customers the user may edit, with contacts they may see."""
        fields = super().get_fields()
        request = self.context.get("request")
        # Reads never use these querysets: only writes pay for the permission filters.
        if (
            request is not None
            and request.user.is_authenticated
            and request.method not in ("GET", "HEAD", "OPTIONS")
        ):
            if "customer" in fields:
                fields["customer"].queryset = Customer.objects.editable_by(request.user)
            if "contacts" in fields:
                fields["contacts"].child_relation.queryset = Contact.objects.visible_to(
                    request.user
                )
        return fields


class CompleteSerializer(serializers.Serializer):
    outcome = serializers.CharField(required=False, allow_blank=True)


class RescheduleSerializer(serializers.Serializer):
    start_at = serializers.DateTimeField()
    end_at = serializers.DateTimeField(required=False, allow_null=True)


@extend_schema_view(
    reassign=extend_schema(responses=ActivitySerializer),
    bulk_reassign=extend_schema(
        operation_id="activities_bulk_reassign",
        description="Give several activities to one employee, all or nothing.",
    ),
)
class ActivityViewSet(ReassignMixin, RestrictedModelViewSet):
    """Activities; errors from the actions answer 400 with field messages, stale versions 409."""

    serializer_class = ActivitySerializer
    object_serializer = ActivitySerializer

    @property
    def object_type(self):
        return get_object_type(Activity)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("contacts")

    def _editable(self):
        activity = self.get_object()
        self.check_object_permissions(self.request, activity)
        return activity

    @action(detail=True, methods=["post"], serializer_class=CompleteSerializer)
    def complete(self, request, pk=None):
        """Mark the activity done, optionally with its outcome."""
        activity = self._editable()
        body = CompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actions.complete_activity(activity=activity, outcome=body.validated_data.get("outcome", ""))
        return Response(ActivitySerializer(activity, context=self.get_serializer_context()).data)

    @action(detail=True, methods=["post"], serializer_class=RescheduleSerializer)
    def reschedule(self, request, pk=None):
        """Move a planned activity to another time (its reminder is re-armed)."""
        activity = self._editable()
        body = RescheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actions.reschedule_activity(
            activity=activity,
            start_at=body.validated_data["start_at"],
            end_at=body.validated_data.get("end_at"),
        )
        return Response(ActivitySerializer(activity, context=self.get_serializer_context()).data)

    def reassign_records(self, records, owner, user) -> int:
        return actions.reassign_activities(activities=records, owner=owner, user=user)


def register(router) -> None:
    router.register("activities", ActivityViewSet, basename="activity")
