"""API of campaigns and plans (through the same actions as the pages), a campaign's members
(``GET/POST /campaigns/{id}/members/``) and its return (``GET /campaigns/{id}/roi/``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet
from kehu.core.registry import get_object_type
from kehu.customers.models import Contact, Customer

from ..models import Campaign, CampaignMember, MarketingPlan


class CampaignSerializer(BaseModelSerializer):
    class Meta:
        model = Campaign
        fields = [
            "id",
            "number",
            "name",
            "kind",
            "channel",
            "status",
            "start_date",
            "end_date",
            "budget",
            "actual_cost",
            "expected_revenue",
            "plan",
            "description",
            "owner",
            "department",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = [
            "number",
            "actual_cost",
            "owner",
            "department",
            "created_at",
            "updated_at",
        ]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated and "plan" in fields:
            fields["plan"].queryset = MarketingPlan.objects.visible_to(request.user)
        return fields


class MarketingPlanSerializer(BaseModelSerializer):
    class Meta:
        model = MarketingPlan
        fields = [
            "id",
            "name",
            "start_date",
            "end_date",
            "goal",
            "budget",
            "revenue_goal",
            "lead_goal",
            "owner",
            "department",
            "version",
        ]
        read_only_fields = ["owner", "department"]


class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = CampaignMember
        fields = [
            "id",
            "customer",
            "contact",
            "lead_id",
            "name",
            "email",
            "status",
            "response",
            "responded_at",
        ]
        read_only_fields = fields


class AddMembersSerializer(serializers.Serializer):
    customers = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=5000
    )
    contacts = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=5000
    )


class ReturnSerializer(serializers.Serializer):
    cost = serializers.DecimalField(max_digits=20, decimal_places=2)
    members = serializers.IntegerField()
    responses = serializers.IntegerField()
    leads = serializers.IntegerField()
    converted_leads = serializers.IntegerField()
    first_touch = serializers.DecimalField(max_digits=20, decimal_places=2)
    last_touch = serializers.DecimalField(max_digits=20, decimal_places=2)
    first_deals = serializers.IntegerField()
    last_deals = serializers.IntegerField()


class CampaignViewSet(RestrictedModelViewSet):
    serializer_class = CampaignSerializer

    @property
    def object_type(self):
        return get_object_type(Campaign)

    @extend_schema(methods=["GET"], responses=MemberSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=AddMembersSerializer, responses={201: AddMembersSerializer}
    )
    @action(detail=True, methods=["get", "post"], url_path="members")
    def members(self, request, pk=None):
        """The campaign's members (paginated), or add customers and contacts you may see."""
        from ..actions.campaigns import add_members

        campaign = self.get_object()
        if request.method == "GET":
            qs = campaign.members.order_by("pk")
            page = self.paginate_queryset(qs)
            data = MemberSerializer(page if page is not None else qs, many=True).data
            return self.get_paginated_response(data) if page is not None else Response(data)
        self.check_object_permissions(request, campaign)
        body = AddMembersSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = request.user
        added = add_members(
            campaign=campaign,
            user=user,
            customers=Customer.objects.visible_to(user).filter(
                pk__in=body.validated_data.get("customers", [])
            ),
            contacts=Contact.objects.visible_to(user).filter(
                pk__in=body.validated_data.get("contacts", [])
            ),
        )
        return Response({"added": added}, status=201)

    @extend_schema(responses=ReturnSerializer)
    @action(detail=True, methods=["get"], url_path="roi")
    def roi(self, request, pk=None):
        """Cost, responses, leads and won revenue attributed first- and last-touch."""
        from ..roi import campaign_returns

        result = campaign_returns([self.get_object()], user=request.user)[0]
        return Response(ReturnSerializer(result).data)


class MarketingPlanViewSet(RestrictedModelViewSet):
    serializer_class = MarketingPlanSerializer

    @property
    def object_type(self):
        return get_object_type(MarketingPlan)


def register(router) -> None:
    router.register("campaigns", CampaignViewSet, basename="campaign")
    router.register("marketing-plans", MarketingPlanViewSet, basename="marketingplan")
