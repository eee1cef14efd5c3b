"""Handover API: ``POST /api/handover/preview/`` says what would move, ``POST /api/handover/``
moves it (all or nothing). Both need ``view_user`` and ``manage_users``, or ``hand_over_books``
within the caller's data scope (403 outside it)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.core.access_rules import access_rule, special
from kehu.core.permissions import SpecialPermission

from .. import actions
from ..models import User
from ..views.handover import check_handover_people, may_hand_over


class MayHandOver(permissions.BasePermission):
    message = _(
        "Handing records over requires the “Manage users” or the “Hand over the books of "
        "employees in their data scope” permission."
    )

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and may_hand_over(request.user))


class HandoverRequestSerializer(serializers.Serializer):
    employee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    handover_to = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True)
    split = serializers.ChoiceField(
        choices=actions.Split.choices, default=actions.Split.ROUND_ROBIN
    )
    level_map = serializers.DictField(child=serializers.IntegerField(), required=False)


class HandoverResultSerializer(serializers.Serializer):
    received = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="colleague id → {handover name: records}",
    )


@access_rule(special(SpecialPermission.HAND_OVER, alternatives=[SpecialPermission.MANAGE_USERS]))
class HandoverViewSet(viewsets.ViewSet):
    """Reassign everything an employee owns to colleagues (see docs/guide/lifecycle-and-care.md)."""

    permission_classes = [MayHandOver]
    serializer_class = HandoverRequestSerializer

    def _args(self, request) -> dict:
        data = HandoverRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        check_handover_people(request.user, v["employee"], list(v["handover_to"]))
        return {
            "employee": v["employee"],
            "colleagues": list(v["handover_to"]),
            "split": v["split"],
            "level_map": v.get("level_map") or {},
        }

    @extend_schema(request=HandoverRequestSerializer, responses=HandoverResultSerializer)
    def create(self, request):
        received = actions.hand_over(**self._args(request))
        return Response({"received": {str(pk): got for pk, got in received.items()}})

    @extend_schema(request=HandoverRequestSerializer, responses=HandoverResultSerializer)
    @action(detail=False, methods=["post"])
    def preview(self, request):
        args = self._args(request)
        plan = actions.plan_handover(**args)
        rows = actions.preview_handover(plan)
        received: dict[str, dict[str, int]] = {}
        for row in rows:
            for person, n in zip(plan.colleagues, row["per_colleague"], strict=True):
                if n:
                    received.setdefault(str(person.pk), {})[row["handover"].name] = n
        return Response(
            {
                "owned": {row["handover"].name: row["count"] for row in rows},
                "received": received,
            }
        )


def register(router) -> None:
    router.register("handover", HandoverViewSet, basename="handover")
