"""Kehu settings.

Everything a deployment changes comes from the environment (``KEHU_*``, ``DATABASE_URL``,
``CELERY_BROKER_URL``, ``REDIS_URL``). With nothing set, Kehu runs embedded: one SQLite file in
WAL mode and a Celery broker in a second SQLite file, so no service has to be installed.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import registry
from kehu.core.startup import data_dir, read_secret_key, static_root

BASE_DIR = Path(__file__).resolve().parent
# Importing settings writes nothing: ``kehu.core.startup.ensure_data_dir()`` creates the data
# directory and the secret key when a process starts (cli, wsgi, Celery).
DATA_DIR = data_dir()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("KEHU_DEBUG", False)
PRODUCTION = env_bool("KEHU_PRODUCTION", False)
TESTING = env_bool("KEHU_TESTING", False)

if PRODUCTION:
    SECRET_KEY = os.environ["KEHU_SECRET_KEY"]
else:
    # The embedded default keeps a generated key in the data directory so sessions survive
    # restarts; ``ensure_data_dir()`` writes it on the first start. Empty before that: Django
    # then refuses to run rather than sign with a key that changes on every start.
    SECRET_KEY = os.environ.get("KEHU_SECRET_KEY") or read_secret_key(DATA_DIR)

ALLOWED_HOSTS = env_list("KEHU_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("KEHU_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "kehu.system",
    "kehu.core",
    "kehu.customers",
    "kehu.marketing",
    "kehu.sales",
    "kehu.service",
    "kehu.analytics",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kehu.core.middleware.RequestLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kehu.core.middleware.DefaultLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kehu.core.middleware.RejectNulMiddleware",
    "kehu.core.middleware.CurrentUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "kehu.urls"
WSGI_APPLICATION = "kehu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kehu.core.context_processors.shell",
            ],
        },
    },
]

#: Django's templates for every widget but ``<select>``, built in Python (kehu/core/renderers.py)
FORM_RENDERER = "kehu.core.renderers.FormRenderer"

# --- Database -------------------------------------------------------------------------------
SQLITE_PATH = DATA_DIR / "kehu.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server and the worker read while the other writes; IMMEDIATE avoids
        # "database is locked" upgrades from read to write transactions.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
        ),
    }
    # Worker integration tests need a file the worker process can open, not :memory:.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("KEHU_TEST_SQLITE_PATH") or None}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("KEHU_CONN_MAX_AGE", "60"))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if os.environ.get("KEHU_TEST_DB_NAME"):
        DATABASES["default"]["TEST"] = {"NAME": os.environ["KEHU_TEST_DB_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "system.User"
AUTHENTICATION_BACKENDS = ["kehu.system.backends.RoleBackend"]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Lockout after repeated failures: this many failures within the window locks the account.
KEHU_LOGIN_MAX_FAILURES = int(os.environ.get("KEHU_LOGIN_MAX_FAILURES", "5"))
KEHU_LOGIN_LOCKOUT_MINUTES = int(os.environ.get("KEHU_LOGIN_LOCKOUT_MINUTES", "15"))

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("KEHU_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("KEHU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = static_root(DATA_DIR)
MEDIA_ROOT = Path(os.environ.get("KEHU_MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, precompressed names wherever Kehu serves pages for real (``kehu run`` collects
        # them); plain names for tests and debugging (no collectstatic needed).
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING or DEBUG
            else "kehu.core.staticfiles.StaticStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Source maps (7 of the 15 MB collected) are for developers' tools, fetched rarely: served as they
# are instead of being compressed at every collection (Brotli at its best level is slow).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (
    *("jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br"),
    *("swf", "flv", "woff", "woff2", "3gp", "3gpp", "asf", "avi", "m4v", "mov", "mp4"),
    *("mpeg", "mpg", "webm", "wmv", "map"),
)
KEHU_MAX_UPLOAD_BYTES = int(os.environ.get("KEHU_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))

# Outbound webhooks: private/loopback targets are refused (SSRF) unless explicitly allowed
# (the test settings allow them, for a receiver on loopback).
KEHU_WEBHOOKS_ALLOW_PRIVATE = env_bool("KEHU_WEBHOOKS_ALLOW_PRIVATE", False)
KEHU_WEBHOOKS_TIMEOUT_SECONDS = float(os.environ.get("KEHU_WEBHOOKS_TIMEOUT_SECONDS", "10"))
KEHU_WEBHOOKS_MAX_ATTEMPTS = int(os.environ.get("KEHU_WEBHOOKS_MAX_ATTEMPTS", "6"))
KEHU_WEBHOOKS_RETRY_BASE_SECONDS = float(os.environ.get("KEHU_WEBHOOKS_RETRY_BASE_SECONDS", "30"))
KEHU_WEBHOOKS_DISABLE_AFTER = int(os.environ.get("KEHU_WEBHOOKS_DISABLE_AFTER", "10"))
KEHU_WEBHOOKS_SWEEP_GRACE_SECONDS = float(
    os.environ.get("KEHU_WEBHOOKS_SWEEP_GRACE_SECONDS", "600")
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    # Sessions read from the shared cache, written through to the database (survive a flush).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # A file cache is shared by the web processes and the worker of one embedded install.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }
    if TESTING:
        CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = (
    os.environ.get("CELERY_BROKER_URL") or f"sqla+sqlite:///{DATA_DIR / 'broker.sqlite3'}"
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("KEHU_TASKS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # keep Kehu's JSON log format in workers
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("KEHU_QUEUE", "celery")
# Periodic work (reminders, purges, nightly recomputations): ``kehu worker --beat`` runs the
# scheduler; ``kehu run`` starts it with its worker. One entry per task, seconds between runs.
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Periodic tasks: each app registers its own (``register_beat_task`` in ``AppConfig.ready``);
# Celery reads this store once Django is set up.
CELERY_BEAT_SCHEDULE = registry.beat_tasks

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Personal API tokens for integrations, the session for the browser. No HTTP Basic: it took
    # a password on every request, outside the login lockout (docs/guide/api-tokens.md).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "kehu.system.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["kehu.core.drf.ModelPermission"],
    "DEFAULT_PARSER_CLASSES": [
        "kehu.core.drf.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "kehu.core.drf.CustomFieldOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "kehu.core.drf.KeysetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "kehu.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "kehu.core.drf.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kehu CRM API",
    "DESCRIPTION": "REST API for every Kehu object. Data permissions apply as in the UI.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Names of shared choices: each app registers its own (``register_enum_name``).
    "ENUM_NAME_OVERRIDES": registry.enum_names,
}

FILTERS_EMPTY_CHOICE_LABEL = _("All")

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("KEHU_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("KEHU_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SILENCED_SYSTEM_CHECKS: list[str] = []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Logging: one JSON object a line, so a log collector can parse it -----------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "kehu.core.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("KEHU_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"level": "ERROR" if TESTING else "WARNING"},
        "kehu.request": {"level": "WARNING" if TESTING else "INFO"},
    },
}

# --- Kehu -----------------------------------------------------------------------------------
# Outgoing e-mail (quotes sent to customers …): Django's SMTP backend, configured here.
EMAIL_HOST = os.environ.get("KEHU_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("KEHU_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("KEHU_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("KEHU_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("KEHU_EMAIL_TLS", "") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("KEHU_EMAIL_FROM", "kehu@localhost")
# Outbound messaging (kehu/system/messaging): where recipients reach Kehu (links in messages),
# the gateway per channel (a registered name or a dotted path; SMS and WeChat default to the
# loopback provider, which sends nothing), batch size, per-worker rate limit, retries.
KEHU_SITE_URL = os.environ.get("KEHU_SITE_URL", "http://localhost:8000")
KEHU_MESSAGING_PROVIDERS = {
    "email": os.environ.get("KEHU_EMAIL_PROVIDER", "smtp"),
    "sms": os.environ.get("KEHU_SMS_PROVIDER", "loopback"),
    "wechat": os.environ.get("KEHU_WECHAT_PROVIDER", "loopback"),
}
KEHU_MESSAGING_BATCH_SIZE = int(os.environ.get("KEHU_MESSAGING_BATCH_SIZE", "200"))
KEHU_MESSAGING_RATE_LIMIT = os.environ.get("KEHU_MESSAGING_RATE_LIMIT", "")  # e.g. "60/m"
KEHU_MESSAGING_MAX_RETRIES = int(os.environ.get("KEHU_MESSAGING_MAX_RETRIES", "8"))
KEHU_MESSAGING_RETRY_BASE = int(os.environ.get("KEHU_MESSAGING_RETRY_BASE", "10"))  # seconds

# Service requests from e-mail (``kehu mail-intake``, ``kehu mail-gateway``; see
# docs/guide/service-email.md): the mailbox customers write to and replies come from (empty:
# DEFAULT_FROM_EMAIL), what a message from an unknown sender does ("open": a request without a
# customer, flagged; "reject": kept as rejected only), who owns such requests (a username; empty:
# the first active superuser), their category, the largest message read whole (a larger one
# keeps its headers only) and the largest raw copy kept (a larger one keeps its headers).
KEHU_SERVICE_MAIL_ADDRESS = os.environ.get("KEHU_SERVICE_MAIL_ADDRESS", "")
KEHU_SERVICE_MAIL_UNKNOWN_SENDERS = os.environ.get("KEHU_SERVICE_MAIL_UNKNOWN_SENDERS", "open")
KEHU_SERVICE_MAIL_OWNER = os.environ.get("KEHU_SERVICE_MAIL_OWNER", "")
KEHU_SERVICE_MAIL_CATEGORY = os.environ.get("KEHU_SERVICE_MAIL_CATEGORY", "")
KEHU_SERVICE_MAIL_MAX_BYTES = int(os.environ.get("KEHU_SERVICE_MAIL_MAX_BYTES", str(50 * 2**20)))
KEHU_SERVICE_MAIL_RAW_MAX_BYTES = int(
    os.environ.get("KEHU_SERVICE_MAIL_RAW_MAX_BYTES", str(10 * 2**20))
)

KEHU_EXPORT_SYNC_LIMIT = int(os.environ.get("KEHU_EXPORT_SYNC_LIMIT", "5000"))
KEHU_JOB_STALE_HOURS = int(os.environ.get("KEHU_JOB_STALE_HOURS", "6"))
KEHU_XLSX_MAX_ROWS = 1_048_575
# Imports: what one file may hold (rows after the header, columns, a workbook's unzipped size)
KEHU_IMPORT_MAX_ROWS = int(os.environ.get("KEHU_IMPORT_MAX_ROWS", "200000"))
KEHU_IMPORT_MAX_COLUMNS = int(os.environ.get("KEHU_IMPORT_MAX_COLUMNS", "200"))
KEHU_IMPORT_MAX_UNZIPPED_BYTES = int(
    os.environ.get("KEHU_IMPORT_MAX_UNZIPPED_BYTES", str(100 * 1024 * 1024))
)
KEHU_BACKUP_DIR = Path(os.environ.get("KEHU_BACKUP_DIR", DATA_DIR / "backups"))
# What the framework (kehu.core, which imports no domain app) reads from the apps above it:
# dotted paths resolved once by kehu.core.providers (docs/architecture.md, "Layers").
KEHU_PROVIDERS = {
    "get_access": "kehu.system.access.get_access",
    "employees_in_scope": "kehu.system.access.employees_in_scope",
    "people_in_scope": "kehu.system.access.people_in_scope",
    "departments_in_scope": "kehu.system.access.departments_in_scope",
    "get_params": "kehu.system.params.get_params",
    "dictionary_items": "kehu.system.params.dictionary_items",
    "custom_field_definitions": "kehu.system.customfields.get_definitions",
    "ensure_setup": "kehu.system.actions.ensure_default_roles",
    "setup_is_default": "kehu.system.actions.setup_is_default",
    "demo_password": "kehu.system.demo.DEMO_PASSWORD",
}
