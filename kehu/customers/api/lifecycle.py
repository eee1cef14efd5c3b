"""Lifecycle and care API, through the same actions as the pages.

- ``GET /api/customer-lifecycle/`` customers per stage (visible ones);
  ``GET /api/customer-lifecycle/{customer id}/`` stage and history;
  ``POST …/{id}/override/`` {stage, reason}, ``POST …/{id}/clear/``, ``POST …/{id}/recompute/``;
  ``GET|PATCH /api/customer-lifecycle/rules/`` the thresholds (changing needs configure_lifecycle).
- ``GET /api/care-tasks/`` (``?status=&kind=&customer=``), ``GET /api/care-tasks/{id}/``,
  ``POST /api/care-tasks/{id}/done/`` and ``…/skip/`` {note, version}.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404  # a non-numeric id is a 404, not a 500
from rest_framework.response import Response

from kehu.core.access_rules import access_rule, record

from .. import actions
from ..models import CareTask, Customer, LifecycleChange, LifecycleSettings, LifecycleStage


class Perm(permissions.BasePermission):
    """A fixed model permission per method family (these endpoints have no own model list)."""

    def __init__(self, read: str, write: str):
        self.read, self.write = read, write

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        needed = self.read if request.method in permissions.SAFE_METHODS else self.write
        return request.user.has_perm(needed)


class LifecycleChangeSerializer(serializers.ModelSerializer):
    user = serializers.StringRelatedField()

    class Meta:
        model = LifecycleChange
        fields = [
            "id",
            "from_stage",
            "to_stage",
            "reason",
            "detail",
            "automatic",
            "user",
            "changed_at",
        ]


class CustomerLifecycleSerializer(serializers.ModelSerializer):
    history = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = ["id", "lifecycle_stage", "lifecycle_overridden", "lifecycle_since", "history"]

    def get_history(self, obj) -> list[dict]:
        rows = LifecycleChange.objects.filter(customer=obj).select_related("user")[:50]
        return LifecycleChangeSerializer(rows, many=True).data


class OverrideSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=LifecycleStage.choices)
    reason = serializers.CharField(max_length=500)


@access_rule(record("customers.customer", "customers.view_customer"))
class CustomerLifecycleViewSet(viewsets.GenericViewSet):
    serializer_class = CustomerLifecycleSerializer

    def get_permissions(self):
        return [Perm("customers.view_customer", "customers.change_customer")]

    def get_queryset(self):
        return Customer.objects.visible_to(self.request.user)

    def _editable(self, pk):
        customer = get_object_or_404(self.get_queryset(), pk=pk)
        if not Customer.objects.editable_by(self.request.user).filter(pk=pk).exists():
            raise PermissionDenied
        return customer

    @extend_schema(
        responses=inline_serializer(
            "LifecycleStageCount",
            {
                "stage": serializers.CharField(),
                "label": serializers.CharField(),
                "count": serializers.IntegerField(),
            },
            many=True,
        )
    )
    def list(self, request):
        return Response(
            [
                {"stage": s, "label": str(label), "count": n}
                for s, label, n in actions.stage_counts(request.user)
            ]
        )

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(get_object_or_404(self.get_queryset(), pk=pk)).data)

    @extend_schema(request=OverrideSerializer)
    @action(detail=True, methods=["post"])
    def override(self, request, pk=None):
        customer = self._editable(pk)
        if not request.user.has_perm("customers.override_lifecycle"):
            raise PermissionDenied
        data = OverrideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = actions.override_lifecycle_stage(
            customer=customer, user=request.user, **data.validated_data
        )
        return Response(self.get_serializer(customer).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def clear(self, request, pk=None):
        customer = self._editable(pk)
        if not request.user.has_perm("customers.override_lifecycle"):
            raise PermissionDenied
        customer = actions.clear_lifecycle_override(customer=customer, user=request.user)
        return Response(self.get_serializer(customer).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def recompute(self, request, pk=None):
        customer = actions.recompute_customer_lifecycle(
            customer=self._editable(pk), user=request.user
        )
        return Response(self.get_serializer(customer).data)

    @extend_schema(
        request=inline_serializer("LifecycleThresholds", {"thresholds": serializers.DictField()}),
        responses=inline_serializer(
            "LifecycleThresholdsOut",
            {"thresholds": serializers.DictField(), "version": serializers.IntegerField()},
        ),
    )
    @action(detail=False, methods=["get", "patch"])
    def rules(self, request):
        if request.method == "PATCH":
            if not request.user.has_perm("customers.configure_lifecycle"):
                raise PermissionDenied
            version = request.data.get("version")
            actions.save_lifecycle_thresholds(
                values=request.data.get("thresholds") or {},
                user=request.user,
                version=int(version) if version is not None else None,
            )
        row = LifecycleSettings.objects.filter(pk=1).first()
        return Response(
            {
                "thresholds": actions.get_lifecycle_thresholds(),
                "version": row.version if row else None,
            }
        )


class CareTaskSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    contact_name = serializers.CharField(source="contact.name", read_only=True, default=None)

    class Meta:
        model = CareTask
        fields = [
            "id",
            "customer",
            "customer_name",
            "contact",
            "contact_name",
            "kind",
            "title",
            "due_on",
            "status",
            "note",
            "owner",
            "version",
        ]
        read_only_fields = fields


class CloseSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    version = serializers.IntegerField(required=False)


@access_rule(record("customers.caretask", "customers.view_caretask"))
class CareTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CareTaskSerializer
    filterset_fields = ["status", "kind", "customer"]

    def get_permissions(self):
        return [Perm("customers.view_caretask", "customers.change_caretask")]

    def get_queryset(self):
        return CareTask.objects.visible_to(self.request.user).select_related("customer", "contact")

    def _close(self, request, pk, fn):
        task = get_object_or_404(self.get_queryset(), pk=pk)
        if not CareTask.objects.editable_by(request.user).filter(pk=pk).exists():
            raise PermissionDenied
        data = CloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task = fn(task=task, user=request.user, **data.validated_data)
        return Response(self.get_serializer(task).data)

    @extend_schema(request=CloseSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        return self._close(request, pk, actions.complete_care_task)

    @extend_schema(request=CloseSerializer)
    @action(detail=True, methods=["post"])
    def skip(self, request, pk=None):
        return self._close(request, pk, actions.skip_care_task)


def register(router) -> None:
    router.register("customer-lifecycle", CustomerLifecycleViewSet, basename="customer-lifecycle")
    router.register("care-tasks", CareTaskViewSet, basename="care-task")
