"""Custom field definitions API: ``/api/customfields/`` (administrators)."""

from __future__ import annotations

from rest_framework import serializers

from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet

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

    def delete_options(self) -> dict:
        """``?clear_values=true`` confirms clearing the values records hold (audited)."""
        return {"clear_values": self.request.query_params.get("clear_values") in ("1", "true")}


def register(router) -> None:
    router.register("customfields", CustomFieldViewSet, basename="customfield")
