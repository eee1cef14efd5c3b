"""System set-up API: parameters (one object), holidays, dictionary entries."""

from __future__ import annotations

from rest_framework import permissions, serializers, viewsets
from rest_framework.response import Response

from kehu.core.access_rules import access_rule, perm
from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet

from .. import actions
from ..models import DictionaryItem, Holiday, SystemParameters
from ..object_types.params import DICTIONARY_ITEM, HOLIDAY
from ..params import load_parameters


class ParametersSerializer(BaseModelSerializer):
    logo = serializers.FileField(read_only=True)

    class Meta:
        model = SystemParameters
        fields = [*actions.PARAMETER_FIELDS, "updated_at", "version"]
        read_only_fields = ["logo", "updated_at"]


class ParametersPermission(permissions.BasePermission):
    """Reading needs ``view_systemparameters``; changing needs ``change_systemparameters``."""

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return user.has_perm("system.view_systemparameters")
        return user.has_perm("system.change_systemparameters")


@access_rule(perm("system.view_systemparameters"))
class ParametersViewSet(viewsets.GenericViewSet):
    """``GET /api/parameters/`` reads and ``PATCH /api/parameters/`` changes the one object.

    Send back the ``version`` you read: a stale one answers 409.
    """

    serializer_class = ParametersSerializer
    permission_classes = [ParametersPermission]
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return SystemParameters.objects.filter(pk=1)

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        # The router maps only GET/POST on a list route; this single object also takes PATCH.
        if actions and actions.get("get") == "list":
            actions = {"get": "list", "patch": "change"}
        return super().as_view(actions, **initkwargs)

    def list(self, request, *args, **kwargs):
        return Response(self.get_serializer(load_parameters()).data)

    def change(self, request, *args, **kwargs):
        # Not named partial_update: the router would add a /parameters/{id}/ route for it.
        serializer = self.get_serializer(load_parameters(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        params = actions.update_parameters(user=request.user, version=version, **data)
        return Response(self.get_serializer(params).data)


class HolidaySerializer(BaseModelSerializer):
    class Meta:
        model = Holiday
        fields = ["id", "date", "kind", "name", "created_at", "updated_at", "version"]
        read_only_fields = ["created_at", "updated_at"]


class DictionaryItemSerializer(BaseModelSerializer):
    class Meta:
        model = DictionaryItem
        fields = [
            "id",
            "dictionary",
            "code",
            "label_zh",
            "label_en",
            "order",
            "color",
            "is_active",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]


class HolidayViewSet(RestrictedModelViewSet):
    serializer_class = HolidaySerializer
    object_type = HOLIDAY


class DictionaryItemViewSet(RestrictedModelViewSet):
    serializer_class = DictionaryItemSerializer
    object_type = DICTIONARY_ITEM


def register(router) -> None:
    """Register this area's viewsets on the API router."""
    router.register("parameters", ParametersViewSet, basename="parameters")
    router.register("holidays", HolidayViewSet, basename="holiday")
    router.register("dictionaryitems", DictionaryItemViewSet, basename="dictionaryitem")
