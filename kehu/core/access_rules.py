"""Route access rules: every URL pattern and API route says who may reach it.

The rule is a declaration, not the check: the checks stay where they are (the restricted queryset,
``has_perm`` in the view, DRF permission classes). The declaration is what the route-enumerating
permission matrix (``kehu/core/tests/test_route_matrix.py``) reads to probe every route with the
right outsider, so a new page or endpoint without a declaration fails CI, and one whose check does
not match its declaration fails the matrix.

Generic views and viewsets built from the registry declare themselves (their ``object_type``);
hand-written views use :func:`access_rule` (a decorator, or a class attribute ``access_rule``),
third-party views (Django's auth views, the schema) are declared by URL name with :func:`declare`.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum

#: ``object_type`` of a route whose record type is chosen by the ``label`` (or ``type_name``)
#: argument of its path (attachments, shares, imports, the recycle bin).
FROM_PATH = "*"


class Kind(StrEnum):
    PUBLIC = "public"  # anyone, signed in or not (login, health, a token-protected feed)
    LOGGED_IN = "logged_in"  # any signed-in user; what it shows is theirs or filtered by scope
    OWN = "own"  # records of the requesting user only (jobs, imports, saved views, inbox)
    PERM = "perm"  # a functional permission
    OBJECT = "object"  # the object type's permissions, then record-level: the restricted queryset
    SPECIAL = "special"  # a special permission (SpecialPermission)


@dataclasses.dataclass(frozen=True)
class AccessRule:
    kind: Kind
    #: Model label of the record an id in the path refers to (``customers.customer``), or
    #: :data:`FROM_PATH`.
    object_type: str = ""
    #: The permission the route needs on top of signing in (``app.codename``).
    perm: str = ""
    #: Permissions that grant the route as well as ``perm`` does (any one of them suffices).
    alternatives: tuple[str, ...] = ()

    def __str__(self) -> str:
        parts = [self.kind.value, self.object_type, self.perm]
        return ":".join(p for p in parts if p)


PUBLIC = AccessRule(Kind.PUBLIC)
LOGGED_IN = AccessRule(Kind.LOGGED_IN)


def own(object_type: str, perm: str = "") -> AccessRule:
    """Records of the requesting user only: anyone else's id answers 404."""
    return AccessRule(Kind.OWN, object_type, str(perm))


def perm(permission: str, object_type: str = "") -> AccessRule:
    """A functional permission, e.g. ``customers.view_customer``."""
    return AccessRule(Kind.PERM, object_type, str(permission))


def record(object_type: str, permission: str = "") -> AccessRule:
    """Record-level: outside the view scope 404, outside the edit scope 403."""
    return AccessRule(Kind.OBJECT, object_type, str(permission))


def special(permission: str, object_type: str = "", *, alternatives=()) -> AccessRule:
    """A special permission (``SpecialPermission``), maybe on a record of ``object_type``."""
    return AccessRule(
        Kind.SPECIAL, object_type, str(permission), tuple(str(a) for a in alternatives)
    )


def access_rule(rule: AccessRule):
    """Declare the rule of a view function, view class, viewset or viewset action."""

    def decorator(view):
        view.access_rule = rule
        return view

    return decorator


#: Rules of views we do not write (Django's, drf-spectacular's), by qualified URL name.
ROUTE_RULES: dict[str, AccessRule] = {}


def declare(url_name: str, rule: AccessRule) -> None:
    ROUTE_RULES[url_name] = rule


def _with_type(rule: AccessRule, object_type) -> AccessRule:
    if rule.object_type or object_type is None:
        return rule
    return dataclasses.replace(rule, object_type=object_type.label)


def _object_type(cls, initkwargs):
    """The registry type a view or viewset is built for (a viewset's ``object_type`` property
    is read through its serializer's model)."""
    from .registry import find_object_type

    object_type = initkwargs.get("object_type") or getattr(cls, "object_type", None)
    if isinstance(object_type, property):
        model = getattr(
            getattr(getattr(cls, "serializer_class", None), "Meta", None), "model", None
        )
        object_type = find_object_type(model) if model is not None else None
    return object_type if hasattr(object_type, "label") else None


def rule_for(callback, url_name: str = "") -> AccessRule | None:
    """The declared rule of a resolved route's callback (``None``: undeclared).

    Order: by URL name; on the function; on the DRF action; on the class; then the automatic
    rule of a registry-driven view or viewset (``record(<its object type>)``).
    """
    if url_name in ROUTE_RULES:
        return ROUTE_RULES[url_name]
    rule = getattr(callback, "access_rule", None)
    if rule is not None:
        return rule
    initkwargs = getattr(callback, "view_initkwargs", None) or getattr(callback, "initkwargs", {})
    cls = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if cls is None:
        return None
    object_type = _object_type(cls, initkwargs)
    for action in (getattr(callback, "actions", None) or {}).values():
        rule = getattr(getattr(cls, action, None), "access_rule", None)
        if rule is not None:
            return _with_type(rule, object_type)
    rule = getattr(cls, "access_rule", None)
    if rule is not None:
        return _with_type(rule, object_type)
    if object_type is not None:
        return record(object_type.label)
    return None


@dataclasses.dataclass(frozen=True)
class Route:
    path: str  # the pattern as written, prefixes joined (regex for the API routes)
    name: str  # qualified URL name (``customers:customer_detail``)
    callback: object
    args: tuple[str, ...]  # names of the path arguments

    @property
    def rule(self) -> AccessRule | None:
        return rule_for(self.callback, self.name)


def iter_routes(resolver=None, prefix: str = "", namespace: str = ""):
    """Every URL pattern of the project, walked from the root resolver (the API router's routes
    included); a format-suffix twin of an API route is left out (same view, same rule)."""
    from django.urls import URLResolver, get_resolver

    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from iter_routes(pattern, prefix + str(pattern.pattern), ns)
            continue
        regex = pattern.pattern.regex
        args = tuple(regex.groupindex)
        if "format" in args:
            continue
        yield Route(
            path=prefix + str(pattern.pattern),
            name=f"{namespace}{pattern.name}" if pattern.name else "",
            callback=pattern.callback,
            args=args,
        )
