"""Settings of the throw-away benchmark site (``make bench``): the example site as it
ships, in production mode, with its paths in the run's directory.

Chosen by environment variables that ``benchmarks/run.py`` sets for each server:

* ``BENCH_DIR``: the run's temporary directory (SQLite database and media);
* ``DATABASE_URL``: PostgreSQL instead of SQLite when given;
* ``BENCH_SERVE``: ``stream`` (default), ``handoff`` (X-Accel-Redirect through
  django-sendfile2, nginx in front) or ``s3`` (django-storages on moto's S3 server,
  ``WAGTAILDOCS_SERVE_METHOD = "redirect"``);
* ``BENCH_RATE_LIMITS``: ``on`` (counted on every code check, limits too high to trip)
  or ``off``.

DEBUG is off, as in production: with DEBUG on Django keeps every query in memory.
Every other difference from ``example_site.settings`` is listed below as a deviation.
"""

import os
from pathlib import Path

BENCH_DIR = Path(os.environ["BENCH_DIR"])
SERVE = os.environ.get("BENCH_SERVE", "stream")

# What ships: the example site's own settings, as a user runs them in production mode
# (DEBUG off), with only the paths moved into the run's directory. Its SQLite options
# (WAL, synchronous=NORMAL, IMMEDIATE transactions), its connection handling and its
# rate-limit store are the ones measured. The deviations below are named one by one.
for _name, _value in {
    "DEBUG": "0",
    "SECRET_KEY": "benchmark-secret-key-not-for-production-0123456789abcdef",
    "BASE_URL": "http://127.0.0.1",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",  # testserver: query counts
    "DATABASE_URL": f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}",
    "MEDIA_ROOT": str(BENCH_DIR / "media"),
    "STATIC_ROOT": str(BENCH_DIR / "static"),
}.items():
    os.environ.setdefault(_name, _value)

from example_site.settings import *  # noqa: E402, F403

MEDIA_ROOT = str(MEDIA_ROOT)  # noqa: F405 (str for the paths built below)

# Deviation 1: no email leaves the benchmark (the code scenarios read codes from the
# database through setup_data, not from mail).
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"

# Deviation 2 (code scenarios only): per-network limits that a benchmark from one
# address would trip at once are raised, or switched off for the "unlimited" row.
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

# Deviation 3: the serving variants below (stream is the example site's own).

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
