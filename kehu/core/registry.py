"""The object-type registry: each app registers its models once, and the generic views, API,
exports, global search and the per-model test cases (permission matrix included) all read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from .saving import ObjectActions, default_actions

registry: dict[str, ObjectType] = {}
pages: list[Page] = []
modules: dict[str, Module] = {}


@dataclass(frozen=True)
class Module:
    """An entry of the main navigation: each app registers its own in ``AppConfig.ready``, so
    the framework names no module."""

    key: str  # URL namespace (the app label); its pages and object types are listed under it
    label: Any
    icon: str
    url_name: str
    order: int = 100


def register_module(module: Module) -> Module:
    modules[module.key] = module
    return module


def navigation() -> list[Module]:
    """The registered modules in display order."""
    return sorted(modules.values(), key=lambda m: (m.order, m.key))


@dataclass
class Page:
    """A module page that is not an object list (a settings form, a tree, a report)."""

    module: str  # app label whose index lists it
    label: Any
    url_name: str
    perm: str | None = None  # permission needed to see the link (None: any logged-in user)
    icon: str = "bi-box-arrow-up-right"
    order: int = 0


def register_page(page: Page) -> Page:
    pages.append(page)
    return page


@dataclass
class ObjectType:
    model: type[Model]
    namespace: str  # URL namespace, e.g. "customers"
    filterset: Any
    form: Any
    serializer: Any = None
    columns: list[str] = field(default_factory=list)
    sortable: list[str] = field(default_factory=list)
    default_sort: str = "-pk"
    search_fields: list[str] = field(default_factory=list)
    export_fields: list[str] = field(default_factory=list)
    select_related: list[str] = field(default_factory=list)  # what list pages display
    api_select_related: list[str] = field(default_factory=list)  # what serializers display
    detail_fields: list[str] = field(default_factory=list)
    #: Fields shown only to users with a permission, e.g. {"cost": SpecialPermission.SEE_COST}:
    #: hidden in lists, detail pages, forms, exports, the API and reports without it.
    sensitive: dict[str, str] = field(default_factory=dict)
    #: False for records that are never hard-deleted (employees are deactivated instead).
    deletable: bool = True
    #: Permissions needed on top of the model permission for every page and link of this type.
    extra_perms: tuple[str, ...] = ()
    #: Extra pages linked from the list page header (recycle bin, merge history …).
    list_links: list[Page] = field(default_factory=list)
    #: Listed in its module's secondary navigation.
    in_menu: bool = True
    #: The create/update/delete actions every writer calls (``core.saving``); what is left
    #: out is the framework's audited default.
    actions: ObjectActions | None = None

    def __post_init__(self):
        self.actions = default_actions(self.model, self.actions)

    def links_for(self, user) -> list[Page]:
        return [p for p in self.list_links if p.perm is None or user.has_perm(p.perm)]

    #: The plural used in page paths and the API (``/api/<plural>/``); default: name + "s".
    plural: str = ""

    def allows(self, user, action: str = "view") -> bool:
        return user.has_perm(self.perm(action)) and all(user.has_perm(p) for p in self.extra_perms)

    def hidden_for(self, user) -> set[str]:
        return {name for name, perm in self.sensitive.items() if not user.has_perm(perm)}

    def visible(self, names: list[str], user) -> list[str]:
        hidden = self.hidden_for(user)
        return [name for name in names if name not in hidden]

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def name(self) -> str:
        return self.model._meta.model_name

    @property
    def app_label(self) -> str:
        return self.model._meta.app_label

    @property
    def plural_name(self) -> str:
        return self.plural or f"{self.name}s"

    @property
    def api_path(self) -> str:
        """``/api/<plural>/``, where the app registers the viewset."""
        return f"/api/{self.plural_name}/"

    def url_name(self, action: str) -> str:
        return f"{self.namespace}:{self.name}_{action}"

    def perm(self, action: str) -> str:
        return f"{self.app_label}.{action}_{self.name}"

    def verbose_name(self) -> str:
        return str(self.model._meta.verbose_name)

    def verbose_name_plural(self) -> str:
        return str(self.model._meta.verbose_name_plural)


def import_app_modules(submodule: str) -> None:
    """Import ``<app>.<submodule>`` of every Kehu app that has one (demo generators, factories)."""
    import importlib

    from django.apps import apps

    for config in apps.get_app_configs():
        if config.name.startswith("kehu."):
            name = f"{config.name}.{submodule}"
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise


def register(object_type: ObjectType) -> ObjectType:
    registry[object_type.label] = object_type
    return object_type


def find_object_type(model_or_label) -> ObjectType | None:
    label = model_or_label if isinstance(model_or_label, str) else model_or_label._meta.label_lower
    return registry.get(label)


def get_object_type(model_or_label) -> ObjectType:
    label = model_or_label if isinstance(model_or_label, str) else model_or_label._meta.label_lower
    return registry[label]
