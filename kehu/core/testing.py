"""Reusable per-model test support (NetBox-style): every registered object type needs a factory,
and the generic test cases and the data-permission matrix run over all of them automatically."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FACTORIES: dict[str, Callable[..., Any]] = {}
#: For types whose copy needs more than the generic test's change of unique text fields (a
#: unique user, a unique pair of choices): ``fn(data, owner, n) -> data`` that makes form or API
#: data of a copy valid and distinct.
COPY_TWEAKS: dict[str, Callable[..., dict]] = {}


def copy_tweak(label: str):
    """Register how to make a copy of ``label`` distinct (see :data:`COPY_TWEAKS`)."""

    def decorator(fn):
        COPY_TWEAKS[label] = fn
        return fn

    return decorator


def factory(label: str):
    """Register ``fn(owner, n=1) -> saved instance`` for the object type ``label``."""

    def decorator(fn):
        FACTORIES[label] = fn
        return fn

    return decorator


def load_factories() -> dict[str, Callable[..., Any]]:
    from .registry import import_app_modules

    import_app_modules("tests.factories")
    return FACTORIES


def picker_choices(client, html: str, name: str, q: str = "") -> list[str]:
    """The values the picker posting ``name`` in a rendered page offers to ``client``'s user for
    the search ``q`` (``core.pickers``: a picker renders no ``<option>`` per record; it asks
    its URL, which searches exactly the field's queryset)."""
    import re
    from html import unescape
    from urllib.parse import quote

    match = re.search(rf'data-url="([^"]+)" data-name="{re.escape(name)}"', html)
    assert match, f"no picker posting {name!r}"
    url = unescape(match.group(1))
    response = client.get(f"{url}{'&' if '?' in url else '?'}q={quote(q)}")
    assert response.status_code == 200, response.content[:300]
    return [hit["value"] for hit in response.json()["results"]]


def list_url(ot) -> str:
    """The whole list of an object type: a type with a starting query
    (``ObjectType.default_query``, e.g. planned activities only) redirects a bare request there,
    so ask with an empty search instead (every record in scope, no redirect)."""
    from django.urls import reverse

    url = reverse(ot.url_name("list"))
    return f"{url}?q=" if ot.default_query else url
