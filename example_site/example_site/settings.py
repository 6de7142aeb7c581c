"""Settings for the wagtail-securelink example site.

The same settings run both deployment shapes of SPEC §9, chosen by environment
variables:

* embedded default (``make demo``): SQLite (which also holds the rate-limit counters:
  no cache to set up), console email, immediate task backend;
* scale-out: ``DATABASE_URL=postgres://…``, ``REDIS_URL=redis://…`` (or
  ``CACHE_URL``), ``EMAIL_URL=smtp://…`` (or ``EMAIL_HOST``/``EMAIL_PORT``), any
  number of gunicorn processes behind a proxy.

For production use ``example_site.settings_production``, which starts from this
module and turns on the HTTPS hardening.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

# example_site/ (the directory holding manage.py)
BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Core -----------------------------------------------------------------------

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set the SECRET_KEY environment variable.")
    # Development only: the name says so, and Django's deploy check flags it.
    SECRET_KEY = "django-insecure-example-site-development-key-do-not-use-in-production"
# Rotation (docs/operations.md): the previous keys, comma-separated, newest first. Links,
# grant cookies, pending codes and the audit check accept them until they are dropped.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

# Every absolute URL the app builds (share links, email links, admin
# notifications) starts from here, never from the request's Host header.
# localhost, not 127.0.0.1: a passkey needs a domain name for its RP id (browsers
# refuse an IP address), and runserver on 127.0.0.1:8000 answers both names.
BASE_URL = os.environ.get("BASE_URL", "http://localhost:8000").rstrip("/")
WAGTAILADMIN_BASE_URL = BASE_URL
WAGTAIL_SECURELINK_BASE_URL = BASE_URL

_base = urlsplit(BASE_URL)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS",
    sorted({_base.hostname or "127.0.0.1", "127.0.0.1", "localhost"}),
)
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS", [f"{_base.scheme}://{_base.netloc}"]
)
# The proxies whose X-Forwarded-For is believed (docs/deployment.md, "Behind a reverse
# proxy"): comma-separated addresses or networks. None by default: runserver and a
# bare gunicorn see the visitor directly. settings_production trusts the shipped nginx.
WAGTAIL_SECURELINK_TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])

INSTALLED_APPS = [
    "demo",
    "wagtail.contrib.settings",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    # After wagtail.documents, whose hooks and templates it builds on.
    "wagtail_securelink",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_tasks",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_site.urls"
WSGI_APPLICATION = "example_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------

# Persistent connections: each worker keeps its connection between requests (checked
# before reuse). On SQLite, closing the last connection checkpoints the write-ahead log
# with an fsync, and a new connection parses the schema again: per request, that cost
# more than the download itself (docs/performance.md, "Database connections" in
# docs/deployment.md). CONN_MAX_AGE=0 closes each connection at the end of its request.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # Take the write lock when a transaction starts, so that concurrent
            # writers (two gunicorn workers redeeming the same code) queue up
            # instead of failing with "database is locked" halfway through.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            # Write-ahead logging: readers never wait for the writer, and a commit is
            # one append to the log instead of rewriting pages with their fsyncs;
            # synchronous=NORMAL is the setting SQLite documents as safe with WAL (a
            # power cut may lose the last commits, never corrupt the database). The
            # verified download is one INSERT, measured in docs/performance.md.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql") and (
    env_bool("DATABASE_POOL", False)
):
    # Django's psycopg pool instead of persistent connections (needs psycopg[pool]);
    # measured against CONN_MAX_AGE in docs/performance.md.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = True

if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # Wagtail's search index uses PostgreSQL's GIN indexes, which Django 6 refuses to
    # create without this app (postgres.E005): PostgreSQL sites need it on any Django.
    INSTALLED_APPS.append("django.contrib.postgres")

# --- Cache (and, with Redis, the rate-limit store) ------------------------------


def cache_from_url(url: str) -> dict:
    """A small CACHE_URL parser: redis://, rediss://, db://table, locmem://, dummy://."""
    parts = urlsplit(url)
    if parts.scheme in {"redis", "rediss", "unix"}:
        # redis-py waits for ever by default: a Redis that accepts connections and
        # stops answering would hold every request (the rate limits ask it on each).
        # With timeouts the call fails in seconds, and the limits fail closed (503).
        options = {
            "socket_connect_timeout": float(
                os.environ.get("REDIS_CONNECT_TIMEOUT", "2")
            ),
            "socket_timeout": float(os.environ.get("REDIS_SOCKET_TIMEOUT", "2")),
        }
        if parts.scheme == "rediss" and os.environ.get("REDIS_CA_CERTS"):
            # TLS with a private CA: the certificate(s) that signed Redis's.
            options["ssl_ca_certs"] = os.environ["REDIS_CA_CERTS"]
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": options,
        }
    if parts.scheme == "db":
        table = (parts.netloc + parts.path).strip("/") or "securelink_cache"
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": table,
        }
    if parts.scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if parts.scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ImproperlyConfigured(f"Unsupported CACHE_URL scheme: {parts.scheme!r}")


_cache_url = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL")
if _cache_url:
    # Redis here also carries the rate limits (WAGTAIL_SECURELINK_RATE_LIMIT_STORE
    # "auto" picks a shared, atomic cache when there is one).
    CACHES = {"default": cache_from_url(_cache_url)}
