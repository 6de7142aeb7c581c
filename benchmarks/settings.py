"""Settings of the throw-away benchmark site (``make bench``).

Chosen by environment variables that ``benchmarks/run.py`` sets for each server:

* ``BENCH_DIR``: the run's temporary directory (SQLite database and media);
* ``DATABASE_URL``: PostgreSQL instead of SQLite when given;
* ``BENCH_SERVE``: ``stream`` (default), ``handoff`` (X-Accel-Redirect through
  django-sendfile2, nginx in front) or ``s3`` (django-storages on moto's S3 server,
  ``WAGTAILDOCS_SERVE_METHOD = "redirect"``);
* ``BENCH_RATE_LIMITS``: ``on`` (counted on every code check, limits too high to trip)
  or ``off``.

DEBUG is off, as in production: with DEBUG on Django keeps every query in memory.
"""

import os
from pathlib import Path

import dj_database_url

BENCH_DIR = Path(os.environ["BENCH_DIR"])
SERVE = os.environ.get("BENCH_SERVE", "stream")

SECRET_KEY = "benchmark-secret-key-not-for-production-0123456789abcdef"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]  # testserver: query counts
WAGTAIL_SECURELINK_BASE_URL = "http://127.0.0.1"
WAGTAILADMIN_BASE_URL = "http://127.0.0.1"

INSTALLED_APPS = [
    "wagtail.contrib.settings",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
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

ROOT_URLCONF = "benchmarks.urls"
WSGI_APPLICATION = "benchmarks.wsgi.application"

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
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}", conn_max_age=600
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # As the example site: writers queue for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # WAL with synchronous=NORMAL, as Django's SQLite notes suggest: a commit
        # (every download appends an audit event) then costs no fsync.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# No CACHES: Django's default LocMem cache, so the rate limits are counted in the
# database, as in the example site and a `wagtail start` project.

if os.environ.get("BENCH_RATE_LIMITS", "on") == "on":
    # Counted on every request as in production, but never reached by the load.
    for _name in (
        "SEND_PER_NETWORK",
        "SEND_PER_LINK",
        "CHECK_PER_NETWORK",
        "CHECK_PER_LINK",
        "LOOKUP_PER_NETWORK",
    ):
        globals()[f"WAGTAIL_SECURELINK_RATE_{_name}"] = "1000000/h"
else:
    for _name in ("CHECK_PER_NETWORK", "CHECK_PER_LINK", "LOOKUP_PER_NETWORK"):
        globals()[f"WAGTAIL_SECURELINK_RATE_{_name}"] = None

EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
MEDIA_URL = "/media/"
MEDIA_ROOT = str(BENCH_DIR / "media")

WAGTAIL_SITE_NAME = "wagtail-securelink benchmark"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_SERVE_METHOD = "serve_view"

if SERVE == "handoff":
    SENDFILE_BACKEND = "django_sendfile.backends.nginx"
    SENDFILE_ROOT = MEDIA_ROOT
    SENDFILE_URL = "/protected"
elif SERVE == "s3":
    WAGTAILDOCS_SERVE_METHOD = "redirect"
    STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "bench-documents",
                "endpoint_url": os.environ["BENCH_S3_ENDPOINT"],
                "access_key": "bench",
                "secret_key": "bench-secret",
                "region_name": "us-east-1",
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["null"], "level": "WARNING"},
}
