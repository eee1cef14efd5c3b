"""Customers API: customers and contacts, through the same actions as the pages."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet
from kehu.core.registry import get_object_type

from .. import actions
from ..actions.recordops import CONTACT_MERGE
from ..models import CONTACT_FIELDS, CUSTOMER_FIELDS, OWNERSHIP_FIELDS, Contact, Customer
from .matching import DuplicateCheckCreateMixin, ShareRequestMixin
from .reassign import ReassignMixin
from .recordops import RecordOperationsMixin


def _code(name: str):
    """A dictionary code: checked against the dictionary by the action (a 400 naming the field);
    declared plainly so the schema and serializer set-up never read the dictionaries."""
    return serializers.CharField(
        label=Customer._meta.get_field(name).verbose_name,
        max_length=30,
        required=False,
        allow_blank=True,
    )


class CustomerSerializer(BaseModelSerializer):
    industry = _code("industry")
    level = _code("level")
    customer_type = _code("customer_type")
    status = _code("status")
    credit_rating = _code("credit_rating")
    source = _code("source")

    class Meta:
        model = Customer
        fields = [
            "id",
            *CUSTOMER_FIELDS,
            *OWNERSHIP_FIELDS,
            "lifecycle_stage",
            "lifecycle_overridden",
            "created_at",
            "updated_at",
            "version",
        ]
        # Owner and department change only through the reassign action (mass assignment guard);
        # the lifecycle stage only through the lifecycle actions.
        read_only_fields = [
            "owner",
            "department",
            "lifecycle_stage",
            "lifecycle_overridden",
            "created_at",
            "updated_at",
        ]
        # Empty: numbered on create; uniqueness is checked by the action's full_clean.
        extra_kwargs = {"number": {"required": False, "validators": []}}

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if "parent" in fields and request is not None and request.user.is_authenticated:
            allowed = Customer.objects.visible_to(request.user)
            current = getattr(self.instance, "parent_id", None)
            if current:  # the customer's own parent, hidden or not, may be sent back
                allowed = allowed | Customer.objects.filter(pk=current)
            fields["parent"].queryset = allowed
        return fields

    def _parent_visible(self, parent_id: int) -> bool:
        """Whether the caller may see this parent company; one query per response, for every
        row of a page at once."""
        request = self.context.get("request")
        if request is None:
            return True
        known = self.context.setdefault("_visible_parents", {})
        if parent_id not in known:
            root = self.root.instance
            rows = root if isinstance(root, list | QuerySet) else [root]
            ids = {getattr(r, "parent_id", None) for r in rows} | {parent_id}
            ids = {i for i in ids if i is not None and i not in known}
            visible = set(
                Customer.objects.visible_to(request.user)
                .filter(pk__in=ids)
                .values_list("pk", flat=True)
            )
            known.update({i: i in visible for i in ids})
        return known[parent_id]

    def to_representation(self, instance):
        """A parent company the caller may not see is ``null``: neither named nor numbered."""
        data = super().to_representation(instance)
        if data.get("parent") is not None and not self._parent_visible(instance.parent_id):
            data["parent"] = None
        return data

    def validate(self, attrs):
        """``parent: null`` sent back for a hidden parent (as the API showed it) keeps it."""
        attrs = super().validate(attrs)
        current = getattr(self.instance, "parent_id", None)
        cleared = "parent" in attrs and attrs["parent"] is None and current
        if cleared and not self._parent_visible(current):
            attrs.pop("parent")
        return attrs


@extend_schema_view(
    reassign=extend_schema(
        responses=CustomerSerializer,
        description="Transfer the customer to a colleague; its contacts, open care tasks and "
        "its owner's open activities go along.",
    ),
    bulk_reassign=extend_schema(
        operation_id="customers_bulk_reassign",
        description="Transfer several customers to one colleague, all or nothing.",
    ),
)
class CustomerViewSet(
    ReassignMixin,
    DuplicateCheckCreateMixin,
    ShareRequestMixin,
    RecordOperationsMixin,
    RestrictedModelViewSet,
):
    serializer_class = CustomerSerializer
    object_serializer = CustomerSerializer

    def reassign_records(self, records, owner, user) -> int:
        return actions.transfer_customers(customers=records, owner=owner, user=user)

    @property
    def object_type(self):
        return get_object_type(Customer)


class ContactSerializer(BaseModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "customer_name",
            *CONTACT_FIELDS,
            *OWNERSHIP_FIELDS,
            "created_at",
            "updated_at",
            "version",
        ]
        # Owner and department follow the customer.
        read_only_fields = ["owner", "department", "created_at", "updated_at"]

    def get_fields(self):
        """A contact may be attached only to a customer the user may edit."""
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            if "customer" in fields:
                fields["customer"].queryset = Customer.objects.editable_by(request.user)
            if "reports_to" in fields:
                fields["reports_to"].queryset = Contact.objects.visible_to(request.user)
        return fields


class ContactViewSet(DuplicateCheckCreateMixin, RecordOperationsMixin, RestrictedModelViewSet):
    serializer_class = ContactSerializer
    merge_kind = CONTACT_MERGE

    @property
    def object_type(self):
        return get_object_type(Contact)


def register(router) -> None:
    """Every viewset of the customers module; called by kehu/api_urls.py."""
    router.register("customers", CustomerViewSet, basename="customer")
    router.register("contacts", ContactViewSet, basename="contact")
