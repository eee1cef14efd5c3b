"""The OpenAPI schema's view of the framework's conventions, for every viewset at once.

drf-spectacular describes a viewset from its serializer; what the shared base viewset adds on top
(optimistic locking: the ``If-Match`` header and the 409/412/428 answers on updates) is added here,
so each module's endpoints are documented without per-view decorators.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import get_view_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

LOCKED_UPDATE = {
    "409": "The record was saved by someone else since the version sent (stale `version`).",
    "412": "`If-Match` is not the record's current ETag: read it again.",
    "428": "Neither `version` in the body nor an `If-Match` header says which version changes.",
}


class AutoSchema(SpectacularAutoSchema):
    def _locked_update(self) -> bool:
        from .api import RestrictedModelViewSet

        if self.method not in ("PUT", "PATCH"):
            return False
        model = get_view_model(self.view)
        return (
            isinstance(self.view, RestrictedModelViewSet)
            and model is not None
            and any(f.name == "version" for f in model._meta.concrete_fields)
        )

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        if self._locked_update():
            params.append(
                OpenApiParameter(
                    "If-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description="The ETag of the version being changed (from GET), instead of "
                    "`version` in the body.",
                )
            )
        return params

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        if self._locked_update():
            for code, text in LOCKED_UPDATE.items():
                bodies.setdefault(code, {"description": text})
        return bodies
