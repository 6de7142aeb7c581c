"""Django settings for the pytest suite (``DJANGO_SETTINGS_MODULE=tests.settings``).

Defaults mirror the embedded deployment shape, as a project made by ``wagtail start``
has it: SQLite and Django's default (LocMem) cache, so the rate limits are counted in
the database.
The same suite runs on the scale-out shape when the environment says so::

    DATABASE_URL=postgres://…/securelink REDIS_URL=redis://127.0.0.1:6379/15 make test

Beware: the suite clears the cache between tests, which on Redis is FLUSHDB.
Point REDIS_URL at a database number that nothing else uses.
"""

import os
import tempfile

import dj_database_url

SECRET_KEY = "tests-secret-key-not-for-production-0123456789abcdef"
DEBUG = False
ALLOWED_HOSTS = ["*"]

WAGTAIL_SECURELINK_BASE_URL = "https://share.example.test"
# Seal each access event into the hash chain as it is recorded, so tests can check the
# chain at once (tests/audit/test_chain.py covers the batched sealing that sites use).
WAGTAIL_SECURELINK_AUDIT_SEAL_DELAY = 0
WAGTAILADMIN_BASE_URL = "https://share.example.test"

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

ROOT_URLCONF = "tests.urls"

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

# As in the example site: writers take the lock when the transaction starts and wait
# for each other. Test data need not survive a power cut: no fsyncs, so the file
# database below is about as fast as memory.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA synchronous=OFF;",
}

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        # The multi-process tests' children open the parent's test file this way:
        # they must wait for the write lock as the parent does, not fail at once.
        DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": ":memory:",
            "OPTIONS": dict(SQLITE_OPTIONS),
            # A file, not memory, so that the concurrency tests' threads each
            # get their own connection to one shared database. One name per
            # process so parallel runs do not collide; the test runner deletes
            # it at the end.
            "TEST": {
                "NAME": os.path.join(
                    tempfile.gettempdir(),
                    f"wagtail-securelink-tests-{os.getpid()}.sqlite3",
                )
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # Wagtail's search index uses PostgreSQL's GIN indexes, which Django 6 refuses to
    # create without this app (postgres.E005): PostgreSQL sites need it on any Django.
    INSTALLED_APPS.append("django.contrib.postgres")

if os.environ.get("REDIS_URL"):
    # The scale-out shape: "auto" keeps the rate limits in Redis.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "securelink-tests",
        }
    }
# Otherwise Django's default LocMem cache, as in `wagtail start`: "auto" keeps the
# rate limits in the database, with nothing to create and no check to silence.

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "Secure links <noreply@share.example.test>"

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "wagtailadmin_login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
MEDIA_URL = "/media/"
# Replaced by a per-test temporary directory in conftest.py.
MEDIA_ROOT = os.path.join(os.path.dirname(__file__), "media-not-used")
# The package's private files (earlier versions, unwatermarked renders) in a storage of
# their own, outside MEDIA_ROOT and without URLs; conftest.py gives each test its own
# folder beside its MEDIA_ROOT.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
    "securelink": {
        "BACKEND": "wagtail_securelink.core.storage.PrivateFileSystemStorage",
        "OPTIONS": {
            "location": os.path.join(os.path.dirname(__file__), "private-not-used")
        },
    },
}

WAGTAIL_SITE_NAME = "wagtail-securelink tests"
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILSEARCH_BACKENDS = {
    "default": {"BACKEND": "wagtail.search.backends.database"},
}
