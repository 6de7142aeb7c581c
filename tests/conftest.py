import django
import pytest
import wagtail
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.management import call_command

import wagtail_securelink


def pytest_report_header(config):
    # `make test-wheel` relies on this line to show which copy is under test.
    return [
        f"wagtail_securelink {wagtail_securelink.__version__} from {wagtail_securelink.__file__}",
        f"Django {django.get_version()}, Wagtail {wagtail.__version__}",
    ]


def _uses_database_cache() -> bool:
    return any(
        cache["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
        for cache in django_settings.CACHES.values()
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, plus the cache table when the cache lives in it."""
    if _uses_database_cache():
        with django_db_blocker.unblock():
            call_command("createcachetable", verbosity=0)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Each test writes its documents into its own temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _clear_cache(django_db_setup, django_db_blocker):
    """Start every test with empty caches, so rate-limit counters never leak.

    Depends on ``django_db_setup`` because with the database cache, clearing it
    is a query against the test database.
    """
    with django_db_blocker.unblock():
        for cache in caches.all():
            cache.clear()
    yield


# -- people and items shared by the admin tests ------------------------------------------
# An editor who may share in "Legal" only; "Finance" is out of their reach.


@pytest.fixture
def legal():
    from tests.factories import make_collection

    return make_collection("Legal")


@pytest.fixture
def finance():
    from tests.factories import make_collection

    return make_collection("Finance")


@pytest.fixture
def superuser():
    from tests.factories import make_user

    return make_user("root", superuser=True)


@pytest.fixture
def editor(legal):
    from tests.factories import make_user

    return make_user(
        "editor",
        perms=["wagtailadmin.access_admin", "wagtail_securelink.add_sharelink"],
        collection_perms=[(legal, "change_document")],
    )


@pytest.fixture
def contract(legal):
    from tests.factories import make_document

    return make_document("Contract", collection=legal)


@pytest.fixture
def budget(finance):
    from tests.factories import make_document

    return make_document("Budget", collection=finance)
