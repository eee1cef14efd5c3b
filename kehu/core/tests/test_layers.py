"""Imports run one way (the import-linter contracts in pyproject.toml); the framework reaches the
apps above it only through providers named in settings and registrations made by the apps."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[3]
OTHER_PASSWORD = "another-password"


def test_import_contracts_hold(monkeypatch):
    """Layers, independence of sales/service/marketing, and a framework without domain imports
    (function-level imports included)."""
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_a_provider_is_read_from_settings_and_swapped_by_overriding_them(settings):
    from kehu.core import providers
    from kehu.system.demo import DEMO_PASSWORD

    assert providers.demo_password() == DEMO_PASSWORD
    settings.KEHU_PROVIDERS = {
        **settings.KEHU_PROVIDERS,
        "demo_password": f"{__name__}.OTHER_PASSWORD",
    }
    assert providers.demo_password() == OTHER_PASSWORD


@pytest.mark.django_db
def test_each_app_registers_its_navigation_entry(client, make_user):
    """The main navigation lists what the apps registered, in their order; core names none."""
    from kehu.core.registry import Module, modules, register_module

    client.force_login(make_user("administrator", "hq"))
    page = client.get(reverse("customers:customer_list"))
    # (the module plugged in from tests/plugin_app comes last, order 90)
    assert [n["key"] for n in page.context["nav"] if n["key"] != "plugin_app"] == [
        "customers",
        "marketing",
        "sales",
        "service",
        "analytics",
        "system",
    ]
    register_module(Module("extra", "Extra module", "bi-star", "sales:index", order=35))
    try:
        page = client.get(reverse("customers:customer_list"))
    finally:
        del modules["extra"]
    keys = [n["key"] for n in page.context["nav"]]
    assert keys.index("sales") < keys.index("extra") < keys.index("service")
    assert "Extra module" in page.content.decode()
