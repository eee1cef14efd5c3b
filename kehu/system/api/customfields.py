"""Custom field definitions API: ``/api/customfields/`` (administrators)."""

from __future__ import annotations

from rest_framework import serializers

from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet

from .. import actions
from ..models import CustomField
from ..object_types.customfields import CUSTOM_FIELD


class ChoiceSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=50)
    label_zh = serializers.CharField(max_length=100)
    label_en = serializers.CharField(max_length=100, required=False, allow_blank=True)


class CustomFieldSerializer(BaseModelSerializer):
    object_type = serializers.CharField(max_length=60)
    choices = ChoiceSerializer(many=True, required=False)
    default = serializers.JSONField(required=False, allow_null=True)

    class Meta:
        model = CustomField
        fields = [
            "id",
            "object_type",
            "code",
            "label_zh",
            "label_en",
            "kind",
            "choices",
            "required",
            "default",
            "help_text",
            "min_value",
            "max_value",
            "order",
            "is_active",
            "show_in_list",
            "filterable",
            "searchable",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"order": {"required": False}}


class CustomFieldViewSet(RestrictedModelViewSet):
    """Definitions; writes go through the actions (checks, audit, cache). Deleting a definition
    whose values are still on records answers 400 unless ``?clear_values=true`` confirms
    clearing them; deactivating (``is_active: false``) keeps them instead."""

    serializer_class = CustomFieldSerializer
    object_type = CUSTOM_FIELD

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        serializer.instance = actions.save_custom_field(
            field=CustomField(**data), user=self.request.user
        )

    def perform_update(self, serializer):
        instance = serializer.instance
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        if version is not None:
            instance.version = version
        for key, value in data.items():
            setattr(instance, key, value)
        actions.save_custom_field(field=instance, user=self.request.user)

    def perform_destroy(self, instance):
        """``?clear_values=true`` confirms clearing the values records hold (audited)."""
        actions.delete_custom_field(
            field=instance,
            user=self.request.user,
            clear_values=self.request.query_params.get("clear_values") in ("1", "true"),
        )


def register(router) -> None:
    router.register("customfields", CustomFieldViewSet, basename="customfield")
