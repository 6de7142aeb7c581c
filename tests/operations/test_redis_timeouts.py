"""The example site's Redis cache has socket timeouts: a Redis that accepts the
connection and never answers fails the call in the time set, not never."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.process
EXAMPLE_SITE = Path(__file__).resolve().parents[2] / "example_site"

PROBE = """
import time, django
django.setup()
from django.conf import settings
from django.core.cache import cache
print(sorted(settings.CACHES["default"]["OPTIONS"].items()))
started = time.monotonic()
try:
    cache.get("probe")
except Exception as error:
    print(type(error).__name__, round(time.monotonic() - started, 2))
"""


@pytest.fixture
def silent_redis():
    """A TCP port that accepts connections (the kernel's backlog) and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


def probe(port, timeout=None, **env):
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=EXAMPLE_SITE,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "example_site.settings",
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "DATABASE_URL": "sqlite:///:memory:",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_a_silent_redis_fails_the_call_within_the_socket_timeout(silent_redis):
    done = probe(silent_redis, timeout=60, REDIS_SOCKET_TIMEOUT="0.5")
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stderr
    assert "('socket_connect_timeout', 2.0)" in lines[0]
    assert "('socket_timeout', 0.5)" in lines[0]
    name, seconds = lines[1].split()
    assert name == "TimeoutError"
    assert 0.4 <= float(seconds) < 3


def test_without_a_timeout_redis_py_would_wait(silent_redis):
    """redis-py's default (no timeout) on the same socket: still waiting after 3 s.
    Closing the listening socket afterwards resets the connection and ends it."""
    import threading

    import redis

    client = redis.Redis(host="127.0.0.1", port=silent_redis)
    outcome = []

    def call():
        try:
            outcome.append(client.get("probe"))
        except Exception as error:  # the reset, once the test is over
            outcome.append(error)

    waiting = threading.Thread(target=call, daemon=True)
    waiting.start()
    waiting.join(3)
    assert waiting.is_alive() and outcome == []


def test_a_private_ca_for_rediss():
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CACHES['default']['OPTIONS']['ssl_ca_certs'])",
        ],
        cwd=EXAMPLE_SITE,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "example_site.settings",
            "REDIS_URL": "rediss://:pw@redis.internal:6380/0",
            "REDIS_CA_CERTS": "/etc/ssl/certs/private-ca.pem",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.strip() == "/etc/ssl/certs/private-ca.pem", done.stderr
