"""Owner changes by hand through the API, one record or many, for any viewset whose
``reassign_records(records, owner, user)`` calls the model's action."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response


class ReassignSerializer(serializers.Serializer):
    owner = serializers.IntegerField(help_text="The new owner's user id.")


class BulkReassignSerializer(ReassignSerializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(), min_length=1, max_length=1000, help_text="Record ids."
    )


class ReassignResultSerializer(serializers.Serializer):
    moved = serializers.IntegerField()


def new_owner(user_id: int):
    from kehu.system.models import User

    return User.objects.filter(pk=user_id).first()


class ReassignMixin:
    """``POST …/{id}/reassign/`` answers the record; ``POST …/reassign/`` moves several, all or
    nothing — 404 when one is not visible, 403 when one may not be edited, 400 when the owner
    may not be assigned to. Subclasses name the bulk operation with ``extend_schema_view``."""

    def reassign_records(self, records, owner, user) -> int:
        raise NotImplementedError

    @extend_schema(request=ReassignSerializer)
    @action(detail=True, methods=["post"], serializer_class=ReassignSerializer)
    def reassign(self, request, pk=None):
        """Give the record to another active employee the caller may assign to."""
        record = self.get_object()
        self.check_object_permissions(request, record)
        body = ReassignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        self.reassign_records([record], new_owner(body.validated_data["owner"]), request.user)
        record.refresh_from_db()
        return Response(self.object_serializer(record, context=self.get_serializer_context()).data)

    @extend_schema(request=BulkReassignSerializer, responses=ReassignResultSerializer)
    @action(
        detail=False, methods=["post"], url_path="reassign", serializer_class=BulkReassignSerializer
    )
    def bulk_reassign(self, request):
        body = BulkReassignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = set(body.validated_data["ids"])
        model = self.object_type.model
        found = list(model.objects.visible_to(request.user).filter(pk__in=ids).only("pk"))
        if len(found) != len(ids):
            raise Http404
        moved = self.reassign_records(found, new_owner(body.validated_data["owner"]), request.user)
        return Response({"moved": moved})
