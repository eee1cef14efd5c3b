"""API of service requests, contracts, installed goods, SLA policies and agent profiles (the same
FilterSets, restricted querysets and actions as the pages), and the telephony screen-pop
endpoint. Rule violations answer 400 with the reason."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.core.access_rules import access_rule, perm
from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet
from kehu.core.registry import get_object_type

from ..actions import requests as acts
from ..actions.console import find_callers, normalise_number
from ..actions.routing import reassign_request
from ..models import AgentProfile, InstalledProduct, ServiceContract, ServiceRequest, SlaPolicy


def _code(model, name: str, **kw):
    """A dictionary code: checked against the dictionary by the action (full_clean, a 400 naming
    the field); declared plainly so the schema never reads the dictionaries."""
    return serializers.CharField(
        label=model._meta.get_field(name).verbose_name, max_length=30, allow_blank=True, **kw
    )


READ_ONLY_REQUEST = [
    "number",
    "status",
    "resolution",
    "agent",
    "routing_reason",
    "entitlement",
    "entitlement_note",
    "contract",
    "installed_product",
    "service_level",
    "response_target",
    "resolution_target",
    "first_response_due",
    "resolution_due",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "paused_at",
    "paused_minutes",
    "response_met",
    "resolution_met",
    "escalated_at",
    "unknown_sender",
    "created_at",
    "owner",
    "department",
]


class ServiceRequestSerializer(BaseModelSerializer):
    category = _code(ServiceRequest, "category", required=False)
    service_level = _code(ServiceRequest, "service_level", read_only=True)

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "customer",
            "contact",
            "channel",
            "type",
            "category",
            "priority",
            "product",
            "serial_number",
            "subject",
            "description",
            *READ_ONLY_REQUEST,
            "version",
        ]
        read_only_fields = READ_ONLY_REQUEST
        # empty only on a request opened by an e-mail from an unknown sender: a write chooses it
        extra_kwargs = {"customer": {"required": True}}


class ServiceMoveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ServiceRequest.Status.choices)
    resolution = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ServiceReassignSerializer(serializers.Serializer):
    agent = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class ServiceRequestViewSet(RestrictedModelViewSet):
    """Service requests. Creating one checks the entitlement (contract or warranty), sets the
    priority and SLA due times and routes it to an agent (``routing_reason`` says why).
    ``POST …/{id}/move/`` moves the status (resolving or closing needs ``resolution``, else
    400); ``POST …/{id}/reassign/`` overrides the routing (needs the reassign permission)."""

    serializer_class = ServiceRequestSerializer

    @property
    def object_type(self):
        return get_object_type(ServiceRequest)

    def _respond(self, req):
        req = self.get_queryset().get(pk=req.pk)
        return Response(ServiceRequestSerializer(req, context=self.get_serializer_context()).data)

    @extend_schema(request=ServiceMoveSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"], serializer_class=ServiceMoveSerializer)
    def move(self, request, pk=None):
        """Move the request to another status."""
        req = self.get_object()
        self.check_object_permissions(request, req)
        body = ServiceMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        req = acts.move_request(
            req,
            body.validated_data["status"],
            user=request.user,
            resolution=body.validated_data.get("resolution", ""),
        )
        return self._respond(req)

    @extend_schema(request=ServiceReassignSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"], serializer_class=ServiceReassignSerializer)
    def reassign(self, request, pk=None):
        """Give the request to another agent (audited; the reason names who chose)."""
        from kehu.system.models import User

        req = self.get_object()
        if not request.user.has_perm("service.reassign_servicerequest"):
            raise PermissionDenied
        body = ServiceReassignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        agent = User.objects.filter(pk=body.validated_data["agent"]).first()
        req = reassign_request(
            req, user=request.user, agent=agent, note=body.validated_data.get("note", "")
        )
        return self._respond(req)


class ServiceContractSerializer(BaseModelSerializer):
    level = _code(ServiceContract, "level")

    class Meta:
        model = ServiceContract
        fields = [
            "id",
            "number",
            "customer",
            "level",
            "start_date",
            "end_date",
            "products",
            "notes",
            "owner",
            "department",
            "version",
        ]
        read_only_fields = ["number", "owner", "department"]


class ServiceContractViewSet(RestrictedModelViewSet):
    serializer_class = ServiceContractSerializer

    @property
    def object_type(self):
        return get_object_type(ServiceContract)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("products")


class InstalledProductSerializer(BaseModelSerializer):
    class Meta:
        model = InstalledProduct
        fields = [
            "id",
            "customer",
            "product",
            "serial_number",
            "installed_on",
            "warranty_end",
            "notes",
            "owner",
            "department",
            "version",
        ]
        read_only_fields = ["owner", "department"]


class InstalledProductViewSet(RestrictedModelViewSet):
    serializer_class = InstalledProductSerializer

    @property
    def object_type(self):
        return get_object_type(InstalledProduct)


class SlaPolicySerializer(BaseModelSerializer):
    level = _code(SlaPolicy, "level", required=False)

    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "name",
            "level",
            "priority",
            "response_hours",
            "resolution_hours",
            "warn_percent",
            "is_active",
            "version",
        ]


class SlaPolicyViewSet(RestrictedModelViewSet):
    serializer_class = SlaPolicySerializer

    @property
    def object_type(self):
        return get_object_type(SlaPolicy)


class AgentProfileSerializer(BaseModelSerializer):
    class Meta:
        model = AgentProfile
        fields = [
            "id",
            "user",
            "categories",
            "products",
            "languages",
            "level",
            "availability",
            "max_load",
            "version",
        ]


class AgentProfileViewSet(RestrictedModelViewSet):
    serializer_class = AgentProfileSerializer

    @property
    def object_type(self):
        return get_object_type(AgentProfile)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("products")


# --- Telephony screen pop ---------------------------------------------------------------------


class MayTakeCalls(permissions.BasePermission):
    message = _("Taking calls requires the permission to add service requests.")

    def has_permission(self, request, view):
        return bool(
            request.user
            and request.user.is_authenticated
            and request.user.has_perm("service.add_servicerequest")
        )


class CallerRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.CharField()
    priority = serializers.CharField()
    url = serializers.CharField()


class CallerSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    name = serializers.CharField()
    contact = serializers.CharField(allow_null=True)
    url = serializers.CharField()
    open_requests = CallerRequestSerializer(many=True)


class ScreenPopSerializer(serializers.Serializer):
    number = serializers.CharField()
    console_url = serializers.CharField()
    callers = CallerSerializer(many=True)


@access_rule(perm("service.add_servicerequest"))
class CallLookupViewSet(viewsets.ViewSet):
    """For a telephony system (an API token of a call-centre user): ``GET
    /api/service-calls/?number=…`` answers the customers with that number the token's user may
    see, with their open requests, and the console address to pop. 400 for a number that is
    not one."""

    permission_classes = [MayTakeCalls]
    serializer_class = ScreenPopSerializer

    @extend_schema(
        parameters=[OpenApiParameter("number", str, required=True)],
        responses=ScreenPopSerializer,
    )
    def list(self, request):
        from django.urls import reverse
        from django.utils.http import urlencode
        from rest_framework.exceptions import ValidationError

        raw = request.query_params.get("number", "")
        number = normalise_number(raw)
        if not number:
            raise ValidationError({"number": _("Send the calling number (5 to 20 digits).")})
        callers = find_callers(request.user, raw)
        base = request.build_absolute_uri("/")[:-1]
        return Response(
            {
                "number": number,
                "console_url": base + reverse("service:console") + "?" + urlencode({"phone": raw}),
                "callers": [
                    {
                        "customer": c.customer.pk,
                        "name": c.customer.name,
                        "contact": c.contact.name if c.contact else None,
                        "url": base + c.customer.get_absolute_url(),
                        "open_requests": [
                            {
                                "id": r.pk,
                                "number": r.number,
                                "subject": r.subject,
                                "status": r.status,
                                "priority": r.priority,
                                "url": base + r.get_absolute_url(),
                            }
                            for r in c.open_requests
                        ],
                    }
                    for c in callers
                ],
            }
        )


def register(router) -> None:
    router.register("service-requests", ServiceRequestViewSet, basename="servicerequest")
    router.register("service-contracts", ServiceContractViewSet, basename="servicecontract")
    router.register("installed-products", InstalledProductViewSet, basename="installedproduct")
    router.register("sla-policies", SlaPolicyViewSet, basename="slapolicy")
    router.register("service-agents", AgentProfileViewSet, basename="agentprofile")
    router.register("service-calls", CallLookupViewSet, basename="servicecall")
