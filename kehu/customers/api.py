from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet
from kehu.core.registry import get_object_type

from . import actions
from .models import Customer


class CustomerSerializer(BaseModelSerializer):
    class Meta:
        model = Customer
        fields = [
            "id",
            "number",
            "name",
            "mnemonic",
            "kind",
            "phone",
            "email",
            "city",
            "address",
            "industry",
            "level",
            "credit_limit",
            "registered_on",
            "notes",
            "owner",
            "department",
            "created_at",
            "updated_at",
            "version",
        ]
        # Owner and department change only through the reassign action (mass assignment guard).
        read_only_fields = ["owner", "department", "created_at", "updated_at"]


class CustomerViewSet(RestrictedModelViewSet):
    serializer_class = CustomerSerializer

    @property
    def object_type(self):
        return get_object_type(Customer)

    def perform_create(self, serializer):
        customer = Customer(**serializer.validated_data)
        serializer.instance = actions.save_customer(customer=customer, user=self.request.user)

    def perform_update(self, serializer):
        instance = serializer.instance
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        if version is not None:
            instance.version = version
        for key, value in data.items():
            setattr(instance, key, value)
        actions.save_customer(customer=instance, user=self.request.user)
