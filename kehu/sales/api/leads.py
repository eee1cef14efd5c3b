"""Leads API: leads (with conversion and reassignment) and the lead settings, through the same
actions as the pages."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.core.access_rules import access_rule, record
from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet
from kehu.core.registry import get_object_type
from kehu.customers.api.reassign import ReassignMixin

from ..models.leads import (
    LEAD_FIELDS,
    Lead,
    LeadAssignmentRule,
    LeadScoringRule,
    WebForm,
)


def _code(name: str):
    """A dictionary code, checked by the action's full_clean (a 400 naming the field)."""
    return serializers.CharField(
        label=Lead._meta.get_field(name).verbose_name,
        max_length=60,
        required=False,
        allow_blank=True,
    )


class LeadSerializer(BaseModelSerializer):
    industry = _code("industry")
    source = _code("source")

    class Meta:
        model = Lead
        fields = [
            "id",
            *LEAD_FIELDS,
            "score",
            "owner",
            "department",
            "web_form",
            "last_contacted_at",
            "converted_customer",
            "converted_contact",
            "converted_opportunity",
            "converted_at",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = [
            "score",
            "owner",
            "department",
            "web_form",
            "last_contacted_at",
            "converted_customer",
            "converted_contact",
            "converted_opportunity",
            "converted_at",
            "created_at",
            "updated_at",
        ]


class ConvertSerializer(serializers.Serializer):
    customer = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**31 - 1,
        help_text="An existing customer (that the caller may see) to attach the lead to; "
        "empty: a new customer is created from the lead.",
    )
    create_opportunity = serializers.BooleanField(default=True)
    opportunity_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    amount = serializers.DecimalField(
        required=False, allow_null=True, max_digits=18, decimal_places=2, min_value=0
    )
    expected_close = serializers.DateField(required=False, allow_null=True)


@extend_schema_view(
    reassign=extend_schema(responses=LeadSerializer, description="Give the lead to a colleague."),
    bulk_reassign=extend_schema(
        operation_id="leads_bulk_reassign",
        description="Give several leads to one colleague, all or nothing.",
    ),
)
class LeadViewSet(ReassignMixin, RestrictedModelViewSet):
    serializer_class = LeadSerializer
    object_serializer = LeadSerializer

    @property
    def object_type(self):
        return get_object_type(Lead)

    def reassign_records(self, records, owner, user) -> int:
        from ..actions.leads import assign_leads

        return assign_leads(leads=records, owner=owner, user=user)

    @extend_schema(request=ConvertSerializer, responses=LeadSerializer)
    @access_rule(record("sales.lead", "sales.change_lead"))
    @action(detail=True, methods=["post"], serializer_class=ConvertSerializer)
    def convert(self, request, pk=None):
        """Convert the lead into a customer (new or existing) + contact + opportunity at once;
        a converted lead answers 400."""
        from django.core.exceptions import PermissionDenied
        from rest_framework.exceptions import PermissionDenied as DrfPermissionDenied
        from rest_framework.exceptions import ValidationError as DrfValidationError

        from kehu.customers.models import Customer

        from ..actions.leads import convert_lead

        lead = self.get_object()
        if not request.user.has_perm("sales.change_lead") or not (
            Lead.objects.editable_by(request.user).filter(pk=lead.pk).exists()
        ):
            raise DrfPermissionDenied
        body = ConvertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        customer = None
        if data.get("customer"):
            customer = Customer.objects.visible_to(request.user).filter(pk=data["customer"]).first()
            if customer is None:
                raise DrfValidationError({"customer": ["Choose a customer you may see."]})
        try:
            with transaction.atomic():
                lead = convert_lead(
                    lead=lead,
                    user=request.user,
                    customer=customer,
                    create_opportunity=data.get("create_opportunity", True),
                    opportunity_name=data.get("opportunity_name") or "",
                    amount=data.get("amount"),
                    expected_close=data.get("expected_close"),
                )
        except PermissionDenied as exc:
            raise DrfPermissionDenied(str(exc)) from exc
        return Response(LeadSerializer(lead, context=self.get_serializer_context()).data)


class WebFormSerializer(BaseModelSerializer):
    source = serializers.CharField(max_length=50, required=False)

    class Meta:
        model = WebForm
        fields = [
            "id",
            "name",
            "key",
            "active",
            "title",
            "intro",
            "thank_you",
            "source",
            "campaign",
            "fallback_owner",
            "version",
        ]
        read_only_fields = ["key"]


class WebFormViewSet(RestrictedModelViewSet):
    serializer_class = WebFormSerializer

    @property
    def object_type(self):
        return get_object_type(WebForm)


class LeadScoringRuleSerializer(BaseModelSerializer):
    class Meta:
        model = LeadScoringRule
        fields = ["id", "name", "field", "condition", "value", "points", "active", "version"]


class LeadScoringRuleViewSet(RestrictedModelViewSet):
    serializer_class = LeadScoringRuleSerializer

    @property
    def object_type(self):
        return get_object_type(LeadScoringRule)


class LeadAssignmentRuleSerializer(BaseModelSerializer):
    class Meta:
        model = LeadAssignmentRule
        fields = [
            "id",
            "name",
            "position",
            "active",
            "match_field",
            "match_values",
            "method",
            "department",
            "members",
            "version",
        ]


class LeadAssignmentRuleViewSet(RestrictedModelViewSet):
    serializer_class = LeadAssignmentRuleSerializer

    @property
    def object_type(self):
        return get_object_type(LeadAssignmentRule)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("members")


def register(router) -> None:
    router.register("leads", LeadViewSet, basename="lead")
    router.register("webforms", WebFormViewSet, basename="webform")
    router.register("leadscoringrules", LeadScoringRuleViewSet, basename="leadscoringrule")
    router.register("leadassignmentrules", LeadAssignmentRuleViewSet, basename="leadassignmentrule")
