"""Reusable per-model test support (NetBox-style): every registered object type needs a factory,
and the generic test cases and the data-permission matrix run over all of them automatically."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FACTORIES: dict[str, Callable[..., Any]] = {}


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
