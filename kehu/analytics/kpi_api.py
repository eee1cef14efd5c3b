"""API of KPI definitions and targets (the same FilterSets, restricted querysets and actions as
the pages) and of the scorecard."""

from __future__ import annotations

from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet
from kehu.core.registry import get_object_type

from .kpi_models import KpiDefinition, KpiTarget


class KpiDefinitionSerializer(BaseModelSerializer):
    class Meta:
        model = KpiDefinition
        fields = [
            "id",
            "code",
            "name",
            "perspective",
            "measure",
            "unit",
            "direction",
            "weight",
            "position",
            "is_active",
            "description",
            "version",
        ]


class KpiDefinitionViewSet(RestrictedModelViewSet):
    serializer_class = KpiDefinitionSerializer

    @property
    def object_type(self):
        return get_object_type(KpiDefinition)


class KpiTargetSerializer(BaseModelSerializer):
    class Meta:
        model = KpiTarget
        fields = [
            "id",
            "definition",
            "employee",
            "department",
            "period",
            "year",
            "number",
            "target",
            "actual",
            "note",
            "version",
        ]


class KpiTargetViewSet(RestrictedModelViewSet):
    serializer_class = KpiTargetSerializer

    @property
    def object_type(self):
        return get_object_type(KpiTarget)


def register(router) -> None:
    router.register("kpi-definitions", KpiDefinitionViewSet, basename="kpidefinition")
    router.register("kpi-targets", KpiTargetViewSet, basename="kpitarget")
