"""API of orders, contracts, payments, commission rules and targets: the same FilterSets,
restricted querysets and actions as the pages. Rule violations answer 400 with the reason."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet
from kehu.core.registry import get_object_type

from ..actions import collections as coll
from ..actions import orders as acts
from ..models import (
    CommissionRule,
    Contract,
    Instalment,
    OrderEvent,
    Payment,
    SalesOrder,
    SalesOrderLine,
    SalesTarget,
)

#: What an order can be moved to (its choices are named in the schema, ``setup/orders.py``).
ORDER_TRANSITIONS = [(s, label) for s, label in SalesOrder.Status.choices if s != "draft"]
#: What a contract can be moved to.
CONTRACT_MOVES = [
    (s, label) for s, label in Contract.Status.choices if s in ("active", "terminated")
]


class OrderLineSerializer(serializers.ModelSerializer):
    unit_price = serializers.DecimalField(
        max_digits=20, decimal_places=6, required=False, allow_null=True
    )
    tax_rate = serializers.DecimalField(
        max_digits=7, decimal_places=4, required=False, allow_null=True
    )

    class Meta:
        model = SalesOrderLine
        fields = [
            "id",
            "position",
            "product",
            "description",
            "quantity",
            "unit_price",
            "discount_percent",
            "tax_rate",
            "line_total",
        ]
        read_only_fields = ["id", "position", "line_total"]


class OrderEventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()

    class Meta:
        model = OrderEvent
        fields = ["at", "from_status", "to_status", "actor", "note"]


class SalesOrderSerializer(BaseModelSerializer):
    lines = OrderLineSerializer(many=True, required=False)
    events = OrderEventSerializer(many=True, read_only=True)

    class Meta:
        model = SalesOrder
        fields = [
            "id",
            "number",
            "customer",
            "contact",
            "opportunity",
            "quote",
            "contract",
            "currency",
            "order_date",
            "payment_due",
            "status",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "confirmed_at",
            "credit_approval",
            "notes",
            "lines",
            "events",
            "owner",
            "department",
            "version",
        ]
        # totals and status: set by the actions only (never taken from the client)
        read_only_fields = [
            "number",
            "quote",
            "status",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "confirmed_at",
            "credit_approval",
            "owner",
            "department",
        ]
        extra_kwargs = {"order_date": {"required": False}}

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "lines" in attrs:
            attrs["lines"] = [
                {k: v for k, v in line.items() if v is not None} for line in attrs["lines"]
            ]
        return attrs


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ORDER_TRANSITIONS)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class SalesOrderViewSet(RestrictedModelViewSet):
    """Sales orders. ``lines`` (on create or update of a draft) replaces the lines; totals are
    computed by the server. ``POST …/{id}/transition/`` moves the status (confirm runs the credit
    check: over the limit the order stays a draft with ``credit_approval`` "pending" until an
    approver decides); a confirmed order cannot be edited (400)."""

    serializer_class = SalesOrderSerializer

    @property
    def object_type(self):
        return get_object_type(SalesOrder)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("lines", "events__actor")

    @extend_schema(request=TransitionSerializer, responses=SalesOrderSerializer)
    @action(detail=True, methods=["post"], serializer_class=TransitionSerializer)
    def transition(self, request, pk=None):
        """Confirm, ship, deliver, complete or cancel the order."""
        order = self.get_object()
        self.check_object_permissions(request, order)
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = acts.move_order(
            order,
            body.validated_data["status"],
            user=request.user,
            note=body.validated_data.get("note", ""),
        )
        order = self.get_queryset().get(pk=order.pk)
        return Response(SalesOrderSerializer(order, context=self.get_serializer_context()).data)


class InstalmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Instalment
        fields = ["id", "position", "due_date", "amount"]
        read_only_fields = ["id", "position"]


class PlanSerializer(serializers.Serializer):
    instalments = InstalmentSerializer(many=True)


class ContractSerializer(BaseModelSerializer):
    instalments = InstalmentSerializer(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "number",
            "title",
            "customer",
            "quote",
            "opportunity",
            "currency",
            "start_date",
            "end_date",
            "amount",
            "terms",
            "status",
            "signed_on",
            "instalments",
            "owner",
            "department",
            "version",
        ]
        read_only_fields = ["number", "quote", "status", "owner", "department"]


class ContractStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CONTRACT_MOVES)


class ContractViewSet(RestrictedModelViewSet):
    """Contracts. ``POST …/{id}/plan/`` replaces the payment plan of a draft contract (the
    instalments must add up to the amount, else 400); ``…/status/`` signs or terminates it."""

    serializer_class = ContractSerializer

    @property
    def object_type(self):
        return get_object_type(Contract)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("instalments")

    def _respond(self, contract):
        contract = self.get_queryset().get(pk=contract.pk)
        return Response(ContractSerializer(contract, context=self.get_serializer_context()).data)

    @extend_schema(request=PlanSerializer, responses=ContractSerializer)
    @action(detail=True, methods=["post"], serializer_class=PlanSerializer)
    def plan(self, request, pk=None):
        """Replace the payment plan."""
        contract = self.get_object()
        self.check_object_permissions(request, contract)
        body = PlanSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rows = [(i["due_date"], i["amount"]) for i in body.validated_data["instalments"]]
        acts.set_payment_plan(contract, user=request.user, instalments=rows)
        return self._respond(contract)

    @extend_schema(request=ContractStatusSerializer, responses=ContractSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="status",
        serializer_class=ContractStatusSerializer,
    )
    def set_status(self, request, pk=None):
        """Sign (activate) or terminate the contract."""
        contract = self.get_object()
        self.check_object_permissions(request, contract)
        body = ContractStatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if body.validated_data["status"] == "active":
            contract = acts.activate_contract(contract, user=request.user)
        else:
            contract = acts.terminate_contract(contract, user=request.user)
        return self._respond(contract)


class PaymentSerializer(BaseModelSerializer):
    class Meta:
        model = Payment
        fields = [
            "id",
            "number",
            "customer",
            "order",
            "contract",
            "instalment",
            "amount",
            "currency",
            "paid_on",
            "method",
            "reference",
            "note",
            "reverses",
            "owner",
            "department",
            "version",
        ]
        read_only_fields = ["number", "customer", "reverses", "owner", "department"]
        extra_kwargs = {"paid_on": {"required": False}}


class ReverseSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class PaymentViewSet(RestrictedModelViewSet):
    """Payments: recorded (``POST``) and reversed (``POST …/{id}/reverse/``), never deleted;
    an update may correct the method, reference and note only. A payment above the open amount, in another currency or on a draft order is
    refused with 400."""

    serializer_class = PaymentSerializer

    @property
    def object_type(self):
        return get_object_type(Payment)

    @extend_schema(request=ReverseSerializer, responses=PaymentSerializer)
    @action(detail=True, methods=["post"], serializer_class=ReverseSerializer)
    def reverse(self, request, pk=None):
        """Record the reversing entry of a payment (the answer is the reversal)."""
        payment = self.get_object()
        self.check_object_permissions(request, payment)
        body = ReverseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reversal = coll.reverse_payment(
            payment, user=request.user, note=body.validated_data.get("note", "")
        )
        return Response(
            PaymentSerializer(reversal, context=self.get_serializer_context()).data, status=201
        )


class CommissionRuleSerializer(BaseModelSerializer):
    class Meta:
        model = CommissionRule
        fields = [
            "id",
            "name",
            "employee",
            "role",
            "product",
            "category",
            "rate",
            "tiers",
            "is_active",
            "version",
        ]


class CommissionRuleViewSet(RestrictedModelViewSet):
    serializer_class = CommissionRuleSerializer

    @property
    def object_type(self):
        return get_object_type(CommissionRule)


class SalesTargetSerializer(BaseModelSerializer):
    class Meta:
        model = SalesTarget
        fields = [
            "id",
            "employee",
            "department",
            "period",
            "year",
            "number",
            "booked_target",
            "collected_target",
            "version",
        ]


class SalesTargetViewSet(RestrictedModelViewSet):
    serializer_class = SalesTargetSerializer

    @property
    def object_type(self):
        return get_object_type(SalesTarget)


def register(router) -> None:
    router.register("sales-orders", SalesOrderViewSet, basename="salesorder")
    router.register("contracts", ContractViewSet, basename="contract")
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("commission-rules", CommissionRuleViewSet, basename="commissionrule")
    router.register("sales-targets", SalesTargetViewSet, basename="salestarget")
