"""What a Kehu process does once when it starts: make the data directory and its secret key.

Kept out of ``kehu.settings`` on purpose: importing settings (a test runner, a linter, a tool
reading the configuration) must not create directories or write a key. The entry points call
``ensure_data_dir()`` before Django reads its settings: ``kehu.cli`` (the ``kehu`` command and
``manage.py``), ``kehu.wsgi`` and the Celery app when it first loads its configuration.

Only the standard library here: settings import the path helpers below.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

#: Characters of Django's own ``get_random_secret_key`` (that import would pull in Django).
_KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)"


def data_dir() -> Path:
    """``KEHU_DATA_DIR``, or ``var/`` beside the source tree for a checkout."""
    return Path(os.environ.get("KEHU_DATA_DIR", BASE_DIR.parent / "var")).resolve()


def static_root(data: Path) -> Path:
    return Path(os.environ.get("KEHU_STATIC_ROOT", data / "static"))


def secret_key_file(data: Path) -> Path:
    return data / "secret_key"


def read_secret_key(data: Path) -> str:
    """The embedded install's key from the data directory; ``""`` before the first start."""
    try:
        return secret_key_file(data).read_text().strip()
    except FileNotFoundError:
        return ""


def _write_secret_key(path: Path) -> None:
    """Create the key file once, readable by its owner only. ``O_EXCL`` keeps the first key when
    the web server and the worker start at the same moment: the loser reads the winner's key."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as fh:
        fh.write("".join(secrets.choice(_KEY_CHARS) for _ in range(50)))


def ensure_data_dir() -> Path:
    """Create the data and static directories and, for an embedded install without
    ``KEHU_SECRET_KEY``, a secret key that then stays the same across restarts (sessions
    survive). Idempotent; returns the data directory."""
    data = data_dir()
    data.mkdir(parents=True, exist_ok=True)
    static_root(data).mkdir(parents=True, exist_ok=True)
    production = os.environ.get("KEHU_PRODUCTION", "").strip().lower() in {"1", "true", "yes", "on"}
    if not production and "KEHU_SECRET_KEY" not in os.environ:
        _write_secret_key(secret_key_file(data))
    return data
