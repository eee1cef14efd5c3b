"""Approvals API: ``GET /api/approvals/`` lists the requests the caller asked for or must
(or did) decide (administrators: all), ``?status=``, ``?kind=`` and ``?waiting=true`` (those
waiting for the caller's decision) filter it; ``POST /api/approvals/{id}/approve/``,
``…/reject/`` (with an optional ``comment``) and ``…/withdraw/`` decide. Someone who may see the
request but not decide it gets 403; someone who may not see it 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.core.access_rules import LOGGED_IN, access_rule, record

from . import actions
from .models import ApprovalRequest, ApprovalStatus, ApprovalStep


class ApprovalStepSerializer(serializers.ModelSerializer):
    approver_name = serializers.CharField(source="approver.__str__", read_only=True)

    class Meta:
        model = ApprovalStep
        fields = ["step", "approver", "approver_name", "decision", "comment", "decided_at"]


class ApprovalRequestSerializer(serializers.ModelSerializer):
    record_type = serializers.SerializerMethodField()
    kind_label = serializers.CharField(read_only=True)
    steps = ApprovalStepSerializer(many=True, read_only=True)
    can_decide = serializers.SerializerMethodField()

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "kind",
            "kind_label",
            "summary",
            "data",
            "record_type",
            "object_id",
            "record_label",
            "requested_by",
            "status",
            "steps_total",
            "current_step",
            "created_at",
            "decided_at",
            "decided_by",
            "comment",
            "steps",
            "can_decide",
        ]
        read_only_fields = fields

    def get_record_type(self, obj) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model}"

    def get_can_decide(self, obj) -> bool:
        request = self.context.get("request")
        return bool(request) and actions.may_decide(obj, request.user)


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


@access_rule(LOGGED_IN)  # the list holds only what the caller asked for or must decide
class ApprovalRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = ApprovalRequestSerializer
    permission_classes = [permissions.IsAuthenticated]
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        user = self.request.user
        qs = ApprovalRequest.objects.visible_to(user)
        params = self.request.query_params
        if params.get("status") in ApprovalStatus.values:
            qs = qs.filter(status=params["status"])
        if params.get("kind"):
            qs = qs.filter(kind=params["kind"][:80])
        if params.get("waiting") in ("1", "true", "yes"):
            qs = qs.waiting_for(user)
        return qs.select_related("content_type").prefetch_related("steps__approver")

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=ApprovalStatus.values),
            OpenApiParameter("kind", OpenApiTypes.STR),
            OpenApiParameter("waiting", OpenApiTypes.BOOL),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @access_rule(record("system.approvalrequest"))
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    def _decide(self, request, decide, **extra):
        req = self.get_object()
        try:
            req = decide(request=req, user=request.user, **extra)
        except PermissionDenied as exc:
            self.permission_denied(request, message=str(exc) or None)
        req = self.get_queryset().get(pk=req.pk)
        return Response(self.get_serializer(req).data)

    def _comment(self, request) -> str:
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data["comment"]

    @extend_schema(request=DecisionSerializer, responses=ApprovalRequestSerializer)
    @access_rule(record("system.approvalrequest"))
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, actions.approve, comment=self._comment(request))

    @extend_schema(request=DecisionSerializer, responses=ApprovalRequestSerializer)
    @access_rule(record("system.approvalrequest"))
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, actions.reject, comment=self._comment(request))

    @extend_schema(request=None, responses=ApprovalRequestSerializer)
    @access_rule(record("system.approvalrequest"))
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._decide(request, actions.withdraw)


def register(router) -> None:
    router.register("approvals", ApprovalRequestViewSet, basename="approvalrequest")
