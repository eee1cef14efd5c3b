from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet
from kehu.core.registry import get_object_type

from .models import Gadget


class GadgetSerializer(BaseModelSerializer):
    class Meta:
        model = Gadget
        fields = ["id", "name", "bought_on", "notes", "owner", "department", "version"]
        read_only_fields = ["owner", "department"]  # set by the action (mass-assignment guard)


class GadgetViewSet(RestrictedModelViewSet):
    serializer_class = GadgetSerializer

    @property
    def object_type(self):
        return get_object_type(Gadget)


def register(router) -> None:
    router.register("gadgets", GadgetViewSet, basename="gadget")
