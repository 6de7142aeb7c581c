"""Smoke tests of the project around the package: the example site and migrations."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

# Each test starts other processes (manage.py, a build): make test runs them.
pytestmark = pytest.mark.process

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SITE = ROOT / "example_site"


def run(args, *, cwd, settings_module, **env):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module, **env}
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def assert_ok(result):
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"


def test_example_settings_import():
    result = run(
        [
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.WAGTAIL_SECURELINK_BASE_URL, settings.EMAIL_BACKEND)",
        ],
        cwd=EXAMPLE_SITE,
        settings_module="example_site.settings",
    )
    assert_ok(result)


@pytest.mark.parametrize(
    "args",
    [
        ["manage.py", "check", "--fail-level", "WARNING"],
        ["manage.py", "makemigrations", "--check", "--dry-run"],
    ],
    ids=["check", "makemigrations"],
)
def test_example_site(args, tmp_path):
    result = run(
        args,
        cwd=EXAMPLE_SITE,
        settings_module="example_site.settings",
        # Keep the demo's own db.sqlite3 out of it.
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert_ok(result)


def test_example_site_deploy_check(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=EXAMPLE_SITE,
        settings_module="example_site.settings_production",
        SECRET_KEY=secrets.token_urlsafe(50),
        BASE_URL="https://share.example.com",
        ALLOWED_HOSTS="share.example.com",
        # The example's own default (example.com) is a placeholder: W008 says so.
        DEFAULT_FROM_EMAIL="Secure links <noreply@share.university.ac.uk>",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert_ok(result)


def test_no_missing_migrations():
    result = run(
        ["-m", "django", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        settings_module="tests.settings",
    )
    assert_ok(result)


def test_every_slow_name_is_a_test():
    # The `slow` list of tests/conftest.py marks by name: a renamed test would silently
    # come back into `make test-fast`, or a typo leave a slow one in.
    from tests.conftest import SLOW

    root = Path(__file__).resolve().parent.parent
    for name in SLOW:
        path, _, function = name.partition("::")
        source = (root / path).read_text()
        assert not function or f"def {function}(" in source, name


def test_no_tracker_numbers_in_code_or_user_docs():
    # The package, its templates and the user docs are read by people who do not have
    # our tracker: "issue 29" tells them nothing. docs/dev/ (the project's own history)
    # may name them.
    import re

    root = Path(__file__).resolve().parent.parent
    pattern = re.compile(r"\bissues? #?\d+\b", re.IGNORECASE)
    files = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    files += sorted((root / "wagtail_securelink").rglob("*.py"))
    files += sorted((root / "wagtail_securelink").rglob("*.html"))
    found = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in files
        for match in pattern.finditer(path.read_text())
    ]
    assert found == []
