"""Our migrations run on every supported Wagtail, the oldest (7.4 LTS) included.

A migration made with `makemigrations` on the newest Wagtail may pick up a dependency on
one of its newest migrations (it once named ``wagtailcore.0098_apitoken``, which Wagtail
7.4 does not have: every 7.4 site stopped with ``NodeNotFoundError``). The newest
``wagtailcore`` and ``wagtaildocs`` migrations of the oldest supported Wagtail are
written down here; a dependency on anything later fails this test on every Wagtail,
and the list itself is checked against the installed Wagtail when that is 7.4.
"""

import pytest
import wagtail
from django.db.migrations.loader import MigrationLoader

APP = "wagtail_securelink"

OLDEST_WAGTAIL = (7, 4)

# The newest migration of each app in the oldest supported Wagtail (wagtail 7.4.4's
# wheel). When the oldest supported Wagtail changes, update this and OLDEST_WAGTAIL.
NEWEST_IN_OLDEST_WAGTAIL = {
    "wagtailcore": "0097_baselogentry_uuid_action_timestamp_indexes",
    "wagtaildocs": "0014_alter_document_file_size",
}

# Apps we may depend on only through `__first__` (swappable models: the user model and
# the document model, whichever app provides them).
FIRST_ONLY = "__first__"


def number(name: str) -> int:
    return int(name.split("_", 1)[0])


@pytest.fixture(scope="module")
def loader():
    # No connection: the graph from the files alone, no database needed.
    return MigrationLoader(None, ignore_no_migrations=True)


def our_dependencies(loader):
    for (app, name), migration in sorted(loader.disk_migrations.items()):
        if app != APP:
            continue
        for dependency in migration.dependencies:
            if dependency[0] != APP:
                yield f"{app}.{name}", dependency


def test_we_have_migrations_with_outside_dependencies(loader):
    # Guards the test below against passing vacuously (e.g. a loader that found nothing).
    dependencies = list(our_dependencies(loader))
    assert any(app == "wagtailcore" for _, (app, _name) in dependencies)


def test_migrations_depend_only_on_what_the_oldest_wagtail_has(loader):
    too_new = []
    for migration, (app, name) in our_dependencies(loader):
        if name == FIRST_ONLY:
            continue
        newest = NEWEST_IN_OLDEST_WAGTAIL.get(app)
        if newest is None or number(name) > number(newest):
            too_new.append(f"{migration} depends on {app}.{name}")
    oldest = ".".join(map(str, OLDEST_WAGTAIL))
    assert not too_new, (
        f"Wagtail {oldest} does not have: {too_new}. Depend on an older migration "
        "(see NEWEST_IN_OLDEST_WAGTAIL in this file)."
    )


def test_allowlist_names_migrations_of_the_installed_wagtail(loader):
    for app, name in NEWEST_IN_OLDEST_WAGTAIL.items():
        assert (app, name) in loader.graph.nodes, f"{app}.{name} is not installed"


@pytest.mark.skipif(
    wagtail.VERSION[:2] != OLDEST_WAGTAIL,
    reason="the list is checked against Wagtail 7.4 itself (make test-oldest)",
)
def test_allowlist_is_the_newest_of_the_oldest_wagtail(loader):
    for app, name in NEWEST_IN_OLDEST_WAGTAIL.items():
        assert loader.graph.leaf_nodes(app) == [(app, name)]


def test_our_migrations_apply_on_the_installed_wagtail(loader):
    # The graph is consistent: every dependency of ours resolves to a node here.
    for migration, dependency in our_dependencies(loader):
        app, name = dependency
        if name == FIRST_ONLY:
            assert loader.graph.root_nodes(app), f"{migration}: no app {app}"
        else:
            assert dependency in loader.graph.nodes, f"{migration}: {dependency}"


def test_one_initial_migration_before_the_first_release(loader):
    # Squashed before the first release: a new site runs one migration.
    ours = sorted(name for app, name in loader.disk_migrations if app == APP)
    assert ours == ["0001_initial"]


@pytest.mark.django_db
def test_trigram_indexes_exist_on_postgresql_only():
    """The searches' GIN trigram indexes are PostgreSQL's; SQLite migrates without
    them (their operation changes no model state, so makemigrations stays quiet)."""
    from django.db import connection

    from wagtail_securelink.models import Recipient, ShareLink

    with connection.cursor() as cursor:
        names = set()
        for model in (Recipient, ShareLink):
            names |= set(
                connection.introspection.get_constraints(cursor, model._meta.db_table)
            )
    wanted = {"securelink_recipient_email_trgm", "securelink_link_title_trgm"}
    if connection.vendor == "postgresql":
        assert wanted <= names
    else:
        assert not wanted & names
    assert "securelink_recipient_email" in names


@pytest.mark.django_db
def test_the_standards_bounds_are_in_the_database_schema_state():
    """RFC 4226's code lengths (6 to 8) and NIST SP 800-63B-4's 100 consecutive
    failures are the bounds the migration records, not only the model's."""
    from django.core.exceptions import ValidationError
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    state = executor.loader.project_state((APP, "0001_initial")).apps
    Policy = state.get_model(APP, "SecureLinkPolicy")
    for name, too_big in (("code_length", 9), ("lockout_threshold", 101)):
        field = Policy._meta.get_field(name)
        with pytest.raises(ValidationError):
            field.run_validators(too_big)
        field.run_validators(too_big - 1)


def load_initial():
    import importlib

    module = importlib.import_module(f"{APP}.migrations.0001_initial")
    return importlib.reload(module)


def document_targets(migration):
    from django.db import migrations, models

    return {
        (operation.name, name): field.remote_field.model
        for operation in migration.operations
        if isinstance(operation, migrations.CreateModel)
        for name, field in operation.fields
        if isinstance(field, models.ForeignKey) and name == "document"
    }


def test_a_custom_document_model_is_followed(settings):
    # A site with its own document model (WAGTAILDOCS_DOCUMENT_MODEL, as Wagtail
    # documents) gets foreign keys to it and a dependency on its app, not on
    # wagtaildocs: otherwise migrate fails there or points at the wrong table.
    settings.WAGTAILDOCS_DOCUMENT_MODEL = "library.Record"
    try:
        migration = load_initial().Migration
        targets = document_targets(migration)
        assert set(targets.values()) == {"library.Record"}, targets
        assert ("library", "__first__") in migration.dependencies
        assert not any(app == "wagtaildocs" for app, _ in migration.dependencies)
    finally:
        del settings.WAGTAILDOCS_DOCUMENT_MODEL
        load_initial()
    default = load_initial().Migration
    assert set(document_targets(default).values()) == {"wagtaildocs.Document"}
    # Three foreign keys to the document: the link, the private item and the version.
    assert len(document_targets(default)) == 3
