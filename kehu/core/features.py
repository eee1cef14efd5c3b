"""Model features compose by declaration: a model lists the feature mixins it has, in any order,
and gets the managers and querysets of all of them.

A feature is an abstract mixin registered with :func:`feature` (``BaseModel``, ``SoftDeleteModel``,
``CustomFieldsMixin``, ``Searchable``). It may declare

* ``queryset_class`` -- the queryset its methods live on (``SoftDeleteQuerySet.alive()``,
  ``SearchableQuerySet.bulk_create`` filling the search columns);
* ``feature_managers`` -- the managers it needs, name -> manager class (soft delete: ``objects``
  hiding deleted rows and ``all_objects`` showing them).

When a concrete model is prepared (``class_prepared``), :func:`attach_managers` builds one
queryset class from every ``queryset_class`` in the model's classes (:func:`compose_queryset`)
and gives the model each declared manager on that queryset -- unless the model (or a class of
its own) declares a manager of that name itself: its own manager wins, as before. A model may
also set ``queryset_class`` itself; it is composed with the features' (most specific first).

Why: a model that was both searchable and soft-deletable had to declare hand-composed managers,
and forgetting them silently lost deleted-row hiding or the search columns on ``bulk_create``.
The composed classes are cached, so every model with the same features shares one class.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

from django.db import models
from django.db.models.signals import class_prepared

#: The registered feature mixins: the base model first, then the features in registration order.
#: A later feature may build on earlier ones: its queryset comes first in a composed class (its
#: overrides wrap theirs) and its ``feature_managers`` replace theirs of the same name.
FEATURES: list[type[models.Model]] = []
#: queryset class -> the feature that declared it
_QUERYSET_FEATURE: dict[type[models.QuerySet], type[models.Model]] = {}


def feature(cls: type[models.Model] | None = None, *, base: bool = False):
    """Class decorator: register an abstract model mixin as a feature (``base=True``: the base
    model, whose managers every feature may replace).

    The managers it declares in its body are the framework's defaults: a model with the feature
    gets them rebuilt on its composed queryset (see :func:`attach_managers`)."""

    def register(cls: type[models.Model]) -> type[models.Model]:
        if cls not in FEATURES:
            FEATURES.insert(0 if base else len(FEATURES), cls)
        queryset = vars(cls).get("queryset_class")
        if queryset is not None:
            _QUERYSET_FEATURE.setdefault(queryset, cls)
        for manager in cls._meta.local_managers:
            manager.feature_default = True
        return cls

    return register if cls is None else register(cls)


def _canonical(queryset: type[models.QuerySet]) -> tuple[int, str]:
    """Sort key: a model's own queryset first, then features from the latest registered."""
    declared_by = _QUERYSET_FEATURE.get(queryset)
    rank = FEATURES.index(declared_by) if declared_by in FEATURES else len(FEATURES)
    return (-rank, f"{queryset.__module__}.{queryset.__qualname__}")


def compose_queryset(*querysets: type[models.QuerySet]) -> type[models.QuerySet]:
    """One QuerySet class with the methods of all ``querysets``, the same whatever order they
    are passed in (a class another one already extends is left out). Cached: the same set of
    querysets gives the same class, so ``type(qs)`` comparisons and pickling keep working."""
    unique = list(dict.fromkeys(querysets))
    leaves = [q for q in unique if not any(o is not q and issubclass(o, q) for o in unique)]
    if not leaves:
        return models.QuerySet
    leaves.sort(key=_canonical)
    if len(leaves) == 1:
        return leaves[0]
    return _build_queryset(tuple(leaves))


@functools.cache
def _build_queryset(bases: tuple[type[models.QuerySet], ...]) -> type[models.QuerySet]:
    name = "".join(b.__name__.removesuffix("QuerySet") for b in bases) + "QuerySet"
    module = sys.modules[__name__]
    base_name, n = name, 1
    while getattr(module, name, None) is not None:  # same class names from other modules
        n += 1
        name = f"{base_name}{n}"
    doc = "Composed from the features' querysets: " + ", ".join(b.__name__ for b in bases) + "."
    cls = type(name, bases, {"__module__": __name__, "__qualname__": name, "__doc__": doc})
    setattr(module, name, cls)  # importable by name: a pickled queryset finds its class
    return cls


@functools.cache
def compose_manager(
    manager_class: type[models.Manager], queryset_class: type[models.QuerySet]
) -> type[models.Manager]:
    """``manager_class`` (its ``get_queryset`` filter, e.g. soft delete's) on ``queryset_class``;
    the class itself when it already uses that queryset."""
    if getattr(manager_class, "_queryset_class", None) is queryset_class:
        return manager_class
    return manager_class.from_queryset(queryset_class)


def model_queryset(model: type[models.Model]) -> type[models.QuerySet]:
    """The composed queryset of a model: every ``queryset_class`` declared in its classes."""
    declared = [vars(c)["queryset_class"] for c in model.__mro__ if "queryset_class" in vars(c)]
    return compose_queryset(*declared)


def model_managers(model: type[models.Model]) -> dict[str, type[models.Manager]]:
    """Name -> manager class the model's features ask for; a later-registered feature's entry
    replaces an earlier one's (soft delete's ``objects`` replaces the base model's)."""
    declaring = [f for f in FEATURES if issubclass(model, f) and "feature_managers" in vars(f)]
    wanted: dict[str, type[models.Manager]] = {}
    for f in declaring:
        wanted.update(vars(f)["feature_managers"])
    return wanted


def _own_manager(model: type[models.Model], name: str) -> bool:
    manager = model._meta.managers_map.get(name)
    return manager is not None and not getattr(manager, "feature_default", False)


def attach_managers(model: type[models.Model]) -> None:
    """Give a concrete model with features its composed managers (``objects`` first, so it stays
    the default manager), leaving alone any manager the model declares itself."""
    queryset = model_queryset(model)
    for name, manager_class in model_managers(model).items():
        if _own_manager(model, name):
            continue
        cls = compose_manager(manager_class, queryset)
        current = model._meta.managers_map.get(name)
        if current is not None and type(current) is cls:
            continue
        manager = cls()
        manager.feature_default = True  # a subclass with more features recomposes it
        model.add_to_class(name, manager)


def _on_class_prepared(sender: type[models.Model], **kwargs: Any) -> None:
    if sender._meta.abstract or not any(issubclass(sender, f) for f in FEATURES):
        return
    attach_managers(sender)


class_prepared.connect(_on_class_prepared, dispatch_uid="kehu.core.features")
