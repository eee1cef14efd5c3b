"""System set-up API: roles (/api/roles/) and record shares (/api/shares/)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied
from rest_framework.response import Response

from kehu.core.access_rules import access_rule, record
from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet
from kehu.core.drf import ModelPermission
from kehu.core.permissions import DataScope, SpecialPermission
from kehu.core.query import int_param
from kehu.core.registry import find_object_type, registry

from ..actions.roles import (
    permission_key,
    share_record,
    unshare_record,
    update_role_permissions,
)
from ..filters.roles import with_user_count
from ..models import Department, RecordShare, Role, User
from ..object_types.roles import ROLE


class ManageUsersPermission(ModelPermission):
    """The role model permission per method, plus the special permission "manage users"."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.has_perm(
            SpecialPermission.MANAGE_USERS
        )


class RoleSerializer(BaseModelSerializer):
    user_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Role
        fields = [
            "id",
            "name",
            "description",
            "default_view_scope",
            "default_edit_scope",
            "user_count",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = self.instance
        view = attrs.get("default_view_scope", instance.default_view_scope if instance else None)
        edit = attrs.get("default_edit_scope", instance.default_edit_scope if instance else None)
        if view and edit and DataScope.rank(edit) > DataScope.rank(view):
            raise serializers.ValidationError(
                {
                    "default_edit_scope": gettext_lazy(
                        "The edit scope cannot be wider than the view scope."
                    )
                }
            )
        return attrs


_SCOPES = [(c.value, c.label) for c in DataScope]


class ScopePairSerializer(serializers.Serializer):
    view = serializers.ChoiceField(choices=_SCOPES)
    edit = serializers.ChoiceField(choices=_SCOPES)


class RolePermissionsSerializer(serializers.Serializer):
    """Everything the role editor shows, as one document: read it, change it, write it back."""

    permissions = serializers.ListField(
        child=serializers.CharField(), help_text="Complete set of 'app.codename' permissions."
    )
    scopes = serializers.DictField(
        child=ScopePairSerializer(),
        help_text="Per-object-type data scopes; types left out use the role's defaults.",
    )
    default_view_scope = serializers.ChoiceField(choices=_SCOPES)
    default_edit_scope = serializers.ChoiceField(choices=_SCOPES)
    departments = serializers.ListField(child=serializers.IntegerField(), required=False)
    users = serializers.ListField(child=serializers.IntegerField(), required=False)
    version = serializers.IntegerField()


def role_permissions_document(role: Role) -> dict:
    return {
        "permissions": sorted(
            permission_key(p) for p in role.permissions.select_related("content_type")
        ),
        "scopes": {
            s.object_type: {"view": s.view_scope, "edit": s.edit_scope}
            for s in role.data_scopes.all()
        },
        "default_view_scope": role.default_view_scope,
        "default_edit_scope": role.default_edit_scope,
        "departments": sorted(role.departments.values_list("pk", flat=True)),
        "users": sorted(role.users.values_list("pk", flat=True)),
        "version": role.version,
    }


class RoleViewSet(RestrictedModelViewSet):
    """Roles: name, description and default scopes; ``/permissions/`` is the role editor's
    document (functional and special permissions, data scopes, holders)."""

    serializer_class = RoleSerializer
    permission_classes = [ManageUsersPermission]
    object_type = ROLE

    def get_queryset(self):
        return with_user_count(super().get_queryset())

    @extend_schema(methods=["GET"], responses=RolePermissionsSerializer, summary="Role permissions")
    @extend_schema(
        methods=["PUT"],
        request=RolePermissionsSerializer,
        responses=RolePermissionsSerializer,
        summary="Replace role permissions",
    )
    @action(detail=True, methods=["get", "put"], url_path="permissions")
    def role_permissions(self, request, pk=None):
        """Read or replace the role's permissions in one audited transaction; a stale
        ``version`` answers 409. Departments and users left out keep their current holders."""
        role = self.get_object()
        if request.method == "GET":
            return Response(role_permissions_document(role))
        if not request.user.has_perm(self.object_type.perm("change")):
            raise DRFPermissionDenied()
        body = RolePermissionsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        update_role_permissions(
            role=role,
            permissions=set(data["permissions"]),
            scopes={k: (v["view"], v["edit"]) for k, v in data["scopes"].items()},
            default_view=data["default_view_scope"],
            default_edit=data["default_edit_scope"],
            department_ids=data.get("departments", role.departments.values_list("pk", flat=True)),
            user_ids=data.get("users", role.users.values_list("pk", flat=True)),
            actor=request.user,
            version=data["version"],
        )
        role.refresh_from_db()
        return Response(role_permissions_document(role))


class ShareSerializer(serializers.ModelSerializer):
    object_type = serializers.CharField(write_only=True)
    type = serializers.SerializerMethodField()
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = RecordShare
        fields = ["id", "object_type", "type", "object_id", "user", "department", "can_edit"]

    def get_type(self, share) -> str:
        ct = ContentType.objects.get_for_id(share.content_type_id)
        return f"{ct.app_label}.{ct.model}"


def shared_record(user, label: str, object_id, *, access: str = "view"):
    """The record a share is about, found through the user's own functional and data rights."""
    ot = find_object_type(label or "")
    if ot is None or ot.model.owner_path is None:
        raise NotFound(_("Unknown object type."))
    if not user.has_perm(ot.perm(access)):
        raise DRFPermissionDenied()
    if not isinstance(object_id, int):
        object_id = int_param(object_id, name="object_id")
    obj = ot.model.objects.visible_to(user).filter(pk=object_id).first() if object_id else None
    if obj is None:
        raise NotFound()
    return obj


class MayShareSomething(permissions.IsAuthenticated):
    """Shares are about records of the owned object types: someone who may view none of them
    (no role) is refused before the request is read (403, not a validation message)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return super().has_permission(request, view) and any(
            user.has_perm(ot.perm("view")) for ot in registry.values() if ot.model.owner_path
        )


@access_rule(record("system.recordshare"))
class ShareViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Shares of one record: ``?object_type=customers.customer&object_id=5``.

    Listing needs the record to be visible; creating and deleting need it to be editable by the
    caller (``share_record`` / ``unshare_record`` check that again).
    """

    serializer_class = ShareSerializer
    queryset = RecordShare.objects.none()  # for the schema; get_queryset decides
    permission_classes = [MayShareSomething]
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            params = self.request.query_params
            obj = shared_record(user, params.get("object_type"), params.get("object_id"))
            ct = ContentType.objects.get_for_model(type(obj))
            return RecordShare.objects.filter(content_type=ct, object_id=obj.pk).order_by("pk")
        # Single shares: only those of records the caller can see (404 for the rest).
        share = (
            RecordShare.objects.filter(pk=self.kwargs.get("pk"))
            .select_related("content_type")
            .first()
        )
        if share is None or not self._visible(share):
            return RecordShare.objects.none()
        return RecordShare.objects.filter(pk=share.pk).select_related("content_type")

    def _visible(self, share) -> bool:
        model = share.content_type.model_class()
        ot = find_object_type(model) if model else None
        if ot is None or not self.request.user.has_perm(ot.perm("view")):
            return False
        return model.objects.visible_to(self.request.user).filter(pk=share.object_id).exists()

    def perform_create(self, serializer):
        data = serializer.validated_data
        obj = shared_record(
            self.request.user, data["object_type"], data["object_id"], access="change"
        )
        try:
            serializer.instance = share_record(
                obj=obj,
                user=data.get("user"),
                department=data.get("department"),
                can_edit=data.get("can_edit", False),
                actor=self.request.user,
            )
        except PermissionDenied as exc:
            raise DRFPermissionDenied(str(exc)) from exc

    def perform_destroy(self, instance):
        model = instance.content_type.model_class()
        ot = find_object_type(model)
        if ot is None or not self.request.user.has_perm(ot.perm("change")):
            raise DRFPermissionDenied()
        try:
            unshare_record(share=instance, actor=self.request.user)
        except PermissionDenied as exc:
            raise DRFPermissionDenied(str(exc)) from exc


def register(router) -> None:
    """Register this area's viewsets on the API router."""
    router.register("roles", RoleViewSet, basename="role")
    router.register("shares", ShareViewSet, basename="share")
