"""A production-shaped deployment cooperates: two gunicorn web processes and two Celery workers
share one PostgreSQL database, a Redis broker and a Redis cache.

Everything runs as real processes with ``KEHU_PRODUCTION=1`` (collected, hashed static files;
secure settings). A user logs in on web process A, starts an export there, and follows and
downloads it through web process B (sessions and result files are shared); both workers take
jobs from the shared queue.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode, urlsplit, urlunsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from openpyxl import load_workbook

from kehu.core.audit import unaudited_write
from kehu.core.models import BackgroundJob
from kehu.customers.tests.factories import customer

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "pw-Kehu-Prod-2024"
START_TIMEOUT = 40
JOB_TIMEOUT = 60
MAX_JOBS = 8
# Redis database for this test's broker queue and cache: not the default test database (15),
# where other suites' workers listen on the default queue and could take these jobs.
REDIS_DB = "14"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    def __init__(self, name: str, args: list[str], env: dict, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.popen = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stops with its children
            )

    def log(self, tail: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError as exc:
            return f"(no log: {exc})"

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)


class Processes(list):
    def logs(self) -> str:
        return "\n".join(f"--- {p.name} (exit {p.popen.poll()}) ---\n{p.log()}" for p in self)

    def check_alive(self) -> None:
        dead = [p.name for p in self if p.popen.poll() is not None]
        if dead:
            pytest.fail(f"{', '.join(dead)} exited early\n{self.logs()}")


@pytest.fixture
def procs(request):
    """Every process the test starts; all are stopped (by process group) whatever happens."""
    started = Processes()
    yield started
    for p in started:
        p.stop()
    if request.node.session.testsfailed:
        print(started.logs())


class NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # hand 3xx responses back to the caller


class Browser:
    """A tiny HTTP client that keeps cookies itself: the production cookies are ``Secure``, which
    a standard cookie jar would not send back over the plain HTTP of this loopback test."""

    def __init__(self):
        self.cookies: dict[str, str] = {}
        self.opener = build_opener(NoRedirect)

    def request(self, base: str, path: str, form: dict | None = None):
        data = urlencode(form).encode() if form is not None else None
        req = Request(base + path, data=data, method="POST" if form is not None else "GET")
        if self.cookies:
            req.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            resp = self.opener.open(req, timeout=30)
        except HTTPError as err:
            resp = err
        for header in resp.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return resp.status, resp.headers, resp.read()


def wait_healthy(base: str, procs: Processes) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        procs.check_alive()
        try:
            status, _h, body = Browser().request(base, "/health/")
            if status == 200:
                assert b'"database": true' in body, body
                return
        except (URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    pytest.fail(f"{base}/health/ did not answer 200 within {START_TIMEOUT}s\n{procs.logs()}")


def successes(proc: Proc) -> int:
    return len(re.findall(r"Task kehu\.core\.export\[[0-9a-f-]+\] succeeded", proc.log(10**7)))


@pytest.mark.django_db(transaction=True)
def test_two_web_processes_and_two_workers_cooperate(request, procs, tmp_path, make_user):
    if connection.vendor != "postgresql":
        pytest.skip(
            "the production test runs on PostgreSQL only (set DATABASE_URL=postgres://...); "
            f"this run uses {connection.vendor}"
        )
    redis_url = request.getfixturevalue("redis_url")
    redis_url = urlunsplit(urlsplit(redis_url)._replace(path=f"/{REDIS_DB}"))

    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    database_url = (
        f"postgres://{auth}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}"
        f"/{quote(s['NAME'], safe='')}"  # the test database, not the configured one
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"KEHU_TESTING", "KEHU_TASKS_EAGER", "KEHU_TEST_DB_NAME", "KEHU_DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="kehu.settings",
        KEHU_PRODUCTION="1",
        KEHU_SECRET_KEY=secrets.token_urlsafe(50),
        KEHU_SSL_REDIRECT="0",
        KEHU_ALLOWED_HOSTS="127.0.0.1,localhost",
        KEHU_DATA_DIR=os.environ["KEHU_DATA_DIR"],  # media root shared by web and workers
        KEHU_STATIC_ROOT=str(tmp_path / "static"),
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=redis_url,
        REDIS_URL=redis_url,
        PYTHONUNBUFFERED="1",
    )

    # Data: a sales manager of A1 (may export, sees A1 only) and another branch's customers.
    manager = make_user("sales_manager", "a1", username=f"prod-{uuid.uuid4().hex[:8]}")
    outsider = make_user("salesperson", "b")
    visible = [customer(manager, n) for n in range(3)]
    for n in range(2):
        customer(outsider, n)
    # The web processes use production password hashers (the test settings use MD5).
    hasher = PBKDF2PasswordHasher()
    with unaudited_write("test set-up: production password hash"):
        type(manager).objects.filter(pk=manager.pk).update(
            password=hasher.encode(PASSWORD, hasher.salt())
        )

    # Production serves hashed, compressed static files: collect them first, as `kehu run` does.
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert collect.returncode == 0, f"collectstatic failed:\n{collect.stdout}\n{collect.stderr}"
    assert (tmp_path / "static" / "staticfiles.json").exists()

    logs = tmp_path / "logs"
    logs.mkdir()
    ports = {"web-a": free_port(), "web-b": free_port()}
    for name, port in ports.items():
        args = [sys.executable, "-m", "gunicorn", "kehu.wsgi:application"]
        args += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "60"]
        # gunicorn's control socket defaults to one path in $HOME: one per process here.
        args += ["--control-socket", str(logs / f"{name}.ctl")]
        procs.append(Proc(name, args, env, logs))
    workers = []
    for i in (1, 2):
        hostname = f"kehu-prod-w{i}-{uuid.uuid4().hex[:6]}@%h"
        args = [sys.executable, "-m", "kehu.cli", "worker", "--concurrency", "1"]
        args += ["--hostname", hostname]
        workers.append(Proc(f"worker-{i}", args, env, logs))
    procs.extend(workers)
    a, b = (f"http://127.0.0.1:{ports[n]}" for n in ("web-a", "web-b"))

    wait_healthy(a, procs)
    wait_healthy(b, procs)

    # Log in through A, with the CSRF token from A's login page.
    browser = Browser()
    status, _h, page = browser.request(a, "/login/")
    assert status == 200, page[:2000]
    assert "csrftoken" in browser.cookies
    status, headers, page = browser.request(
        a,
        "/login/",
        {
            "username": manager.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
    )
    assert status == 302, f"login failed ({status}): {page[:3000]!r}\n{procs.logs()}"
    assert "sessionid" in browser.cookies
    # The session lives in the shared database: B knows the user too.
    status, _h, _page = browser.request(b, "/")
    assert status == 200, f"B does not accept A's session ({status})\n{procs.logs()}"

    # Exports started through A until both workers have done at least one.
    job_ids: list[int] = []
    while len(job_ids) < MAX_JOBS:
        status, headers, page = browser.request(a, "/customers/customers/?export=xlsx")
        assert status == 302, f"export did not start ({status}): {page[:2000]!r}"
        match = re.fullmatch(r"/jobs/(\d+)/", headers["Location"])
        assert match, headers["Location"]
        job_id = int(match.group(1))
        job_ids.append(job_id)
        job = BackgroundJob.objects.get(pk=job_id)
        deadline = time.monotonic() + JOB_TIMEOUT
        while not job.done:
            if time.monotonic() > deadline:
                pytest.fail(f"job {job_id} still {job.status} after {JOB_TIMEOUT}s\n{procs.logs()}")
            procs.check_alive()
            time.sleep(0.3)
            job.refresh_from_db()
        assert job.status == BackgroundJob.Status.SUCCEEDED, f"{job.message}\n{procs.logs()}"
        if all(successes(w) for w in workers):
            break

    counts = [successes(w) for w in workers]
    assert all(counts), f"not both workers took jobs: {counts} for {len(job_ids)} jobs"
    assert sum(counts) >= len(job_ids)
    assert set(BackgroundJob.objects.filter(pk__in=job_ids).values_list("status", flat=True)) == {
        BackgroundJob.Status.SUCCEEDED
    }

    # B shows the job and serves the file a worker wrote: the manager's three customers only.
    status, _h, page = browser.request(b, f"/jobs/{job_ids[-1]}/")
    assert status == 200, page[:2000]
    status, headers, body = browser.request(b, f"/jobs/{job_ids[-1]}/download/")
    assert status == 200, body[:2000]
    rows = list(load_workbook(io.BytesIO(body), read_only=True).worksheets[0].values)
    assert len(rows) == 1 + 3
    assert sorted(r[0] for r in rows[1:]) == sorted(c.number for c in visible)
