"""The base API viewset: the same FilterSet and the same restricted queryset as the list pages.

Outside the view scope a record answers 404; inside view but outside edit, 403. An update
(PUT/PATCH) must say which version it is based on — ``version`` in the body or the ETag of
``GET`` in ``If-Match`` — or it answers 428; a stale ``version`` answers 409, a stale
``If-Match`` 412, with the reason in the user's language.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import permissions, serializers, viewsets

from .access_rules import access_rule, own
from .dates import add_date_validator
from .errors import StaleObjectError
from .models import SavedView


@extend_schema_field(
    {
        "type": "object",
        "description": (
            "Custom field values by field code (see /api/customfields/): text, a number, "
            "a date as YYYY-MM-DD, a choice code, a list of choice codes, or true/false. "
            "On update only the codes sent change; null or an empty value clears one."
        ),
        "additionalProperties": {
            "oneOf": [
                {"type": "string"},
                {"type": "number"},
                {"type": "boolean"},
                {"type": "array", "items": {"type": "string"}},
            ],
            "nullable": True,
        },
    }
)
class CustomValuesField(serializers.Field):
    """The record's ``custom`` values as an object, checked against the definitions; an
    invalid value answers 400 naming the field: ``{"custom": {"<code>": ["…"]}}``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("custom fields"))
        super().__init__(**kwargs)

    def to_representation(self, value):
        from .customfields import definitions

        value = value or {}
        model = self.parent.Meta.model
        return {d.code: value[d.code] for d in definitions(model) if d.code in value}

    def to_internal_value(self, data):
        from django.core.exceptions import ValidationError

        from .customfields import clean_custom_values

        instance = getattr(self.parent, "instance", None)
        try:
            return clean_custom_values(
                self.parent.Meta.model,
                data,
                existing=getattr(instance, "custom", None) or {},
                creating=instance is None,
            )
        except ValidationError as exc:
            raise serializers.ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            ) from None


def restrict_related(fields: dict, user) -> None:
    """A writable relation to an owned record (a customer, a deal, a contract …) accepts only
    records the user may see: an id outside the scope is refused exactly like one that does not
    exist. Data permissions stay in the restricted queryset; no serializer repeats them."""
    for field in fields.values():
        relation = getattr(field, "child_relation", field)
        queryset = getattr(relation, "queryset", None)
        if getattr(field, "read_only", False) or queryset is None:
            continue
        model = queryset.model
        if getattr(model, "owner_path", None) is None or not hasattr(model.objects, "visible_to"):
            continue
        relation.queryset = queryset.filter(pk__in=model.objects.visible_to(user).values("pk"))


class BaseModelSerializer(serializers.ModelSerializer):
    """Exposes ``version``: send back the one you read; a stale one is refused with 409.

    A model opted into custom fields gets a ``custom`` object (:class:`CustomValuesField`).
    """

    version = serializers.IntegerField(required=False)

    def get_fields(self):
        """Drop sensitive fields (cost, margin …) the requesting user may not see."""
        from .customfields import is_opted_in
        from .registry import find_object_type

        fields = super().get_fields()
        for field in fields.values():
            if isinstance(field, serializers.DateField | serializers.DateTimeField):
                add_date_validator(field)  # the sane range (core.dates), declared fields too
        if is_opted_in(self.Meta.model) and "custom" not in fields:
            fields["custom"] = CustomValuesField()
        request = self.context.get("request")
        ot = find_object_type(self.Meta.model)
        if ot is not None and request is not None and request.user.is_authenticated:
            for name in ot.hidden_for(request.user):
                fields.pop(name, None)
        if request is not None and request.user.is_authenticated:
            restrict_related(fields, request.user)
        return fields

    def update(self, instance, validated_data):
        version = validated_data.pop("version", None)
        if version is not None and version != instance.version:
            raise StaleObjectError(instance)
        return super().update(instance, validated_data)

    def validate(self, attrs):
        """On create without ``custom``: the defaults apply and required fields are checked."""
        from django.core.exceptions import ValidationError

        from .customfields import clean_custom_values, is_opted_in

        attrs = super().validate(attrs)
        if self.instance is None and is_opted_in(self.Meta.model) and "custom" not in attrs:
            try:
                attrs["custom"] = clean_custom_values(self.Meta.model, {}, creating=True)
            except ValidationError as exc:
                raise serializers.ValidationError({"custom": exc.message_dict}) from None
        return attrs

    def create(self, validated_data):
        validated_data.pop("version", None)
        return super().create(validated_data)


def etag(obj) -> str:
    """The ETag of a versioned record: its ``version``, quoted."""
    return f'"{obj.version}"'


