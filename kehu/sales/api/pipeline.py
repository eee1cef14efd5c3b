"""API of the pipeline area: pipelines, stages and opportunities (through the same actions as
the pages), and ``POST /opportunities/{id}/move/`` for a stage change."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet
from kehu.core.registry import get_object_type

from ..models import Competitor, Opportunity, Pipeline, Stage
from .competitors import DealCompetitorsMixin
from .opportunity_lines import DealLinesMixin


class PipelineSerializer(BaseModelSerializer):
    class Meta:
        model = Pipeline
        fields = ["id", "name", "is_default", "active", "position", "version"]


class StageSerializer(BaseModelSerializer):
    class Meta:
        model = Stage
        fields = [
            "id",
            "pipeline",
            "name",
            "position",
            "kind",
            "probability",
            "stalled_after_days",
            "version",
        ]


class OpportunitySerializer(BaseModelSerializer):
    class Meta:
        model = Opportunity
        fields = [
            "id",
            "number",
            "name",
            "customer",
            "contact",
            "pipeline",
            "stage",
            "status",
            "amount",
            "currency",
            "probability",
            "expected_close",
            "source",
            "next_step",
            "competitors",
            "lost_reason",
            "description",
            "stage_changed_at",
            "closed_at",
            "owner",
            "department",
            "created_at",
            "updated_at",
            "version",
        ]
        # Owner and department are set by the action (mass-assignment guard); status and the
        # stage dates follow the stage.
        read_only_fields = [
            "status",
            "stage_changed_at",
            "closed_at",
            "owner",
            "department",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "number": {"required": False, "validators": []},
            "pipeline": {"required": False},
            "stage": {"required": False},
        }

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            from kehu.customers.models import Contact, Customer

            if "customer" in fields:
                fields["customer"].queryset = Customer.objects.visible_to(request.user)
            if "contact" in fields:
                fields["contact"].queryset = Contact.objects.visible_to(request.user)
        return fields


class MoveSerializer(serializers.Serializer):
    stage = serializers.IntegerField(help_text="The id of a stage of the deal's pipeline.")
    lost_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Required for a lost stage."
    )
    lost_to = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="A lost stage: the id of the competitor the deal was lost to (optional).",
    )
    version = serializers.IntegerField(
        required=False, help_text="The version you read (refused if the deal changed since)."
    )


class PipelineViewSet(RestrictedModelViewSet):
    serializer_class = PipelineSerializer

    @property
    def object_type(self):
        return get_object_type(Pipeline)


class StageViewSet(RestrictedModelViewSet):
    serializer_class = StageSerializer

    @property
    def object_type(self):
        return get_object_type(Stage)


class OpportunityViewSet(DealLinesMixin, DealCompetitorsMixin, RestrictedModelViewSet):
    serializer_class = OpportunitySerializer

    @property
    def object_type(self):
        return get_object_type(Opportunity)

    @extend_schema(request=MoveSerializer, responses=OpportunitySerializer)
    @action(detail=True, methods=["post"], serializer_class=MoveSerializer)
    def move(self, request, pk=None):
        """Move the deal to another stage of its pipeline (audited, recorded in its stage
        history); a lost stage needs ``lost_reason``."""
        from ..actions.pipeline import move_stage

        deal = self.get_object()
        self.check_object_permissions(request, deal)
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        stage = Stage.objects.filter(pk=body.validated_data["stage"]).first()
        if stage is None:
            raise serializers.ValidationError({"stage": ["Unknown stage."]})
        lost_to = None
        if body.validated_data.get("lost_to") is not None:
            lost_to = Competitor.objects.filter(pk=body.validated_data["lost_to"]).first()
            if lost_to is None:
                raise serializers.ValidationError({"lost_to": ["Unknown competitor."]})
        deal = move_stage(
            user=request.user,
            opportunity=deal,
            stage=stage,
            lost_reason=body.validated_data.get("lost_reason", ""),
            lost_to=lost_to,
            version=body.validated_data.get("version"),
        )
        return Response(OpportunitySerializer(deal, context=self.get_serializer_context()).data)


def register(router) -> None:
    router.register("pipelines", PipelineViewSet, basename="pipeline")
    router.register("stages", StageViewSet, basename="stage")
    router.register("opportunities", OpportunityViewSet, basename="opportunity")
