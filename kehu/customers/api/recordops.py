"""API of the record operations: merge, undo, restore, erase — the same actions as the pages,
the same data scopes (404 outside the view scope, 403 without the right)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from kehu.core.access_rules import access_rule, record

from .. import actions
from ..actions.recordops import CONTACT_MERGE, CUSTOMER_MERGE, MergeKind
from ..models import ContactMerge, CustomerMerge


class MergeRequestSerializer(serializers.Serializer):
    survivor = serializers.IntegerField(help_text="ID of the record that survives.")
    others = serializers.ListField(
        child=serializers.IntegerField(), min_length=1, help_text="IDs of the records merged in."
    )
    values = serializers.DictField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Field name → ID of the record whose value survives (default: the survivor's).",
    )
    versions = serializers.DictField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Record ID → version as read; a record changed since is refused (400, stale).",
    )


class MergeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    survivor = serializers.IntegerField(source="survivor_id")
    losers = serializers.ListField(child=serializers.IntegerField(), source="loser_ids")
    user = serializers.IntegerField(source="user_id")
    created_at = serializers.DateTimeField()
    undone_at = serializers.DateTimeField(allow_null=True)
    moved = serializers.DictField(child=serializers.IntegerField(), source="moved_counts")
    snapshot = serializers.JSONField(
        help_text="Values before the merge of the records you may see, without hidden fields."
    )

    def to_representation(self, instance):
        """The snapshot only as far as the requesting user may see it (never the whole one)."""
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        data["snapshot"] = actions.visible_snapshot(merge=instance, user=user) if user else {}
        return data


class UndoPreviewSerializer(serializers.Serializer):
    kept = serializers.ListField(
        child=serializers.DictField(), help_text="Survivor fields edited since the merge: kept."
    )
    restored = serializers.ListField(
        child=serializers.DictField(),
        help_text="Survivor fields that get their value from before the merge back.",
    )
    edited_moved = serializers.ListField(
        child=serializers.DictField(),
        help_text="Moved records edited since; they move back with the edits.",
    )
    elsewhere = serializers.ListField(
        child=serializers.DictField(),
        help_text="Moved records no longer on the survivor; left alone.",
    )
    counts = serializers.DictField(child=serializers.IntegerField())
    problems = serializers.ListField(child=serializers.CharField())


def _preview_data(preview) -> dict:
    def clean(rows):
        return [{k: v for k, v in row.items() if k != "by"} for row in rows]

    return {
        "kept": clean(preview.kept),
        "restored": clean(preview.restored),
        "edited_moved": preview.edited_moved,
        "elsewhere": preview.elsewhere,
        "counts": preview.counts,
        "problems": [str(p) for p in preview.problems],
    }


class RecordOperationsMixin:
    """Merge, restore and erase on the customer and contact viewsets."""

    merge_kind: MergeKind = CUSTOMER_MERGE

    @extend_schema(
        summary="Merge records into one",
        request=MergeRequestSerializer,
        responses={
            201: MergeSerializer,
            400: OpenApiResponse(description="Invalid or stale"),
            403: None,
        },
    )
    @action(detail=False, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def merge(self, request):
        try:
            actions.require_merge_permission(kind=self.merge_kind, user=request.user)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        data = MergeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kind = self.merge_kind
        ids = [data.validated_data["survivor"], *data.validated_data["others"]]
        visible = {o.pk: o for o in kind.model.objects.visible_to(request.user).filter(pk__in=ids)}
        if len(visible) != len(set(ids)):
            raise Http404
        values = {k: int(v) for k, v in data.validated_data.get("values", {}).items()}
        versions = {int(k): int(v) for k, v in data.validated_data.get("versions", {}).items()}
        try:
            merge = actions.merge_records(
                kind,
                survivor=visible[ids[0]],
                others=[visible[pk] for pk in ids[1:]],
                values=values,
                user=request.user,
                versions=versions or None,
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc) or None) from exc
        return Response(
            MergeSerializer(merge, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(summary="Restore a deleted record from the recycle bin", request=None)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def restore(self, request, pk=None):
        model = self.merge_kind.model
        obj = (
            model.all_objects.visible_to(request.user)
            .filter(deleted_at__isnull=False, pk=pk)
            .first()
        )
        if obj is None:
            raise Http404
        try:
            actions.restore_record(obj=obj, user=request.user)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied from exc
        obj = model.objects.get(pk=obj.pk)
        return Response(self.get_serializer(obj).data)

    @extend_schema(
        summary="Erase the personal data of a person (PIPL/GDPR)",
        request=inline_serializer("ErasureRequest", {"reason": serializers.CharField()}),
        responses={
            200: inline_serializer(
                "ErasureResult",
                {
                    "fields": serializers.ListField(child=serializers.CharField()),
                    "audit_records": serializers.IntegerField(),
                    "related": serializers.DictField(child=serializers.IntegerField()),
                },
            )
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def erase(self, request, pk=None):
        model = self.merge_kind.model
        obj = model.objects.visible_to(request.user).filter(pk=pk).first()
        if obj is None:
            raise Http404
        try:
            result = actions.erase_personal_data(
                record=obj, user=request.user, reason=str(request.data.get("reason", ""))
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied from exc
        return Response(result)


@access_rule(record("customers.customermerge", "customers.view_customer"))
class CustomerMergeViewSet(viewsets.ReadOnlyModelViewSet):
    """Merge history of the records the user may see, with the undo preview and the undo."""

    kind: MergeKind = CUSTOMER_MERGE
    serializer_class = MergeSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends: list = []
    queryset = CustomerMerge.objects.none()

    def get_queryset(self):
        model = self.kind.model
        if not self.request.user.has_perm(f"customers.view_{model._meta.model_name}"):
            raise PermissionDenied
        survivors = model.all_objects.visible_to(self.request.user).values("pk")
        return self.kind.merge_model.objects.filter(survivor__in=survivors).order_by("-id")

    @extend_schema(summary="What undoing the merge will do", responses=UndoPreviewSerializer)
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        preview = actions.preview_undo_for(self.get_object(), user=request.user)
        return Response(_preview_data(preview))

    @extend_schema(summary="Undo the merge", request=None, responses=MergeSerializer)
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        try:
            merge = actions.undo_merge(merge=self.get_object(), user=request.user)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied from exc
        return Response(MergeSerializer(merge, context={"request": request}).data)


@access_rule(record("customers.contactmerge", "customers.view_contact"))
class ContactMergeViewSet(CustomerMergeViewSet):
    kind = CONTACT_MERGE
    queryset = ContactMerge.objects.none()


def register(router) -> None:
    router.register("customer-merges", CustomerMergeViewSet, basename="customermerge")
    router.register("contact-merges", ContactMergeViewSet, basename="contactmerge")