def require_version(request, obj) -> None:
    """An update must name the version it is based on: without ``version`` in the body or an
    ``If-Match`` header it would silently overwrite what others saved (428). ``If-Match`` other
    than the current ETag answers 412; a stale body ``version`` is refused later with 409."""
    from .drf import PreconditionFailed, PreconditionRequired

    if not hasattr(obj, "version"):
        return
    if_match = request.headers.get("If-Match", "").strip()
    data = request.data
    in_body = hasattr(data, "get") and data.get("version") not in (None, "")
    if if_match:
        tags = {t.strip().removeprefix("W/") for t in if_match.split(",")}
        if etag(obj) not in tags:
            raise PreconditionFailed(
                _(
                    "This record was changed by someone else after you read it (If-Match does "
                    "not match its ETag). Read it again, then apply your changes."
                )
            )
    elif not in_body:
        raise PreconditionRequired(
            _(
                "Say which version you are changing: send the “version” you read, or its ETag "
                "in an If-Match header."
            )
        )


class RestrictedModelViewSet(viewsets.ModelViewSet):
    object_type = None

    def get_object(self):
        """Looked up once per request (``update`` checks the version on it first)."""
        if "_object" not in self.__dict__:
            self.__dict__["_object"] = super().get_object()
        return self.__dict__["_object"]

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        if hasattr(self.get_object(), "version"):
            response["ETag"] = etag(self.get_object())
        return response

    def update(self, request, *args, **kwargs):
        require_version(request, self.get_object())
        response = super().update(request, *args, **kwargs)
        if getattr(response, "data", None) and "version" in response.data:
            response["ETag"] = f'"{response.data["version"]}"'
        return response

    def get_queryset(self):
        ot = self.object_type
        return ot.model.objects.visible_to(self.request.user).select_related(*ot.api_select_related)

    @property
    def filterset_class(self):
        return self.object_type.filterset

    @property
    def ordering_fields(self):
        return [*self.object_type.sortable, "id"]

    def perform_create(self, serializer):
        """Through the type's create action (``core.saving``), as the edit page does."""
        data = dict(serializer.validated_data)
        data.pop("version", None)
        serializer.instance = self.object_type.actions.create(user=self.request.user, data=data)

    def perform_update(self, serializer):
        """Through the type's update action, based on the version the client sent."""
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        serializer.instance = self.object_type.actions.update(
            user=self.request.user, obj=serializer.instance, data=data, version=version
        )

    def delete_options(self) -> dict:
        """Extra keyword arguments of the type's delete action read from the request (a
        confirmation such as ``?clear_values=true``); none by default."""
        return {}

    def perform_destroy(self, instance):
        if not self.object_type.deletable:
            self.permission_denied(self.request, message=_("These records cannot be deleted."))
        self.object_type.actions.delete(
            user=self.request.user, obj=instance, **self.delete_options()
        )

    def check_object_permissions(self, request, obj):
        super().check_object_permissions(request, obj)
        if request.method not in permissions.SAFE_METHODS:
            model = self.object_type.model
            if not model.objects.editable_by(request.user).filter(pk=obj.pk).exists():
                self.permission_denied(
                    request, message=_("You may view but not change this record.")
                )


# --- Saved views --------------------------------------------------------------------------------


class SavedViewSerializer(serializers.ModelSerializer):
    """A saved list view: the user's own (writable) or one shared with everyone (read-only)."""

    owner = serializers.CharField(source="user.username", read_only=True)
    is_own = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = SavedView
        fields = [
            "id",
            "object_type",
            "name",
            "query",
            "is_default",
            "shared",
            "owner",
            "is_own",
            "url",
        ]
        read_only_fields = ["id", "owner", "is_own", "url"]

    def get_is_own(self, obj) -> bool:
        request = self.context.get("request")
        return request is not None and obj.user_id == request.user.pk

    def get_url(self, obj) -> str:
        return obj.get_absolute_url()


@access_rule(own("core.savedview"))
class SavedViewViewSet(viewsets.ModelViewSet):
    """``/api/saved-views/``: the requesting user's views and the shared ones
    (``?object_type=customers.customer`` narrows to one list). Only the owner changes a view."""

    serializer_class = SavedViewSerializer
    # Personal settings: any signed-in user; the queryset limits them to their own and shared.
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None
    filterset_class = None
    filter_backends: list = []

    def get_queryset(self):
        qs = SavedView.objects.available_to(self.request.user).select_related("user")
        label = self.request.query_params.get("object_type")
        return qs.filter(object_type=label) if label else qs

    def perform_create(self, serializer):
        from . import actions

        data = serializer.validated_data
        serializer.instance = actions.save_view(
            user=self.request.user,
            object_type=data.get("object_type", ""),
            name=data.get("name", ""),
            query=data.get("query", ""),
            is_default=data.get("is_default", False),
            shared=data.get("shared", False),
        )

    def perform_update(self, serializer):
        from . import actions

        data = serializer.validated_data
        serializer.instance = actions.update_view(
            view=serializer.instance,
            user=self.request.user,
            name=data.get("name"),
            is_default=data.get("is_default"),
            shared=data.get("shared"),
            query=data.get("query"),
        )

    def perform_destroy(self, instance):
        from . import actions

        actions.delete_view(view=instance, user=self.request.user)


def register(router) -> None:
    from .import_api import register as register_imports

    router.register("saved-views", SavedViewViewSet, basename="savedview")
    register_imports(router)
