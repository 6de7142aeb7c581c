import django
import pytest
import wagtail
from django.core.cache import caches

import wagtail_securelink

# The tests that take seconds each on this project's 2-core machine: real page renders,
# 10,000-row query counts, timing comparisons and fuzzing. They carry the ``slow``
# marker, which `make test-fast` leaves out; `make test` and CI run them. Named here,
# not in each module, so that the edit loop's list is one place to read
# (tests/test_project.py checks that each name still exists).
SLOW = {
    "tests/admin/test_people_admin.py::test_search_costs_the_same_queries_at_two_sizes",
    "tests/api/test_limits_and_fuzz.py::test_list_query_counts_are_constant",
    "tests/core/test_storage.py::test_the_renders_of_a_view_only_link_are_written_to_the_private_storage_only",
    "tests/security/test_s4_lockout.py::test_the_default_threshold_is_100_consecutive_failures",
    "tests/security/test_s7_counters.py::test_pages_evolve_the_same_for_listed_and_unlisted_addresses",
    "tests/security/test_s7_no_enumeration.py::test_listed_and_unlisted_take_the_same_time",
    "tests/security/test_s8_no_prefetch_damage.py::test_gets_do_not_end_a_grant",
    "tests/security/test_s13_fuzz.py",
    "tests/serving/test_limits.py::test_a_limited_link_shows_rendered_pages_and_counts_the_inline_file",
    "tests/serving/test_limits.py::test_download_limit_is_per_person_on_a_link_for_specific_people",
    "tests/serving/test_limits.py::test_open_limit_counts_one_open_per_visitor_session",
    "tests/serving/test_renders.py",
    "tests/sharing/test_access_export.py::test_query_count_is_constant_from_10_to_10000_recipients",
    "tests/test_query_counts.py::test_collection_listing_and_search_do_not_grow",
    "tests/viewer/test_viewer.py::test_pages_navigate_and_clamp",
    "tests/viewer/test_viewer.py::test_renders_are_cached_per_version_and_a_new_version_is_rendered_afresh",
    "tests/viewer/test_viewer.py::test_rendered_pages_are_recorded_as_views",
    "tests/viewer/test_viewer.py::test_view_only_never_sends_a_byte_of_the_original",
    "tests/viewer/test_watermarks.py::test_downloaded_pdfs_are_stamped_for_the_visitor",
    "tests/viewer/test_watermarks.py::test_rendered_pages_carry_the_viewer_the_date_and_the_link_id",
}


def pytest_collection_modifyitems(config, items):
    seen = set()
    for item in items:
        function = item.nodeid.split("[")[0]
        for name in (function, item.nodeid.split("::")[0]):
            if name in SLOW:
                item.add_marker(pytest.mark.slow)
                seen.add(name)


def pytest_report_header(config):
    # `make test-wheel` relies on this line to show which copy is under test.
    return [
        f"wagtail_securelink {wagtail_securelink.__version__} from {wagtail_securelink.__file__}",
        f"Django {django.get_version()}, Wagtail {wagtail.__version__}",
    ]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Each test writes its documents into its own temporary MEDIA_ROOT, and the
    package's private files into its own private folder beside it."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    private = dict(settings.STORAGES["securelink"])
    private["OPTIONS"] = {
        **private.get("OPTIONS", {}),
        "location": str(tmp_path / "private"),
    }
    settings.STORAGES = {**settings.STORAGES, "securelink": private}


@pytest.fixture(autouse=True)
def _clear_cache(django_db_setup, django_db_blocker):
    """Start every test with empty caches, so rate-limit counters never leak.

    Depends on ``django_db_setup`` so that a cache kept in the database (none by
    default) could be cleared. The database counters roll back with each test.
    """
    with django_db_blocker.unblock():
        for cache in caches.all():
            cache.clear()
    yield


@pytest.fixture(autouse=True)
def _deliveries_finish(request):
    """Let the background delivery thread finish before the test's database goes.

    In a transactional test, emails go out from that thread on its own connection
    (as in a web process). Left running, it could hold row locks while pytest-django
    truncates every table after the test, and PostgreSQL ends one of the two with a
    deadlock: "Database test_securelink couldn't be flushed". Setting up the database
    fixture first makes this fixture's teardown run before the flush.
    """
    if request.node.get_closest_marker("django_db"):
        request.getfixturevalue("_django_db_helper")
    yield
    from wagtail_securelink.tasks import background as delivery

    assert delivery.flush(), "the delivery thread did not finish within 10 s"


# -- people and items shared by the admin tests ------------------------------------------
# An editor who may share in "Legal" only; "Finance" is out of their reach.


@pytest.fixture
def root_collection(db):
    # A transactional test flushes the tables, and the root collection that the
    # migrations created goes with them: recreate it for the tests that run after one.
    from wagtail.models import Collection

    return Collection.get_first_root_node() or Collection.add_root(name="Root")


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


# -- a link for the visitor tests -----------------------------------------------------------


@pytest.fixture
def link(root_collection):
    """A link for alice@example.com alone, to "Contract" in the root collection."""
    from tests.factories import make_document, make_link

    return make_link(make_document("Contract"), ["alice@example.com"])


# -- a collection tree for the collection-link tests ---------------------------------------


@pytest.fixture
def tree():
    """Project ⊃ Drawings, and Elsewhere; four documents with known bytes."""
    from tests.factories import make_collection, make_document

    root = make_collection("Project")
    sub = make_collection("Drawings", parent=root)
    other = make_collection("Elsewhere")
    docs = {
        "plan": make_document("Plan", "plan.pdf", b"%PDF-plan", collection=root),
        "notes": make_document("Notes", "notes.txt", b"notes", collection=root),
        "drawing": make_document(
            "Drawing", "drawing.png", b"\x89PNG-drawing", collection=sub
        ),
        "secret": make_document("Secret", "secret.txt", b"secret", collection=other),
    }
    return root, sub, other, docs
