"""README.md and docs/installation.md give the same install steps, and
tests/install/wagtail_start.py (``make test-wagtail-start``) can read and apply them."""

import importlib.util
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def docs_steps():
    spec = importlib.util.spec_from_file_location(
        "docs_steps", HERE / "install" / "docs_steps.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_and_installation_give_the_same_steps(docs_steps):
    assert docs_steps.read_steps(docs_steps.README) == docs_steps.read_steps(
        docs_steps.DOCS
    )


def test_the_steps_are_the_three_documented_ones(docs_steps):
    steps = docs_steps.read_steps(docs_steps.DOCS)
    assert steps.commands == [
        "pip install wagtail-securelink",
        "python manage.py migrate",
    ]
    assert steps.apps == [
        "wagtail.contrib.settings",
        "wagtail.documents",
        "wagtail_securelink",
    ]
    assert list(steps.settings) == ["WAGTAIL_SECURELINK_BASE_URL"]
    assert steps.url_lines == ['path("share/", include("wagtail_securelink.urls")),']


def test_apps_go_where_the_docs_say(docs_steps):
    # The INSTALLED_APPS of Wagtail 8.0's project template, shortened.
    template = [
        "home",
        "wagtail.embeds",
        "wagtail.documents",
        "wagtail.images",
        "wagtail",
    ]
    steps = docs_steps.read_steps(docs_steps.DOCS)
    assert docs_steps.add_apps(template, steps.apps) == [
        "home",
        "wagtail.embeds",
        "wagtail.contrib.settings",
        "wagtail.documents",
        "wagtail_securelink",
        "wagtail.images",
        "wagtail",
    ]
