"""A parameter change reaches ANOTHER process without a restart, through the shared cache.

A second Python process (as a web worker or the Celery worker would be) reads ``get_params()``
against the same test database and the same cache, keeps its per-process memo warm, and must
see the change made here on its next read — with no database query while nothing changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings

from kehu.system import params as P
from kehu.system.actions import update_parameters

CHILD = textwrap.dedent(
    """
    import json, os, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings_test"
    from django.conf import settings
    settings.CACHES = json.loads(os.environ["KEHU_TEST_CHILD_CACHES"])
    import django
    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from kehu.system.params import get_params, dictionary_choices

    def report():
        with CaptureQueriesContext(connection) as ctx:
            params = get_params()
        print(json.dumps({"company": params.company_name, "decimals": params.quote_amount_decimals,
                          "queries": len(ctx.captured_queries)}), flush=True)

    for line in sys.stdin:
        report()
    """
)


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{auth}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


@pytest.fixture(params=["file", "redis"])
def shared_cache(request, tmp_path):
    if request.param == "file":
        config = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path / "cache"),
            }
        }
    else:
        url = request.getfixturevalue("redis_url").rsplit("/", 1)[0] + "/13"
        config = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        }
    # override_settings resets Django's cache handler (django.test.signals), both ways.
    with override_settings(CACHES=config):
        cache.clear()
        P.PARAMETERS._memo = None
        yield config
        cache.clear()
    P.PARAMETERS._memo = None


class Child:
    def __init__(self, config):
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "KEHU_TEST_CHILD_CACHES": json.dumps(config),
        }
        env.pop("KEHU_TEST_DB_NAME", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    def read(self) -> dict:
        self.proc.stdin.write("read\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"child process failed: {self.proc.stderr.read()[-4000:]}")
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_change_reaches_another_process_without_restart(shared_cache, make_user):
    admin = make_user("administrator", "hq")
    update_parameters(user=admin, company_name="Before", quote_amount_decimals=2)
    child = Child(shared_cache)
    try:
        first = child.read()
        assert first["company"] == "Before"
        warm = child.read()
        assert warm == {"company": "Before", "decimals": 2, "queries": 0}

        update_parameters(user=admin, company_name="After", quote_amount_decimals=4)
        changed = child.read()
        assert (changed["company"], changed["decimals"]) == ("After", 4)
        # Whoever reads first after a change loads the row once; everyone else shares it.
        assert changed["queries"] <= 1
        assert child.read()["queries"] == 0
    finally:
        child.close()
    assert P.get_params().company_name == "After"
