"""Settings, read only from the environment (and a `.env` file when present).

Defaults are safe for local use: SQLite, local media files, local (offline) providers,
Redis on localhost. Production is switched on with ENVIRONMENT=production, which
requires a real SECRET_KEY and turns on the secure-cookie / HSTS / SSL settings; any other
value than development or production stops start-up, so a typo cannot fall back to DEBUG.
Whatever trusts something outside this process (a proxy's header, other origins, HSTS for
sibling domains) is off until the environment turns it on.

Every value comes through the helpers of `environment`; the providers' settings (their keys,
models and Replicate's prices) are in `providers`, star-imported here so that
DJANGO_SETTINGS_MODULE=videogen.settings has them all.
"""

from __future__ import annotations

import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from videogen.settings.environment import BASE_DIR, env, envbool, envdecimal, envint, envlist
from videogen.settings.providers import *  # noqa: F403

ENVIRONMENTS = ("development", "production")
ENVIRONMENT = env("ENVIRONMENT", "development")
if ENVIRONMENT not in ENVIRONMENTS:
    raise ImproperlyConfigured(
        f"ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}, got {ENVIRONMENT!r}: "
        "refusing to start rather than run with development settings"
    )
PRODUCTION = ENVIRONMENT == "production"
DEBUG = envbool("DEBUG", not PRODUCTION)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when ENVIRONMENT=production")
    SECRET_KEY = "django-insecure-local-development-key-not-for-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
# Browser clients on other origins that may call the API (with a token: no cookies cross over).
CORS_ALLOWED_ORIGINS = envlist("CORS_ALLOWED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_rq",
    "corsheaders",
    "generations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything that may answer on its own, so those answers carry the CORS headers too.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "videogen.urls"
WSGI_APPLICATION = "videogen.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Worker processes share the database with the web process: wait for locks
    # instead of failing with "database is locked", and keep tests on a file so a
    # worker subprocess can open the same test database.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Static and media ---------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# The app's own route for stored files (generations.pages.files), on both storages.
MEDIA_URL = "/media/"
# Not ./media: that is the `media` package (the ffmpeg layer).
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# The npm packages of pictures the offline providers draw subjects with (scripts/setup.sh).
ICON_LIBRARY_DIR = Path(env("ICON_LIBRARY_DIR", str(BASE_DIR / "var" / "icons" / "node_modules")))
# Where phases write scratch files while they work; cleaned after each job.
WORK_ROOT = env("WORK_ROOT") or None

# --- Storage: local files by default, S3 when a bucket is set -------------------------
AWS_ACCESS_KEY_ID = env("AWS_ACCESS_KEY_ID")
AWS_SECRET_ACCESS_KEY = env("AWS_SECRET_ACCESS_KEY")
S3_BUCKET = env("S3_BUCKET")
AWS_REGION = env("AWS_REGION", "us-east-2")
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL") or None
# Where browsers reach the same store, when that differs from where the app does (MinIO in
# docker compose: http://minio:9000 inside, http://127.0.0.1:9000 for the browser).
AWS_S3_PUBLIC_ENDPOINT_URL = env("AWS_S3_PUBLIC_ENDPOINT_URL") or None
# Seconds a presigned link lives. Links are made when the owner asks for the file, so this
# only needs to outlast a download or a paused player, not a page left open.
AWS_PRESIGNED_EXPIRY = envint("AWS_PRESIGNED_EXPIRY", 600)

if S3_BUCKET:
    if not (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY):
        raise ImproperlyConfigured("S3_BUCKET is set but AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not")
    _default_storage = {
        "BACKEND": "phases.s3_storage.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "region_name": AWS_REGION,
            "endpoint_url": AWS_S3_ENDPOINT_URL,
            "public_endpoint_url": AWS_S3_PUBLIC_ENDPOINT_URL,
            "access_key": AWS_ACCESS_KEY_ID,
            "secret_key": AWS_SECRET_ACCESS_KEY,
            "querystring_auth": True,
            "querystring_expire": AWS_PRESIGNED_EXPIRY,
            "file_overwrite": True,
            "default_acl": None,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # Phases write deterministic names (e.g. chunks/<id>/scene_02.mp4) so a re-run
        # replaces its own output instead of piling up renamed copies.
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": MEDIA_URL, "allow_overwrite": True},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Redis and RQ -------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
# The pipeline runs on django-rq's `default` queue, the one a bare `manage.py rqworker` serves;
# the test suite and the benchmarks keep apart from development by their own Redis database.
# Webhook deliveries have a queue of their own: a slow receiver must not hold pipeline workers.
WEBHOOK_QUEUE = env("WEBHOOK_QUEUE", "videogen-webhooks")
RQ_QUEUES = {
    "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600},
    WEBHOOK_QUEUE: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60},
}
# The pipeline's worker loads the job code once, before it forks a work horse per job.
RQ = {"COMMIT_MODE": "on_db_commit", "WORKER_CLASS": "generations.orchestration.worker.Worker"}
RQ_SHOW_ADMIN_LINK = True

# --- Pipeline limits ----------------------------------------------------------------
MAX_COST_PER_GENERATION_USD = envdecimal("MAX_COST_PER_GENERATION_USD", "5.00")
PROVIDER_MAX_RETRIES = envint("PROVIDER_MAX_RETRIES", 3)
# Running jobs stamp a heartbeat this often; work silent for RECONCILE_STALE_SECONDS with
# no job waiting in Redis is re-enqueued by `manage.py reconcile`, at most
# RECONCILE_MAX_RESUMES times before the generation fails.
HEARTBEAT_SECONDS = envint("HEARTBEAT_SECONDS", 5)
RECONCILE_STALE_SECONDS = envint("RECONCILE_STALE_SECONDS", 60)
RECONCILE_MAX_RESUMES = envint("RECONCILE_MAX_RESUMES", 3)
# Reference images given as URLs: the time limit for fetching one (its size and pixel
# limits are the request's, in phases.request).
ASSET_TIMEOUT = envint("ASSET_TIMEOUT", 30)
# When set, /metrics answers only requests with `Authorization: Bearer <METRICS_TOKEN>`.
METRICS_TOKEN = env("METRICS_TOKEN")
MAX_COST_PER_USER_DAY_USD = envdecimal("MAX_COST_PER_USER_DAY_USD", "0") or None
# Backoff between PROVIDER_MAX_RETRIES retries, in seconds: doubling from the base, never
# above the cap (a provider's Retry-After is honoured up to the cap too).
PROVIDER_RETRY_BASE_DELAY = float(envdecimal("PROVIDER_RETRY_BASE_DELAY", "1"))
PROVIDER_RETRY_MAX_DELAY = float(envdecimal("PROVIDER_RETRY_MAX_DELAY", "30"))
# Limits on fetching a provider's output files into the work directory.
PROVIDER_DOWNLOAD_MAX_BYTES = envint("PROVIDER_DOWNLOAD_MAX_BYTES", 512 * 1024 * 1024)
PROVIDER_DOWNLOAD_TIMEOUT = float(envdecimal("PROVIDER_DOWNLOAD_TIMEOUT", "120"))
# x264 threads per chunk encode; 0 lets x264 size its pool for the whole machine. With
# several workers on one machine, cores / workers (bench/README.md measures it on 2 cores).
FFMPEG_THREADS = envint("FFMPEG_THREADS", 0)

# --- REST framework -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "generations.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "videogen API",
    "DESCRIPTION": "Turn a text prompt into a finished MP4 through a six-phase pipeline.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "GenerationStatusEnum": "generations.models.status_choices",
        "BatchStatusEnum": "generations.api.batches.BATCH_STATUSES",
        "PhaseRunStatusEnum": "generations.models.PhaseRun.State",
        "AspectRatioEnum": "generations.models.AspectRatio",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "generations.api.schema.forbid_unknown_request_fields",
    ],
}

