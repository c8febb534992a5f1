"""Settings, read from the environment.

With no environment at all finelabel runs embedded: SQLite under var/, Celery tasks run
eagerly in-process, files under var/media. DATABASE_URL, CELERY_BROKER_URL and
AWS_STORAGE_BUCKET_NAME switch to PostgreSQL, Redis and S3. README.md ("Configuration") lists
every variable.
"""

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FINELABEL_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """The env var wins; embedded mode keeps a generated key under var/ so signed URLs survive
    restarts."""
    if key := os.environ.get("DJANGO_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


# Production mode: served over HTTPS only, behind the TLS proxy that docker-compose.yml runs
# (docs/operations.md, "HTTPS and logins"). Off, the embedded default serves plain http.
FINELABEL_PRODUCTION = env_bool("FINELABEL_PRODUCTION")
if FINELABEL_PRODUCTION and not os.environ.get("DJANGO_SECRET_KEY"):
    raise ImproperlyConfigured(
        "FINELABEL_PRODUCTION is set: set DJANGO_SECRET_KEY too (50 random characters, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
SECRET_KEY = _secret_key()
DEBUG = env_bool("DJANGO_DEBUG")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
if FINELABEL_DOMAIN := os.environ.get("FINELABEL_DOMAIN", ""):  # the TLS proxy's public host
    ALLOWED_HOSTS.append(FINELABEL_DOMAIN)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
if FINELABEL_PRODUCTION:
    # The proxy terminates TLS and says so in X-Forwarded-Proto; only it reaches the app.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # docker-compose.yml's health check asks the app directly, over plain http.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

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
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "annotation",  # the schema's history: its migrations created the tables the apps below use
    "catalogue",
    "crowd",
    "pipeline",
    "review",
    "dashboard",
    "studio",
    "simulation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.handlers.HitInputCheck",  # HIT paths only (as in HIT_MIDDLEWARE)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into its 429 page
]
# The chain for the crowd's HIT pages and submits (config/handlers.py): their security headers
# and frame policy, none of the session, login, messages or CSRF cookie they do not use.
HIT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.handlers.HitInputCheck",  # a NUL or over-long id in the path or MTurk's parameters
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

# Database: SQLite under var/ unless DATABASE_URL is set.
EMBEDDED_DATABASE = not os.environ.get("DATABASE_URL")
DATABASES = {
    # An empty DATABASE_URL means the embedded default too, as EMBEDDED_DATABASE says.
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'finelabel.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        # A kept connection is checked (one round trip) before the first query of each
        # request: one the database dropped (restart, failover, idle timeout) is replaced
        # instead of failing that request.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the demo server and an in-process task write side by side.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    # Tests get a file like the embedded default's (not an in-memory database), so that
    # servers and workers they start in other processes share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"finelabel-test-{os.getpid()}.sqlite3")
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed logins are throttled (django-axes, core/auth.py): after FINELABEL_LOGIN_FAILURE_LIMIT
# failures from one address or for one account, every attempt is refused (429) for
# FINELABEL_LOGIN_COOLOFF_MINUTES. The admin's login and /api/token/ count together.
AUTHENTICATION_BACKENDS = [
    "core.auth.LoginThrottleBackend",  # first: refuses a locked-out client before any check
    "django.contrib.auth.backends.ModelBackend",
]
# The researchers' sign-in page (config/urls.py); after it, their campaigns (studio/).
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "studio-list"
LOGOUT_REDIRECT_URL = "home"
AXES_FAILURE_LIMIT = int(os.environ.get("FINELABEL_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(
    minutes=float(os.environ.get("FINELABEL_LOGIN_COOLOFF_MINUTES", "15"))
)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.auth.client_ip"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", VAR_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(os.environ.get("FINELABEL_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

# File storage: local folder by default, S3 (django-storages over boto3) with a bucket name.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL") or None
AWS_S3_REGION_NAME = os.environ.get("AWS_S3_REGION_NAME") or None
AWS_QUERYSTRING_EXPIRE = int(os.environ.get("FINELABEL_IMAGE_URL_MAX_AGE", 6 * 3600))
AWS_DEFAULT_ACL = None
AWS_S3_FILE_OVERWRITE = True
STORAGES = {
    "default": (
        {"BACKEND": "storages.backends.s3.S3Storage"}
        if AWS_STORAGE_BUCKET_NAME
        else {
            # Keys are content-derived: saving the same key again must replace, not rename.
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"allow_overwrite": True},
        }
    ),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Celery: eager in-process unless a broker is named.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "models_zoo.*": {"queue": "gpu"},
    "pipeline.tasks.potential_labels.*": {"queue": "gpu"},
    "crowd.mturk.*": {"queue": "mturk"},
}
# The default cache holds the dashboard's analyses and charts. Shared through Redis when there
# is one, so web workers and the Celery task that prewarms the dashboard after each stage see
# the same entries (and the crowd's kept values are shared too: crowd/caching.py); per process
# otherwise (the embedded default).
CACHE_URL = os.environ.get(
    "FINELABEL_CACHE_URL", CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else ""
)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # What the crowd's hot paths keep per process, so that reading it makes no round trip: a
    # task's rendered content (crowd/hits/content.py, about 20 kB an entry) and members, and
    # the HIT page frames (crowd/hits/views.py).
    "hits": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "hits",
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}
if CACHE_URL:
    CACHES["default"] = {
        # Django's, keeping one redis client per pool (config/redis_cache.py).
        "BACKEND": "config.redis_cache.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": "finelabel",
    }
# A finished stage run queues the redraw of its campaign's dashboard (dashboard/warm.py).
FINELABEL_DASHBOARD_PREWARM = (
    os.environ.get("FINELABEL_DASHBOARD_PREWARM", "0" if CELERY_TASK_ALWAYS_EAGER else "1") == "1"
)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

# finelabel's own settings.
NLTK_DATA = Path(os.environ.get("NLTK_DATA", VAR_DIR / "nltk_data"))
FINELABEL_WEIGHTS_DIR = os.environ.get("FINELABEL_WEIGHTS_DIR", "")
FINELABEL_IMAGE_URL_MAX_AGE = AWS_QUERYSTRING_EXPIRE
FINELABEL_THUMBNAIL_SIZE = int(os.environ.get("FINELABEL_THUMBNAIL_SIZE", "256"))
# The submit's one statement prepared once per database connection (crowd/services/
# first_answer.py); set 0 behind a connection pooler in transaction mode (PgBouncer's default).
FINELABEL_PREPARED_SUBMIT = env_bool("FINELABEL_PREPARED_SUBMIT", True)
FINELABEL_IMPORT_WORKERS = int(os.environ.get("FINELABEL_IMPORT_WORKERS", "0"))  # 0: all cores
# Stage runs (pipeline/stages/runs.py): a running run beats every HEARTBEAT seconds; one
# silent for STALE_AFTER seconds had its process killed and is marked failed.
FINELABEL_STAGE_RUN_HEARTBEAT = float(os.environ.get("FINELABEL_STAGE_RUN_HEARTBEAT", "30"))
FINELABEL_STAGE_RUN_STALE_AFTER = float(os.environ.get("FINELABEL_STAGE_RUN_STALE_AFTER", "300"))
# HIT pages: who may frame them (CSP frame-ancestors) and where the page may post MTurk's
# externalSubmit form (origins of turkSubmitTo); docs/hits-and-mturk.md, "Security of the pages".
FINELABEL_HIT_FRAME_ANCESTORS = env_list(
    "FINELABEL_HIT_FRAME_ANCESTORS", "https://*.mturk.com,https://mturk.com"
)
FINELABEL_TURK_SUBMIT_ORIGINS = env_list(
    "FINELABEL_TURK_SUBMIT_ORIGINS", "https://www.mturk.com,https://workersandbox.mturk.com"
)

# Mechanical Turk: the sandbox unless FINELABEL_MTURK_LIVE is set (and the command confirms).
FINELABEL_MTURK_LIVE = env_bool("FINELABEL_MTURK_LIVE")
# The campaign page reads control images (folders, files a CSV names) only under this folder.
FINELABEL_CONTROLS_ROOT = Path(os.environ.get("FINELABEL_CONTROLS_ROOT", VAR_DIR / "controls"))
# ...and fetches http(s) URLs only from these hosts: the server must not be made to request
# addresses of its own network on a researcher's behalf. Commands are not limited.
FINELABEL_CONTROLS_URL_HOSTS = env_list("FINELABEL_CONTROLS_URL_HOSTS", "")
# The https base of the HIT pages (crowd/public_url.py checks it); the TLS proxy's by default.
FINELABEL_PUBLIC_URL = os.environ.get("FINELABEL_PUBLIC_URL") or (
    f"https://{FINELABEL_DOMAIN}" if FINELABEL_DOMAIN else ""
)
FINELABEL_MTURK_SYNC_INTERVAL = int(os.environ.get("FINELABEL_MTURK_SYNC_INTERVAL", "600"))
CELERY_BEAT_SCHEDULE = {
    "mturk-sync": {
        "task": "crowd.mturk.sync_open_hits",
        "schedule": FINELABEL_MTURK_SYNC_INTERVAL,
    },
    # Runs whose process was killed are marked failed (pipeline/stages/runs.py).
    "interrupted-stage-runs": {
        "task": "pipeline.mark_interrupted_runs",
        "schedule": FINELABEL_STAGE_RUN_STALE_AFTER,
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "core.http.api_exception_handler",
    # An unknown ?format= is a 400; a JSON body nested too deeply, a parse error (400).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.ContentNegotiation",
    "DEFAULT_PARSER_CLASSES": [
        "api.negotiation.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "finelabel API",
    "DESCRIPTION": "Fine-grained crowd relabeling of image datasets.",
    "VERSION": "0.1.0",
    # Swagger UI and Redoc are served from our own static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets shared by several review fields get one name each.
    "ENUM_NAME_OVERRIDES": {
        "MistakeCategoryEnum": "review.models.MistakeCategory",
        "VerdictEnum": "review.models.Verdict",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},  # its banner at every start; failed logins still log
    },
}

# Serve static files straight from the apps and static/ (no collectstatic step needed).
WHITENOISE_USE_FINDERS = True
