"""The registry: one object with keyed stores that each app fills from its ``AppConfig.ready``.

``registry`` is the store of object types (a dict by model label, read by the generic views,
API, exports, global search and the per-model test cases, permission matrix included) and
carries every other store as an attribute: ``registry.modules`` (main navigation),
``registry.pages``, ``registry.urls`` (each app's URL module, included by ``kehu/urls.py``),
``registry.api_routes`` (each app's router registrations, read by ``kehu/api_urls.py``),
``registry.beat_tasks`` (``CELERY_BEAT_SCHEDULE``), ``registry.dashboard_cards`` (the home page), ``registry.enum_names``
(drf-spectacular's ``ENUM_NAME_OVERRIDES``), and ``registry.store(name)`` /
``registry.hooks[name]`` for the stores of one layer (importers, export formats, timeline
sources, handover and erasure hooks …). So adding a module edits no central file: not
settings.py, urls.py, api_urls.py nor the navigation.

This module imports nothing of Django's at import time: ``kehu/settings.py`` reads two stores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.models import Model

    from .saving import ObjectActions

from .stores import (  # noqa: F401  (the stores and lookups live below the models; names stay)
    Registry,
    Store,
    find_object_type,
    get_object_type,
    registry,
)

modules = registry.modules


def register_urls(prefix: str, urlconf) -> None:
    """Serve the app's URL module (a dotted path, or a module with ``app_name``) under
    ``/<prefix>/``: ``kehu/urls.py`` includes every registered one."""
    registry.urls.add(prefix, urlconf)


def register_api_routes(key: str, register_fn: Callable | str) -> None:
    """``register_fn(router)`` (or its dotted path) adds the app's viewsets to the API router."""
    registry.api_routes.add(key, register_fn)


def register_beat_task(name: str, task: str, schedule, **options) -> None:
    """A periodic task: an entry of Celery's beat schedule (``CELERY_BEAT_SCHEDULE`` is
    this store)."""
    registry.beat_tasks.add(name, {"task": task, "schedule": schedule, **options})


def register_enum_name(name: str, choices: str) -> None:
    """The OpenAPI name of a choices class shared by several fields (drf-spectacular's
    ``ENUM_NAME_OVERRIDES`` is this store)."""
    registry.enum_names.add(name, choices)


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
    return registry.modules.add(module.key, module)


def navigation() -> list[Module]:
    """The registered modules in display order."""
    return sorted(modules.values(), key=lambda m: (m.order, m.key))


@dataclass(frozen=True)
class NavbarLink:
    """A link in the top bar beside the reminders bell (the approvals waiting for one), with a
    badge: ``count(user) -> int`` runs on every page, so it must be one cheap query."""

    key: str
    label: Any
    icon: str
    url_name: str
    count: Callable[[Any], int] | None = None
    order: int = 100


def register_navbar_link(link: NavbarLink) -> NavbarLink:
    return registry.store("navbar_links").add(link.key, link)


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
    # keyed by module and URL: one page may be linked from two modules (the handover)
    registry.pages.add((page.module, page.url_name), page)
    return page


@dataclass(frozen=True)
class DashboardCard:
    """A card of the home dashboard ("my day"). Each app registers its own in
    ``AppConfig.ready`` with :func:`register_dashboard_card`; the home page lists the cards the
    user may see (``perm``, then ``show``) by ``order`` and loads each one on its own (HTMX,
    ``/dashboard/<key>/``) unless ``lazy`` is false.

    The body is ``template`` rendered with ``context(request)`` (a dict; ``None`` hides the
    card for this user), or ``render(request)`` returning HTML (``None`` hides it). The card's
    context always has ``card``, ``request``, ``user`` and ``today``. Every query in it must
    start from a restricted queryset (``Model.objects.visible_to(request.user)``).
    """

    key: str  # unique, also the URL of the card: /dashboard/<key>/
    title: Any  # a lazy translatable string
    template: str = ""
    context: Callable[[Any], dict | None] | None = None
    render: Callable[[Any], str | None] | None = None
    order: int = 100  # lower first
    perm: str | None = None  # permission needed to see the card (None: any logged-in user)
    size: str = "md"  # "sm" (a quarter of the row), "md" (a half), "lg" (two thirds), "full"
    icon: str = "bi-grid"  # a Bootstrap icon
    lazy: bool = True  # loaded after the page (HTMX); False: rendered with the page
    show: Callable[[Any], bool] | None = None  # show(user): e.g. managers only
    link: str = ""  # URL name of the page behind the card ("View all")

    def allows(self, user) -> bool:
        if self.perm is not None and not user.has_perm(self.perm):
            return False
        return self.show is None or bool(self.show(user))


def register_dashboard_card(card: DashboardCard) -> DashboardCard:
    """Add (or replace, by key) a card of the home dashboard."""
    if not card.template and card.render is None:
        raise ValueError(f"dashboard card {card.key!r} needs a template or a render callable")
    return registry.dashboard_cards.add(card.key, card)


def dashboard_cards(user) -> list[DashboardCard]:
    """The cards ``user`` may see, in display order."""
    cards = sorted(registry.dashboard_cards.values(), key=lambda c: (c.order, c.key))
    return [c for c in cards if c.allows(user)]


@dataclass
class ObjectType:
    model: type[Model]
    namespace: str  # URL namespace, e.g. "customers"
    filterset: Any
    form: Any
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
    #: Its place there, among the module's pages (``Page.order``); equal orders keep object
    #: types first, in registration order.
    menu_order: int = 0
    #: The query a list page opened without one redirects to (after the user's default saved
    #: view), e.g. open activities soonest first: ``"status=planned&sort=start_at"``.
    default_query: str = ""
    #: The create/update/delete actions every writer calls (``core.saving``); what is left
    #: out is the framework's audited default.
    actions: ObjectActions | None = None

    def __post_init__(self):
        from .saving import default_actions  # Django's ORM: not at import (settings read this)

        self.actions = default_actions(self.model, self.actions)

    def links_for(self, user) -> list[Page]:
        return [p for p in self.list_links if p.perm is None or user.has_perm(p.perm)]

    #: The fields users may change in place on the list and for many rows at once (mass
    #: update); ``None``: every simple field of the type's form (``core.lists.editable_fields``).
    bulk_fields: list[str] | None = None
    #: A sort by a field read from a stored sort key instead (``{"name": "name_sort"}``: Chinese
    #: names in pinyin order); the key column needs its own (key, id) index.
    sort_keys: dict[str, str] = field(default_factory=dict)

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
    """Import ``<app>.<submodule>`` of every Kehu app that has one (demo generators, factories):
    the project's apps and any app that registered a module (a module plugged in from outside)."""
    import importlib

    from django.apps import apps

    for config in apps.get_app_configs():
        if config.name.startswith("kehu.") or config.label in registry.modules:
            name = f"{config.name}.{submodule}"
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise


def register(object_type: ObjectType) -> ObjectType:
    return registry.add(object_type.label, object_type)
