"""Groundwork settings, read from the environment.

Every external component falls back on its own to an embedded default (DESIGN.md "Real
components"): no ``DATABASE_URL`` means a SQLite file, no ``REDIS_URL`` means the in-memory
channel layer and in-process background work, no S3 settings mean a local storage root.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from marketplace.observability.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if not value else int(value)


def decimal_env_scaled(name: str, default: str, scale: int) -> int:
    """A non-negative decimal setting (``"0.20"``) as an integer in millionths (parts per
    million, micro-dollars), read with the one amount grammar of ``marketplace.money``."""
    from marketplace.money import MICROS_PER_DOLLAR, parse_amount_micros

    assert scale == MICROS_PER_DOLLAR, "settings are read in millionths"
    raw = os.environ.get(name) or default
    try:
        return parse_amount_micros(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} {exc}, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
DATABASE_URL = os.environ.get("DATABASE_URL", "")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
# Production is DEBUG off on a real database (DATABASE_URL set), or DEBUG off in a process that
# serves HTTP (config/asgi.py and config/wsgi.py check this list before they serve): either way
# it refuses to start on a guessable key or an open Host header. The operator commands on the
# embedded default (a SQLite file under var/, nothing served) run in a plain shell with the
# development key, the same one ./scripts/serve uses, so what they encrypt the server reads.
MISSING_PRODUCTION_SETTINGS = [
    name for name, value in (("SECRET_KEY", SECRET_KEY), ("ALLOWED_HOSTS", ALLOWED_HOSTS)) if not value
]
if MISSING_PRODUCTION_SETTINGS and not DEBUG and DATABASE_URL:
    raise ImproperlyConfigured(
        f"DEBUG is off and DATABASE_URL is set, so {' and '.join(MISSING_PRODUCTION_SETTINGS)} must be set "
        "in the environment"
    )
SECRET_KEY = SECRET_KEY or "insecure-development-key-do-not-use-in-production"
ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]", "testserver"]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "marketplace",
    "labeling",
]

MIDDLEWARE = [
    # hands the URL pattern's template to the metrics and the request line (observability/asgi.py)
    "marketplace.observability.asgi.RouteLabelMiddleware",
    "marketplace.api.middleware.RequestSizeLimitMiddleware",
    "marketplace.api.middleware.QueryTextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.static_files.StaticFilesMiddleware",  # WhiteNoise, streaming asynchronously under ASGI
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
APPEND_SLASH = False  # paths under /api/v1/ have no trailing slash; never redirect a POST
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "labeling.portal.auth.portal_context",
            ]
        },
    }
]

# --- database -----------------------------------------------------------------------------
DATA_DIR = Path(os.environ.get("GROUNDWORK_DATA_DIR", BASE_DIR / "var"))
DATA_DIR.mkdir(parents=True, exist_ok=True)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # A per-process cap on connections: PostgreSQL's max_connections is shared by every
        # ASGI process and Celery worker, so each one takes a bounded pool.
        DATABASES["default"]["OPTIONS"] = {
            "pool": {
                "min_size": 1,
                "max_size": env_int("DATABASE_POOL_MAX_SIZE", 20),
                "timeout": 10,
            }
        }
        # The hot path's statements (marketplace/sql_templates.py) are prepared on each
        # connection: planning one cost more than running it. Django leaves psycopg's automatic
        # preparing off (a threshold of None); a threshold no query reaches keeps it off for
        # every other query and lets those statements ask for it. DATABASE_PREPARED_STATEMENTS=0
        # for a pooler in transaction mode that cannot carry prepared statements
        # (docs/operations.md).
        if env_bool("DATABASE_PREPARED_STATEMENTS", True):
            DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 2**31 - 1
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(DATA_DIR / "groundwork.sqlite3")),
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers never deadlock on an
                # upgrade from a read lock; WAL lets readers go on while one writes.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- object storage ------------------------------------------------------------------------
# S3 through boto3 (labeling/storage/s3.py is the only module that touches it). No endpoint means
# AWS itself; AWS_ENDPOINT_URL points at MinIO and friends. Presigned URLs handed to workers are
# signed for AWS_PUBLIC_ENDPOINT_URL when the server reaches storage on an internal address.
# Without credentials here, boto3's default chain (instance role, ~/.aws, ...) is used.
AWS_ENDPOINT_URL = os.environ.get("AWS_ENDPOINT_URL", "")
AWS_PUBLIC_ENDPOINT_URL = os.environ.get("AWS_PUBLIC_ENDPOINT_URL", "")
AWS_REGION = os.environ.get("AWS_REGION", "") or "us-east-1"
AWS_ACCESS_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID", "")
AWS_SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
# The embedded default: file:// URIs resolve inside this folder only.
STORAGE_ROOT = Path(os.environ.get("GROUNDWORK_STORAGE_ROOT", DATA_DIR / "storage")).resolve()
STORAGE_ROOT.mkdir(parents=True, exist_ok=True)
# Where clients reach this server (e.g. https://labels.example.com): makes the signed links to
# file:// objects that workers receive absolute. Unset, they are paths on the API's origin.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
# Encrypts stored secrets (organizations' own S3 secret keys); derived from SECRET_KEY when
# unset. Old keys listed in FIELD_ENCRYPTION_KEY_FALLBACKS still decrypt during a rotation.
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "") or SECRET_KEY
FIELD_ENCRYPTION_KEY_FALLBACKS = env_list("FIELD_ENCRYPTION_KEY_FALLBACKS", [])

# --- redis, channels, background work -----------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # A bounded pool sized for the load: each process holds a few connections for
                # hints and replies (sockets do not each hold one; the dispatcher fans out).
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": env_int("CHANNEL_LAYER_MAX_CONNECTIONS", 500),
                        # Longer than channels-redis's 5 s blocking pop: redis-py's default of 5 s
                        # would time the pop out and drop the receive loop once per idle cycle.
                        "socket_timeout": 15,
                        "socket_connect_timeout": 5,
                    }
                ],
                # The defaults drop messages silently at 100 pending per channel.
                "capacity": env_int("CHANNEL_LAYER_CAPACITY", 5000),
                "expiry": 30,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# "celery" sends background work to Celery workers on Redis; "inprocess" runs the same task
# functions on a worker thread of each ASGI process (never inside a request).
BACKGROUND_MODE = os.environ.get("BACKGROUND_MODE", "celery" if REDIS_URL else "inprocess")
if BACKGROUND_MODE not in {"celery", "inprocess"}:
    raise ImproperlyConfigured("BACKGROUND_MODE must be 'celery' or 'inprocess'")
SWEEP_INTERVAL_SECONDS = env_int("SWEEP_INTERVAL_SECONDS", 5)

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# The Redis list Celery's messages wait in: deployments (or test runs) sharing one Redis each
# take their own.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
# Beat keeps when each schedule last ran in a file: under the data dir, not the working directory.
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "marketplace-sweeps": {
        "task": "marketplace.background_jobs.run_sweeps",
        "schedule": float(SWEEP_INTERVAL_SECONDS),
    },
    "webhook-sweeps": {
        "task": "marketplace.events.background_jobs.sweep_webhooks",
        "schedule": float(SWEEP_INTERVAL_SECONDS),
    },
    "labeling-sweeps": {
        "task": "labeling.background_jobs.run_sweeps",
        "schedule": float(SWEEP_INTERVAL_SECONDS),
    },
}

# --- HTTP, security -----------------------------------------------------------------------
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TRUST_X_FORWARDED_PROTO", False) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve admin assets without a collectstatic step
WHITENOISE_ROOT = BASE_DIR / "config" / "root_files"  # served at /: favicon.ico, favicon.svg

REST_FRAMEWORK = {
    # Bearer first; then the worker console's session (CSRF-checked), for worker endpoints.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "marketplace.api.authentication.BearerTokenAuthentication",
        "marketplace.api.authentication.WorkerSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["marketplace.api.parsers.StrictJSONParser"],
    "EXCEPTION_HANDLER": "marketplace.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "marketplace.api.openapi.GroundworkAutoSchema",
    "UNAUTHENTICATED_USER": None,
    # ``?format=csv`` on statements is read by the views themselves (a streamed CSV), not used
    # to pick a renderer: DRF would answer it with a 404 for want of a CSV renderer.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Groundwork API",
    "DESCRIPTION": (
        "The REST API of Groundwork, a crowdsourcing marketplace. Requesters post tasks and review "
        "answers under `/api/v1/` with an API key (`Authorization: Bearer gwr_…`); workers claim and "
        "answer tasks under `/api/v1/worker/` with a worker token (`gww_…`). Every list is a page "
        '`{"results": [...], "next": url-or-null}` read with `limit` and `cursor`; every error is '
        '`{"error": {"code", "message", "fields"}}`, its codes listed under each error response; every '
        "POST takes an optional `Idempotency-Key`. The conventions in full: docs/api.md."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI assets ship with the project: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "marketplace.models.tasks.Task.Status",
        "AssignmentStatusEnum": "marketplace.models.tasks.Assignment.Status",
        "InvitationStatusEnum": "marketplace.models.workteams.Invitation.Status",
        # declared by the request inputs (marketplace.inputs) and the output serializers alike
        "QualificationRequirementComparatorEnum": "marketplace.services.qualifications.COMPARATORS",
        "AutoGrantComparatorEnum": "marketplace.services.qualifications.RULE_COMPARATORS",
        "TaskTypeEnum": "marketplace.models.tasks.Task.TaskType",
        "LabelingTaskTypeEnum": "labeling.inputs.TASK_TYPE_NAMES",
        "EventTypeEnum": "marketplace.events.outbox.EVENT_TYPES",
        "DeliveryStatusEnum": "marketplace.models.events.Delivery.Status",
        "AppealStatusEnum": "marketplace.models.appeals.Appeal.Status",
    },
}

# --- portal: logins and email ------------------------------------------------------------
LOGIN_URL = "/portal/login"
LOGIN_REDIRECT_URL = "/portal/"
LOGOUT_REDIRECT_URL = "/portal/login"
# Password resets and private-team invitations go out by email. The console backend (the
# embedded default) prints them to the server's output; set EMAIL_HOST for real delivery.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", bool(EMAIL_HOST))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Groundwork <noreply@localhost>")
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT_SECONDS", 3 * 86400)
# How long an emailed private-team invitation link works (docs/portal.md).
INVITATION_LIFETIME_SECONDS = env_int("INVITATION_LIFETIME_SECONDS", 7 * 86400)

# An MTurk ExternalQuestion's URL must be https, as on MTurk; this also allows http (local
# set-ups and tests) and lets the console frame it (docs/aws.md "Questions and answers").
MTURK_EXTERNAL_URL_ALLOW_HTTP = env_bool("MTURK_EXTERNAL_URL_ALLOW_HTTP", False)

# --- marketplace defaults (DESIGN.md "Defaults") -------------------------------------------
GROUNDWORK: dict[str, Any] = {
    "ASSIGNMENT_DURATION_SECONDS": env_int("DEFAULT_ASSIGNMENT_DURATION_SECONDS", 3600),
    "TASK_LIFETIME_SECONDS": env_int("DEFAULT_TASK_LIFETIME_SECONDS", 7 * 86400),
    "AUTO_APPROVAL_DELAY_SECONDS": env_int("DEFAULT_AUTO_APPROVAL_DELAY_SECONDS", 3 * 86400),
    "MAX_LIVE_ASSIGNMENTS_PER_WORKER": env_int("MAX_LIVE_ASSIGNMENTS_PER_WORKER", 3),
    "IDEMPOTENCY_RETENTION_SECONDS": env_int("IDEMPOTENCY_RETENTION_SECONDS", 8 * 86400),
    # A running labeling job's output folder is rewritten at most this often (docs/labeling.md).
    "LABELING_OUTPUT_REFRESH_SECONDS": env_int("LABELING_OUTPUT_REFRESH_SECONDS", 300),
    # token buckets: sustained rate per second and burst size
    "WORKER_RATE_PER_SECOND": float(os.environ.get("WORKER_RATE_PER_SECOND", "20")),
    "WORKER_RATE_BURST": env_int("WORKER_RATE_BURST", 100),
    "API_KEY_WRITE_RATE_PER_SECOND": float(os.environ.get("API_KEY_WRITE_RATE_PER_SECOND", "50")),
    "API_KEY_WRITE_RATE_BURST": env_int("API_KEY_WRITE_RATE_BURST", 500),
    # Sign-in throttling of the portal and the console (marketplace.services.signin_throttle):
    # failures per account and per client address within a window; reaching either locks
    # sign-in for that key until the window ends.
    "SIGNIN_FAILURES_PER_ACCOUNT": env_int("SIGNIN_FAILURES_PER_ACCOUNT", 5),
    "SIGNIN_FAILURES_PER_ADDRESS": env_int("SIGNIN_FAILURES_PER_ADDRESS", 20),
    "SIGNIN_LOCK_SECONDS": env_int("SIGNIN_LOCK_SECONDS", 900),
    # Messages to workers (POST /api/v1/worker-messages, NotifyWorkers): calls per requester.
    "WORKER_MESSAGE_RATE_PER_SECOND": float(os.environ.get("WORKER_MESSAGE_RATE_PER_SECOND", "0.2")),
    "WORKER_MESSAGE_RATE_BURST": env_int("WORKER_MESSAGE_RATE_BURST", 20),
    "ANONYMOUS_RATE_PER_SECOND": float(os.environ.get("ANONYMOUS_RATE_PER_SECOND", "1")),
    "ANONYMOUS_RATE_BURST": env_int("ANONYMOUS_RATE_BURST", 20),
    # every message on one socket (ping included), before any database work
    "WEBSOCKET_MESSAGE_RATE_PER_SECOND": float(os.environ.get("WEBSOCKET_MESSAGE_RATE_PER_SECOND", "50")),
    "WEBSOCKET_MESSAGE_BURST": env_int("WEBSOCKET_MESSAGE_BURST", 200),
    # A worker token read from the database is trusted this long in each process: a revoked or
    # rotated token stops working within it everywhere (at once in the process that revoked it).
    "WORKER_CREDENTIAL_CACHE_SECONDS": float(os.environ.get("WORKER_CREDENTIAL_CACHE_SECONDS", "1")),
    # Threads of each ASGI process that run the hot worker routes (api/views/worker/hot.py).
    "HOT_PATH_THREADS": env_int("HOT_PATH_THREADS", 8),
    "REALTIME_DATABASE_THREADS": env_int("REALTIME_DATABASE_THREADS", 8),
    # Websocket claims (and submits) of one process go to the claim (submit) service together
    # (marketplace/realtime/batching.py): at most this many per call, this many calls at a time.
    "REALTIME_BATCH_SIZE": env_int("REALTIME_BATCH_SIZE", 32),
    "REALTIME_BATCHES_IN_FLIGHT": env_int("REALTIME_BATCHES_IN_FLIGHT", 2),
    "REALTIME_RECHECK_SECONDS": float(os.environ.get("REALTIME_RECHECK_SECONDS", "2")),
    # Money (DESIGN.md "Money"): the platform fee per assignment and per bonus is
    # max(PLATFORM_FEE_MINIMUM, round_half_up(price × PLATFORM_FEE_RATE)), fixed on each batch
    # when it is posted. Rates in parts per million, amounts in micro-dollars.
    "PLATFORM_FEE_RATE_PPM": decimal_env_scaled("PLATFORM_FEE_RATE", "0.20", 1_000_000),
    "PLATFORM_FEE_MINIMUM_MICROS": decimal_env_scaled("PLATFORM_FEE_MINIMUM", "0.01", 1_000_000),
    "PAYOUT_MINIMUM_MICROS": decimal_env_scaled("PAYOUT_MINIMUM", "1.00", 1_000_000),
    "BONUS_MAXIMUM_MICROS": decimal_env_scaled("BONUS_MAXIMUM", "1000", 1_000_000),
}

# One line per record, each with the request id of the work in hand (docs/operations.md
# "Logs"): JSON for machines in production, text for a developer's terminal (DEBUG on, as
# ./scripts/serve runs).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "") or ("text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'json' or 'text', got {LOG_FORMAT!r}")
LOGGING = logging_config(log_format=LOG_FORMAT, level=os.environ.get("LOG_LEVEL", "INFO"))

# --- metrics (docs/operations.md "Metrics") -------------------------------------------------
# /metrics answers clients in these networks (comma-separated CIDRs; "none" for none), and any
# client with "Authorization: Bearer <METRICS_BEARER_TOKEN>" when that is set.
_metrics_networks = env_list("METRICS_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"])
METRICS_ALLOWED_NETWORKS = [] if _metrics_networks == ["none"] else _metrics_networks
METRICS_BEARER_TOKEN = os.environ.get("METRICS_BEARER_TOKEN", "")
# Gauges read from the database and Redis at scrape time are kept this long per process.
METRICS_CACHE_SECONDS = float(os.environ.get("METRICS_CACHE_SECONDS", "5"))
# Per-workteam gauges name at most this many workteams (the busiest); the rest are "other".
METRICS_MAX_WORKTEAMS = env_int("METRICS_MAX_WORKTEAMS", 50)

# --- webhooks (docs/webhooks.md) ----------------------------------------------------------------
# Receivers must be https:// and on public addresses; an operator opens plain HTTP and chosen
# networks (comma-separated CIDRs, e.g. 127.0.0.0/8 for a receiver on this machine).
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", False)
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS", [])
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
# Retries: the n-th failure waits min(base × 2^(n-1), max delay) scaled by a random 0.5–1.0,
# until the retry period since the event was written has passed.
WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "30"))
WEBHOOK_RETRY_MAX_DELAY_SECONDS = float(os.environ.get("WEBHOOK_RETRY_MAX_DELAY_SECONDS", "3600"))
WEBHOOK_RETRY_PERIOD_SECONDS = float(os.environ.get("WEBHOOK_RETRY_PERIOD_SECONDS", str(3 * 86400)))
# Threads per process that send (one endpoint per thread at a time), and requests in flight to
# one endpoint at a time (each for another object: one object's events go one at a time).
WEBHOOK_SENDER_THREADS = env_int("WEBHOOK_SENDER_THREADS", 16)
WEBHOOK_ENDPOINT_CONCURRENCY = env_int("WEBHOOK_ENDPOINT_CONCURRENCY", 8)
# How long a process trusts what it read of an organization's subscriptions (docs/webhooks.md).
WEBHOOK_SUBSCRIPTION_CACHE_SECONDS = float(os.environ.get("WEBHOOK_SUBSCRIPTION_CACHE_SECONDS", "1"))
# Events (and their delivery logs) are kept this long, for redelivery.
WEBHOOK_EVENT_RETENTION_SECONDS = env_int("WEBHOOK_EVENT_RETENTION_SECONDS", 30 * 86400)

# --- labeling hooks (docs/templates.md) ---------------------------------------------------------
# A job's pre-task and consolidation hooks go where webhooks may (the settings above), each call
# given up after the timeout, tried this many times in all (the n-th retry after base × 2^(n-1)
# seconds), this many objects' calls at once, before the object fails with the reason.
LABELING_HOOK_TIMEOUT_SECONDS = float(os.environ.get("LABELING_HOOK_TIMEOUT_SECONDS", "10"))
LABELING_HOOK_ATTEMPTS = env_int("LABELING_HOOK_ATTEMPTS", 3)
LABELING_HOOK_RETRY_BASE_SECONDS = float(os.environ.get("LABELING_HOOK_RETRY_BASE_SECONDS", "1"))
LABELING_HOOK_THREADS = env_int("LABELING_HOOK_THREADS", 8)
# A consolidation pass starts no hook call after this many seconds (the rest wait for the next
# pass): well under the job lease (labeling/services/leases.py, 900 s), calls in flight included.
LABELING_HOOK_PASS_SECONDS = float(os.environ.get("LABELING_HOOK_PASS_SECONDS", "300"))
