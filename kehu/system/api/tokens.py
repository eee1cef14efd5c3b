"""Personal API tokens: ``/api/tokens/``. Everyone lists, makes and revokes their own; with
*Manage users*, those of the employees in their edit scope too. The secret is in the answer to
``POST`` only; ``DELETE`` revokes (the row stays, for the audit trail)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from kehu.core.access_rules import access_rule, own

from .. import actions
from ..models import ApiToken, User


class ApiTokenSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        help_text="The employee the token acts as; yourself when left out.",
    )

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "user",
            "prefix",
            "created_at",
            "created_by",
            "expires_at",
            "last_used_at",
            "revoked_at",
        ]
        read_only_fields = ["prefix", "created_at", "created_by", "last_used_at", "revoked_at"]

    def get_fields(self):
        """Only employees the caller may see are valid choices (others: "invalid pk")."""
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            fields["user"].queryset = User.objects.visible_to(request.user)
        return fields


class NewApiTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret: shown only this once.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


@access_rule(own("system.apitoken"))  # plus the tokens of people one may manage
class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ApiTokenSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_fields = ["user"]
    pagination_class = None

    def get_queryset(self):
        return ApiToken.objects.manageable_by(self.request.user).select_related("user")

    @extend_schema(request=ApiTokenSerializer, responses={201: NewApiTokenSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        token, raw = actions.create_api_token(
            user=data.get("user") or request.user,
            name=data["name"],
            expires_at=data.get("expires_at"),
            by=request.user,
        )
        token.token = raw
        return Response(NewApiTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        """Revoke the token: requests with it are refused from now on."""
        actions.revoke_api_token(token=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    router.register("tokens", ApiTokenViewSet, basename="apitoken")
