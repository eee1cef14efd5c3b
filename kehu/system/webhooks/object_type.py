"""The webhook endpoint's one registry declaration: list, detail, form, API, actions."""

from kehu.core.registry import ObjectType, register
from kehu.core.saving import record_actions

from .filters import WebhookEndpointFilterSet
from .forms import WebhookEndpointForm
from .models import WebhookEndpoint


def _save(obj: WebhookEndpoint, *, user) -> WebhookEndpoint:
    from .actions import save_endpoint

    return save_endpoint(endpoint=obj, user=user)


def _import_create(objs: list, ctx) -> None:
    """Imported endpoints go through the same checks (SSRF, events) one by one."""
    for obj in objs:
        _save(obj, user=ctx.user)


def _import_update(objs: list, fields: list[str], ctx) -> None:
    for obj in objs:
        _save(obj, user=ctx.user)


WEBHOOK_ENDPOINT = register(
    ObjectType(
        model=WebhookEndpoint,
        namespace="system",
        filterset=WebhookEndpointFilterSet,
        form=WebhookEndpointForm,
        actions=record_actions(
            WebhookEndpoint, _save, import_create=_import_create, import_update=_import_update
        ),
        columns=["name", "url", "is_active", "failure_count", "disabled_at", "owner"],
        sortable=["name"],
        default_sort="name",
        search_fields=["name", "url"],
        export_fields=["name", "url", "events", "object_types", "is_active", "owner"],
        select_related=["owner"],
        api_select_related=["owner"],
        detail_fields=[
            "name",
            "url",
            "events",
            "object_types",
            "is_active",
            "owner",
            "failure_count",
            "disabled_at",
        ],
    )
)
