"""Duplicate check on API creates: ``POST …/customers/?check_duplicates=1`` answers 409 with
the likely duplicates (scores and per-field explanation) instead of creating; send the same
request without the parameter to create anyway."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.core.access_rules import access_rule, record

from ..actions.matching import (
    ELSEWHERE_LIMIT,
    dismiss_candidate,
    find_elsewhere,
    find_matches,
    request_share,
)
from ..matching import explain_text
from ..models import DuplicateCandidate

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
            values = dict(serializer.validated_data)
            model = self.object_type.model
            matches = find_matches(values, model=model, user=request.user)
            elsewhere = find_elsewhere(values, model=model, user=request.user)
            if matches or elsewhere:
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
                        # outside the caller's scope: who owns it, nothing of the record
                        "elsewhere": [
                            {"owner": m.owner_name, "same": list(m.reasons)} for m in elsewhere
                        ],
                    },
                    status=status.HTTP_409_CONFLICT,
                )
        return super().create(request, *args, **kwargs)


class ShareRequestSerializer(serializers.Serializer):
    """The values of the refused creation (the same as sent to create); ``index``: one of the
    matches listed under ``elsewhere`` (default: all of them)."""

    name = serializers.CharField(max_length=200)
    kind = serializers.CharField(max_length=20, required=False, default="")
    phone = serializers.CharField(max_length=40, required=False, default="")
    email = serializers.CharField(max_length=254, required=False, default="")
    city = serializers.CharField(max_length=100, required=False, default="")
    address = serializers.CharField(max_length=300, required=False, default="")
    index = serializers.IntegerField(
        required=False, min_value=0, max_value=ELSEWHERE_LIMIT - 1, allow_null=True, default=None
    )


class ShareRequestResultSerializer(serializers.Serializer):
    owners = serializers.ListField(child=serializers.CharField())


class ShareRequestMixin:
    """``POST …/customers/request-share/``: after a create refused with ``customer_exists``, ask
    the owner to share the customer (a notice in their inbox)."""

    @extend_schema(request=ShareRequestSerializer, responses=ShareRequestResultSerializer)
    @action(detail=False, methods=["post"], url_path="request-share")
    def request_share(self, request):
        if not request.user.has_perm("customers.add_customer"):
            raise exceptions.PermissionDenied
        serializer = ShareRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        index = values.pop("index", None)
        owners = request_share(values=values, user=request.user, index=index)
        return Response({"owners": owners})


class DuplicateCandidateSerializer(serializers.ModelSerializer):
    summary = serializers.SerializerMethodField()

    class Meta:
        model = DuplicateCandidate
        fields = [
            "id",
            "kind",
            "customer_a",
            "customer_b",
            "contact_a",
            "contact_b",
            "score",
            "explanation",
            "summary",
            "status",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = fields

    def get_summary(self, obj) -> str:
        return explain_text(obj.explanation)


@access_rule(record("customers.duplicatecandidate", "customers.view_duplicatecandidate"))
class DuplicateCandidateViewSet(viewsets.ReadOnlyModelViewSet):
    """Likely duplicate pairs the user may see both records of; ``?kind=customer|contact``,
    ``?status=open|merged|dismissed``; ``POST …/{id}/dismiss/`` dismisses one."""

    serializer_class = DuplicateCandidateSerializer

    def get_queryset(self):
        qs = DuplicateCandidate.objects.visible_to(self.request.user)
        kind = self.request.query_params.get("kind")
        status_ = self.request.query_params.get("status")
        if kind in DuplicateCandidate.Kind.values:
            qs = qs.filter(kind=kind)
        if status_ in DuplicateCandidate.Status.values:
            qs = qs.filter(status=status_)
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=DuplicateCandidate.Kind.values),
            OpenApiParameter("status", str, enum=DuplicateCandidate.Status.values),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=DuplicateCandidateSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        if not request.user.has_perm("customers.change_duplicatecandidate"):
            raise exceptions.PermissionDenied
        candidate = self.get_object()
        try:
            dismiss_candidate(candidate=candidate, user=request.user)
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied from exc
        return Response(self.get_serializer(candidate).data)


def register(router) -> None:
    router.register(
        "duplicate-candidates", DuplicateCandidateViewSet, basename="duplicatecandidate"
    )