# --- API rules ----------------------------------------------------------------------
# Work started per user (create, remix, retry, regenerate, approve, spec edit) on every path,
# as DRF rates ("30/hour"), and generations active at once per user (0: no cap). Counted in
# Redis and the database so every web process shares one count (generations.policy).
GENERATE_RATE = env("GENERATE_RATE", "30/hour") or None
MAX_ACTIVE_GENERATIONS_PER_USER = envint("MAX_ACTIVE_GENERATIONS_PER_USER", 3)
# Staff are held to the same limits unless this is set.
LIMITS_EXEMPT_STAFF = envbool("LIMITS_EXEMPT_STAFF", False)
# Failed sign-ins per username (login page and admin) before it is locked for a while.
LOGIN_FAILURES_ALLOWED = envint("LOGIN_FAILURES_ALLOWED", 5)
LOGIN_LOCKOUT_SECONDS = envint("LOGIN_LOCKOUT_SECONDS", 15 * 60)
# The most items one batch may hold (a JSON list or CSV rows); larger ones are refused whole.
BATCH_MAX_ITEMS = envint("BATCH_MAX_ITEMS", 500)
# Password attempts per username at /api/token/.
TOKEN_RATE = env("TOKEN_RATE", "10/minute") or None
for _name, _rate in (("GENERATE_RATE", GENERATE_RATE), ("TOKEN_RATE", TOKEN_RATE)):
    if _rate and not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", _rate):
        raise ImproperlyConfigured(f"{_name} must look like 30/hour, got {_rate!r}")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "videogen-throttle",
    },
    # Replicate models' input schemas, shared by every worker.
    "replicate": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "videogen-replicate",
    },
}
# Asset and webhook URLs must resolve to public addresses (no SSRF into our own network);
# turn this on only where the assets or webhook receivers live on a private network.
ALLOW_PRIVATE_URLS = envbool("ALLOW_PRIVATE_URLS", False)
# Prefixed to relative media URLs in webhook bodies, which have no request to take a host from.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL").rstrip("/")
WEBHOOK_TIMEOUT = envint("WEBHOOK_TIMEOUT", 10)
try:
    WEBHOOK_RETRY_INTERVALS = [
        int(seconds) for seconds in envlist("WEBHOOK_RETRY_INTERVALS", "10,60,300,1800,7200")
    ]
except ValueError:
    raise ImproperlyConfigured("WEBHOOK_RETRY_INTERVALS must be comma-separated seconds") from None
if any(seconds < 0 for seconds in WEBHOOK_RETRY_INTERVALS):
    raise ImproperlyConfigured("WEBHOOK_RETRY_INTERVALS must not be negative")

# --- Logging ------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Production hardening -----------------------------------------------------------
# X-Forwarded-Proto is believed only when a proxy that sets it sits in front: with gunicorn
# exposed directly, any client could claim https and get secure-only behaviour over http.
if envbool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    # Both bind more than this site (every subdomain; browsers' built-in lists, for months),
    # so they are the operator's decision, not a default.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
    # The deploy checklist asks for the two HSTS extensions above; leaving them off is deliberate.
    SILENCED_SYSTEM_CHECKS = [
        *(["security.W005"] if not SECURE_HSTS_INCLUDE_SUBDOMAINS else []),
        *(["security.W021"] if not SECURE_HSTS_PRELOAD else []),
    ]
