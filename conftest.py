"""Shared fixtures: services (PostgreSQL, Redis, RabbitMQ, Chromium), users per role, an org."""

from __future__ import annotations

import os
import shutil
import socket

import pytest

REQUIRE_SERVICES = os.environ.get("KEHU_REQUIRE_SERVICES") == "1"


def service_missing(reason: str) -> None:
    """Skip with a visible reason, or fail when the run requires every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("KEHU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    if not port_open("127.0.0.1", 6379) and "KEHU_TEST_REDIS_URL" not in os.environ:
        service_missing("Redis is not running on 127.0.0.1:6379")
    return url


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    url = os.environ.get("KEHU_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
    if not port_open("127.0.0.1", 5672) and "KEHU_TEST_RABBITMQ_URL" not in os.environ:
        service_missing("RabbitMQ is not running on 127.0.0.1:5672")
    return url


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("KEHU_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        service_missing("Chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture(autouse=True, scope="session")
def _data_dir():
    """What ``kehu`` does when it starts (importing the settings creates nothing): the test data
    directory and its static root, so WhiteNoise finds them."""
    from kehu.core.startup import ensure_data_dir

    ensure_data_dir()


@pytest.fixture(autouse=True)
def _clear_cache():
    """The cache outlives each test's rolled-back transaction: start every test with it empty."""
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()
    yield
    # A request leaves its language active in the thread (LocaleMiddleware activates, nothing
    # deactivates): the next test would start in it.
    translation.deactivate()


@pytest.fixture(autouse=True)
def _steady_webhook_cache(monkeypatch):
    """The belief "no webhook endpoint" holds for a few seconds (``NONE_TTL``): on a slow machine that
    window can end between two halves of a query-count comparison and add one query to one of
    them. Tests run in one process that forgets the belief on every endpoint change, so hold it
    for the whole test and start each test without it."""
    from kehu.system.webhooks import dispatch

    monkeypatch.setattr(dispatch, "NONE_TTL", 3600.0)
    dispatch.forget_endpoints()
    yield
    dispatch.forget_endpoints()


@pytest.fixture
def roles(db):
    from kehu.system.actions import ensure_default_roles

    return ensure_default_roles()


@pytest.fixture
def org(db):
    """A small tree: HQ > Branch A > (Team A1, Team A2); HQ > Branch B."""
    from kehu.system.actions import create_department

    hq = create_department(name="总部", code="HQ")
    a = create_department(name="华东分公司", code="A", parent=hq)
    a1 = create_department(name="销售一部", code="A1", parent=a)
    a2 = create_department(name="销售二部", code="A2", parent=a)
    b = create_department(name="华北分公司", code="B", parent=hq)
    return {"hq": hq, "a": a, "a1": a1, "a2": a2, "b": b}


@pytest.fixture
def make_user(db, roles, org):
    from kehu.system.actions import create_employee

    counter = {"n": 0}

    def make(role: str = "salesperson", department: str = "a1", **kwargs):
        counter["n"] += 1
        return create_employee(
            username=kwargs.pop("username", f"{role}{counter['n']}"),
            password=kwargs.pop("password", "pw-Kehu-123"),
            department=org[department] if department else None,
            roles=[roles[role]] if role else [],
            **kwargs,
        )

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user("administrator", "hq", username="root", is_superuser=True)
