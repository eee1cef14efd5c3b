"""Duplicate check on API creates: ``POST …/customers/?check_duplicates=1`` answers 409 with
the likely duplicates (scores and per-field explanation) instead of creating; send the same
request without the parameter to create anyway."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from ..actions.matching import find_matches

CHECK_PARAMETER = OpenApiParameter(
    "check_duplicates",
    bool,
    description="1: refuse with 409 and list likely duplicates the user can see instead of "
    "creating; repeat without it to create anyway.",
)


class DuplicateCheckCreateMixin:
    @extend_schema(parameters=[CHECK_PARAMETER])
    def create(self, request, *args, **kwargs):
        if request.query_params.get("check_duplicates") in ("1", "true"):
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            matches = find_matches(
                dict(serializer.validated_data), model=self.object_type.model, user=request.user
            )
            if matches:
                return Response(
                    {
                        "detail": _(
                            "Possible duplicates found; send the request again without "
                            "check_duplicates to create the record anyway."
                        ),
                        "duplicates": [
                            {
                                "id": m.record.pk,
                                "name": str(m.record),
                                "url": m.record.get_absolute_url(),
                                "score": m.score,
                                "summary": m.summary,
                                "explanation": m.explanation,
                            }
                            for m in matches
                        ],
                    },
                    status=status.HTTP_409_CONFLICT,
                )
        return super().create(request, *args, **kwargs)
