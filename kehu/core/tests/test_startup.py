"""Importing the settings writes nothing; a process's start-up makes the data directory and a
secret key that stays the same across restarts."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

PRINT_KEY = "from django.conf import settings; print(settings.SECRET_KEY)"


def run(code: str, data: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("KEHU_SECRET_KEY", "KEHU_STATIC_ROOT")}
    env |= {"KEHU_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "kehu.settings"}
    result = subprocess.run(
        [sys.executable, *args, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


def test_importing_settings_writes_nothing(tmp_path):
    fresh = tmp_path / "fresh"
    run("import kehu.settings, kehu.settings_test", fresh)
    assert not fresh.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    run("import kehu.settings", empty)
    assert list(empty.iterdir()) == []


def test_start_up_makes_the_data_dir_and_keeps_its_key(tmp_path):
    data = tmp_path / "data"
    first = run(PRINT_KEY, data, "-m", "kehu.cli", "shell")
    key_file = data / "secret_key"
    assert len(first) == 50 and key_file.read_text() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert (data / "static").is_dir()
    # a restart, the web server and a worker started directly: the same key
    assert run(PRINT_KEY, data, "-m", "kehu.cli", "shell") == first
    assert run(f"import kehu.wsgi; {PRINT_KEY}", data) == first
    assert run(f"from kehu.celery import app; app.conf.broker_url; {PRINT_KEY}", data) == first


def test_a_worker_started_by_celery_prepares_a_fresh_data_dir(tmp_path):
    data = tmp_path / "data"
    key = run(f"from kehu.celery import app; app.conf.broker_url; {PRINT_KEY}", data)
    assert key and (data / "secret_key").read_text() == key
