"""Fixtures for the multi-process tests: see ``cluster.py``.

They run only when the environment names the scale-out servers (``DATABASE_URL`` on
PostgreSQL, ``REDIS_URL`` set and ``redis-server`` installed), as
``scripts/services.sh run …`` and CI arrange; elsewhere they are skipped. Nothing
here touches pytest-django's test database: the cluster has a database of its own.
"""

import os

import pytest

from tests.harness.mail import smtp_sink

from .cluster import Cluster, Postgres, Redis, scaleout_environment

SKIP_REASON = (
    "needs DATABASE_URL=postgres://… and REDIS_URL (see scripts/services.sh) "
    "and redis-server"
)


def pytest_collection_modifyitems(config, items):
    if scaleout_environment() is not None:
        return
    if os.environ.get("SCALEOUT_REQUIRED"):
        # `make test-scaleout` (and so CI) must not pass by skipping them.
        raise pytest.UsageError(
            f"SCALEOUT_REQUIRED is set and the multi-process tests would be skipped: "
            f"the scale-out tests {SKIP_REASON}"
        )
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if "scaleout" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _media_root():
    """Override tests/conftest.py: the cluster has its own MEDIA_ROOT."""


@pytest.fixture(autouse=True)
def _clear_cache():
    """Override tests/conftest.py, whose version would create the test database."""


@pytest.fixture(scope="module")
def database():
    database_url, _redis_url = scaleout_environment()
    db = Postgres(database_url)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    server = Redis(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def mailbox():
    with smtp_sink() as box:
        yield box


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, database, redis, mailbox):
    site = Cluster(
        directory=tmp_path_factory.mktemp("cluster"),
        database_url=database.url,
        redis_url=redis.url,
        smtp_port=mailbox.port,
    )
    try:
        site.set_up()
        site.start_web()
        site.start_worker()
        yield site
    finally:
        site.close()


@pytest.fixture(autouse=True)
def _fresh_limits(request):
    """Each test starts with empty rate-limit counters: every request comes from
    127.0.0.1, one client network, whose hourly limits the tests would otherwise share."""
    if "redis" in request.fixturenames:
        redis = request.getfixturevalue("redis")
        if redis.process is not None and redis.process.poll() is None:
            redis.flush()
