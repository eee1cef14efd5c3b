"""Settings for the test suite: the normal settings with test-friendly defaults."""

import os
import sys
import tempfile
from pathlib import Path

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

#: The module under tests/ that proves a module plugs in through its apps.py alone: installed in
#: the pytest process only, so ``manage.py check``, the OpenAPI schema and a real worker started
#: by a test see the project as shipped.
_ROOT = Path(__file__).resolve().parent.parent
if "pytest" in sys.modules and (_ROOT / "tests" / "plugin_app" / "apps.py").exists():
    if str(_ROOT) not in sys.path:
        sys.path.insert(0, str(_ROOT))
    INSTALLED_APPS = [*INSTALLED_APPS, "tests.plugin_app"]  # noqa: F405

#: Webhook tests post to a receiver on loopback; production refuses private addresses (SSRF).
KEHU_WEBHOOKS_ALLOW_PRIVATE = os.environ.get("KEHU_WEBHOOKS_ALLOW_PRIVATE", "1") == "1"
