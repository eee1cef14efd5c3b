"""The README's first command, as a newcomer runs it, on a fresh data directory: ``kehu demo``, then
the real server (``kehu run`` on a free port), then HTTP requests a person makes -- the login
page, a login, the customer list, a customer's page, an API list -- then the server stops.

``python scripts/smoke.py [--customers N] [--database-url URL]``; without a URL, the embedded
SQLite default. With a PostgreSQL URL a fresh database is created beside the named one and
dropped afterwards. Exits non-zero (and says why) when any step fails: CI runs it for SQLite and
PostgreSQL (scripts/test.sh), because a green test suite once hid a demo that crashed for every
new user. Standard library only.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: ``.venv/bin/kehu``, spelled so that the checkout's own code runs (also from a git worktree)
KEHU = [str(ROOT / ".venv" / "bin" / "python"), "-m", "kehu.cli"]


class SmokeError(Exception):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def fresh_database(url: str | None):
    """Yield the DATABASE_URL to use: None for SQLite, else a new PostgreSQL database."""
    if not url:
        yield None
        return
    import psycopg  # installed with Kehu

    name = f"kehu_smoke_{os.getpid()}"
    parts = urllib.parse.urlsplit(url)
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(data_dir: str, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEHU_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env["KEHU_DATA_DIR"] = data_dir
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def run_demo(env: dict[str, str], customers: int) -> None:
    started = time.monotonic()
    proc = subprocess.run(
        [*KEHU, "demo", "--customers", str(customers)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise SmokeError(f"kehu demo failed (exit {proc.returncode}):\n{out[-4000:]}")
    if "Demo data ready" not in out:
        raise SmokeError(f"kehu demo did not report ready:\n{out[-2000:]}")
    print(f"  demo with {customers:,} customers: {time.monotonic() - started:.0f}s")


@contextmanager
def server(env: dict[str, str], port: int):
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(
            [*KEHU, "run", "--port", str(port), "--workers", "2"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_listening(proc, port, log)
            yield proc
        except SmokeError:
            raise
        except Exception as exc:
            log.seek(0)
            raise SmokeError(f"{exc}\nserver log:\n{log.read()[-4000:]}") from exc
        finally:
            _stop(proc)


def _wait_listening(proc: subprocess.Popen, port: int, log) -> None:
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            log.seek(0)
            raise SmokeError(f"kehu run exited with {proc.returncode}:\n{log.read()[-4000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                log.seek(0)
                raise SmokeError(
                    f"kehu run did not listen within 90 s; its log:\n{log.read()[-4000:]}"
                ) from None
            time.sleep(0.5)


def _stop(proc: subprocess.Popen) -> None:
    """The server and the worker it started are one process group: stop them all."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Browser:
    """Cookies and CSRF like a browser; every request must answer what the step expects."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, path: str, *, data: dict | None = None, expect: int = 200, **headers):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310 (http://127.0.0.1 only)
        started = time.monotonic()
        try:
            resp = self.opener.open(req, timeout=60)
            status, text = resp.status, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as err:
            status, text = err.code, err.read().decode("utf-8", "replace")
        took = (time.monotonic() - started) * 1000
        verb = "POST" if data is not None else "GET"
        print(f"  {verb} {path} -> {status} ({took:.0f} ms)")
        if status != expect:
            raise SmokeError(f"{verb} {path}: expected {expect}, got {status}\n{text[:2000]}")
        return text

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def walk(base: str) -> None:
    """What a new user does first, as the administrator and as a salesperson."""
    for username in ("admin", "sales1"):
        b = Browser(base)
        page = b.request("/login/")
        if "csrfmiddlewaretoken" not in page:
            raise SmokeError("the login page has no form")
        token = b.cookie("csrftoken")
        b.request(
            "/login/",
            data={"username": username, "password": "kehu-demo", "csrfmiddlewaretoken": token},
            expect=302,
            Referer=base + "/login/",
        )
        b.request("/")
        listing = b.request("/customers/customers/")
        ids = re.findall(r'href="/customers/customers/(\d+)/"', listing)
        if not ids:
            raise SmokeError(f"{username}: the customer list shows no customer")
        detail = b.request(f"/customers/customers/{ids[0]}/")
        if "<h1" not in detail:
            raise SmokeError(f"{username}: the customer page has no heading")
        api = json.loads(b.request("/api/customers/", Accept="application/json"))
        if not api.get("results"):
            raise SmokeError(f"{username}: the API list is empty")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    label = "PostgreSQL" if args.database_url else "SQLite"
    print(f"== smoke: the README's first command on {label}, fresh data directory")
    data_dir = tempfile.mkdtemp(prefix="kehu-smoke-")
    try:
        with fresh_database(args.database_url) as url:
            env = environment(data_dir, url)
            run_demo(env, args.customers)
            port = free_port()
            with server(env, port):
                walk(f"http://127.0.0.1:{port}")
    except (SmokeError, subprocess.TimeoutExpired) as exc:
        print(f"SMOKE FAILED ({label}): {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"  smoke on {label}: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
