"""The base API viewset: the same FilterSet and the same restricted queryset as the list pages.

Outside the view scope a record answers 404; inside view but outside edit, 403. A stale
``version`` in an update answers 409 with the reason in the user's language.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import permissions, serializers, viewsets

from .errors import StaleObjectError


class BaseModelSerializer(serializers.ModelSerializer):
    """Exposes ``version``: send back the one you read; a stale one is refused with 409."""

    version = serializers.IntegerField(required=False)

    def get_fields(self):
        """Drop sensitive fields (cost, margin …) the requesting user may not see."""
        from .registry import find_object_type

        fields = super().get_fields()
        request = self.context.get("request")
        ot = find_object_type(self.Meta.model)
        if ot is not None and request is not None and request.user.is_authenticated:
            for name in ot.hidden_for(request.user):
                fields.pop(name, None)
        return fields

    def update(self, instance, validated_data):
        version = validated_data.pop("version", None)
        if version is not None and version != instance.version:
            raise StaleObjectError(instance)
        return super().update(instance, validated_data)

    def create(self, validated_data):
        validated_data.pop("version", None)
        return super().create(validated_data)


class RestrictedModelViewSet(viewsets.ModelViewSet):
    object_type = None

    def get_queryset(self):
        ot = self.object_type
        return ot.model.objects.visible_to(self.request.user).select_related(*ot.api_select_related)

    @property
    def filterset_class(self):
        return self.object_type.filterset

    @property
    def ordering_fields(self):
        return [*self.object_type.sortable, "id"]

    def perform_destroy(self, instance):
        if not self.object_type.deletable:
            self.permission_denied(self.request, message=_("These records cannot be deleted."))
        from .actions import delete_record

        delete_record(obj=instance, user=self.request.user)

    def check_object_permissions(self, request, obj):
        super().check_object_permissions(request, obj)
        if request.method not in permissions.SAFE_METHODS:
            model = self.object_type.model
            if not model.objects.editable_by(request.user).filter(pk=obj.pk).exists():
                self.permission_denied(
                    request, message=_("You may view but not change this record.")
                )
