"""Settings for the test suite: the normal settings with test-friendly defaults."""

import os
import tempfile

os.environ.setdefault("KEHU_TESTING", "1")
os.environ.setdefault("KEHU_DATA_DIR", tempfile.mkdtemp(prefix="kehu-test-"))
# A fixed key: test runs need no start-up step (``ensure_data_dir``) to write one.
os.environ.setdefault("KEHU_SECRET_KEY", "kehu-tests-not-a-secret-" + "0" * 30)

from kehu.settings import *  # noqa: E402,F403
from kehu.settings import DATA_DIR, DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so a real worker process can see what a test committed.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
CELERY_TASK_ALWAYS_EAGER = os.environ.get("KEHU_TASKS_EAGER", "1") == "1"