# Otherwise Django's default LocMem cache: the rate limits are then rows of the
# package's own table, created by migrate, shared by every process on the database.

# --- Email ----------------------------------------------------------------------


# Django's SMTP backend, keeping one connection per thread open between messages: a
# task worker sending a burst of codes does not connect to the mail server for each
# (docs/performance.md, "The code email").
SMTP_BACKEND = "wagtail_securelink.mail.smtp.EmailBackend"


def email_from_url(url: str) -> dict:
    """EMAIL_URL: smtp://user:pass@host:port, smtp+tls://…, smtp+ssl://…, console://."""
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme not in {"smtp", "smtp+tls", "smtp+ssl", "submission"}:
        raise ImproperlyConfigured(f"Unsupported EMAIL_URL scheme: {parts.scheme!r}")
    query = parse_qs(parts.query)
    return {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or 25,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": parts.scheme in {"smtp+tls", "submission"}
        or query.get("tls") == ["true"],
        "EMAIL_USE_SSL": parts.scheme == "smtp+ssl" or query.get("ssl") == ["true"],
        "EMAIL_TIMEOUT": int(os.environ.get("EMAIL_TIMEOUT", "10")),
    }


if os.environ.get("EMAIL_URL"):
    globals().update(email_from_url(os.environ["EMAIL_URL"]))
elif os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = SMTP_BACKEND
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    # Django's default is no timeout: a hung SMTP server would hold the sending
    # thread (a web thread with the immediate backend) for good. Check W007.
    EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
else:
    # The demo prints invitations and verification codes on the console.
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Secure links <noreply@example.com>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Emails are queued through the task framework Wagtail itself uses. Immediate:
# sent during the request. TASK_BACKEND=database queues them in the database
# (django-tasks-db, `pip install wagtail-securelink[scaleout]`), where a worker
# (`manage.py db_worker`) sends them: requests never wait on SMTP.
TASK_BACKEND = os.environ.get("TASK_BACKEND", "immediate").strip().lower()
if TASK_BACKEND == "database":
    INSTALLED_APPS.append("django_tasks_db")
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # An email task a killed worker left running is run again after this many seconds.
    WAGTAIL_SECURELINK_TASK_STALE_AFTER = int(
        os.environ.get("SECURELINK_TASK_STALE_AFTER", "600")
    )
elif TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ImproperlyConfigured(f"Unsupported TASK_BACKEND: {TASK_BACKEND!r}")

# --- Auth -----------------------------------------------------------------------

LOGIN_URL = "wagtailadmin_login"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------------

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media files ------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Earlier versions of documents and the unwatermarked page renders of view-only links:
# a folder of their own outside MEDIA_ROOT, whose files have no URL (nothing a web
# server publishes, whatever it does with /media/). Every app host must see the same
# folder, as for MEDIA_ROOT.
SECURELINK_PRIVATE_ROOT = Path(
    os.environ.get("SECURELINK_PRIVATE_ROOT", MEDIA_ROOT.parent / "securelink_private")
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
    "securelink": {
        "BACKEND": "wagtail_securelink.core.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": SECURELINK_PRIVATE_ROOT},
    },
}

# Hand the bytes of a checked download to nginx (X-Accel-Redirect, django-sendfile2):
# SENDFILE_BACKEND=django_sendfile.backends.nginx, with the internal location of
# deploy/nginx/securelink.conf.
if os.environ.get("SENDFILE_BACKEND"):
    SENDFILE_BACKEND = os.environ["SENDFILE_BACKEND"]
    SENDFILE_ROOT = str(MEDIA_ROOT / "documents")
    SENDFILE_URL = os.environ.get("SENDFILE_URL", "/protected-documents")

# --- Wagtail --------------------------------------------------------------------

WAGTAIL_SITE_NAME = "wagtail-securelink example"

# Documents are always served through a Django view, which is where Wagtail's
# collection privacy and wagtail-securelink's access checks run. Never expose
# MEDIA_ROOT/documents/ through the web server.
WAGTAILDOCS_SERVE_METHOD = "serve_view"

WAGTAILSEARCH_BACKENDS = {
    "default": {"BACKEND": "wagtail.search.backends.database"},
}

# Error emails print the variables of every frame: redact link tokens there too.
DEFAULT_EXCEPTION_REPORTER_FILTER = (
    "wagtail_securelink.core.redaction.RedactingExceptionReporterFilter"
)

# Link tokens are the first factor of a link: every handler redacts them from what it
# writes ("Not Found: /share/[redacted]/"). A filter belongs on handlers, not loggers:
# a logger's filters do not see the records its children propagate.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_share_tokens": {
            "()": "wagtail_securelink.core.redaction.RedactShareTokens"
        },
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact_share_tokens"],
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_share_tokens"],
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "filters": ["require_debug_false", "redact_share_tokens"],
        },
    },
    "loggers": {
        # Django's own: 4xx warnings and 5xx errors name the path (django.request).
        "django": {"handlers": ["console", "mail_admins"], "level": "INFO"},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
        },
        "wagtail_securelink": {
            "handlers": ["console"],
            "level": os.environ.get("SECURELINK_LOG_LEVEL", "INFO"),
            "propagate": False,
        },
    },
}
