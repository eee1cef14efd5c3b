"""API of competitors, their product prices and intelligence notes (the same actions as the
pages), and a deal's competitors: ``GET/POST /opportunities/{id}/competitors/`` and
``POST /opportunities/{id}/competitors/{link}/remove/`` (a change of the deal)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet
from kehu.core.registry import get_object_type

from ..models import Competitor, CompetitorProduct, DealCompetitor, IntelligenceNote


class CompetitorSerializer(BaseModelSerializer):
    class Meta:
        model = Competitor
        fields = [
            "id",
            "name",
            "website",
            "strengths",
            "weaknesses",
            "notes",
            "active",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}  # the action reports a duplicate name


class CompetitorProductSerializer(BaseModelSerializer):
    class Meta:
        model = CompetitorProduct
        fields = [
            "id",
            "competitor",
            "name",
            "product",
            "price",
            "currency",
            "price_date",
            "notes",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"currency": {"required": False}}


class IntelligenceNoteSerializer(BaseModelSerializer):
    class Meta:
        model = IntelligenceNote
        fields = [
            "id",
            "title",
            "body",
            "date",
            "source",
            "competitor",
            "customer",
            "opportunity",
            "owner",
            "department",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["owner", "department", "created_at", "updated_at"]


class CompetitorViewSet(RestrictedModelViewSet):
    serializer_class = CompetitorSerializer

    @property
    def object_type(self):
        return get_object_type(Competitor)


class CompetitorProductViewSet(RestrictedModelViewSet):
    serializer_class = CompetitorProductSerializer

    @property
    def object_type(self):
        return get_object_type(CompetitorProduct)


class IntelligenceNoteViewSet(RestrictedModelViewSet):
    serializer_class = IntelligenceNoteSerializer

    @property
    def object_type(self):
        return get_object_type(IntelligenceNote)


# --- A deal's competitors (actions of the opportunity viewset) -----------------------------------


class DealCompetitorSerializer(serializers.ModelSerializer):
    competitor_name = serializers.CharField(source="competitor.name", read_only=True)

    class Meta:
        model = DealCompetitor
        fields = ["id", "competitor", "competitor_name", "offered_price", "status", "notes"]
        read_only_fields = fields


class DealCompetitorInputSerializer(serializers.Serializer):
    competitor = serializers.IntegerField(help_text="The id of an active competitor.")
    offered_price = serializers.DecimalField(
        max_digits=20, decimal_places=6, required=False, allow_null=True
    )
    status = serializers.ChoiceField(choices=DealCompetitor.Status.choices, required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=300)


def _links(deal) -> list:
    return DealCompetitorSerializer(
        deal.competitor_links.select_related("competitor").order_by("pk"), many=True
    ).data


class DealCompetitorsMixin:
    """Mixed into the opportunity viewset: its ``get_object`` applies the data scope."""

    @extend_schema(
        methods=["GET"],
        responses=DealCompetitorSerializer(many=True),
        summary="A deal's competitors",
    )
    @extend_schema(
        methods=["POST"],
        request=DealCompetitorInputSerializer,
        responses=DealCompetitorSerializer(many=True),
        summary="Add a competitor to a deal",
    )
    @action(detail=True, methods=["get", "post"], url_path="competitors", pagination_class=None)
    def deal_competitors(self, request, pk=None):
        from ..actions.competitors import add_deal_competitor

        deal = self.get_object()
        if request.method == "GET":
            return Response(_links(deal))
        self.check_object_permissions(request, deal)
        body = DealCompetitorInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        competitor = Competitor.objects.filter(pk=data.pop("competitor")).first()
        add_deal_competitor(opportunity=deal, user=request.user, competitor=competitor, **data)
        return Response(_links(deal), status=201)

    @extend_schema(request=None, responses=DealCompetitorSerializer(many=True))
    @action(
        detail=True,
        methods=["post"],
        url_path=r"competitors/(?P<line_pk>[0-9]+)/remove",
        pagination_class=None,
    )
    def remove_competitor(self, request, pk=None, line_pk=None):
        """Remove a competitor from a deal."""
        from ..actions.competitors import remove_deal_competitor

        deal = self.get_object()
        self.check_object_permissions(request, deal)
        link = get_object_or_404(DealCompetitor, pk=line_pk, opportunity=deal)
        remove_deal_competitor(link=link, user=request.user)
        return Response(_links(deal))


def register(router) -> None:
    router.register("competitors", CompetitorViewSet, basename="competitor")
    router.register("competitor-products", CompetitorProductViewSet, basename="competitorproduct")
    router.register("intelligence-notes", IntelligenceNoteViewSet, basename="intelligencenote")
