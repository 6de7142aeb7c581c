"""Rolling upgrades (docs/operations.md, "Upgrades"): every column a migration after
0001_initial adds is nullable or has a database default, so processes still running
the previous release can insert rows while the new migrations are applied."""

from django.db import migrations
from django.db.migrations.loader import MigrationLoader
from django.db.models import NOT_PROVIDED

APP = "wagtail_securelink"


def later_operations(loader):
    for (app, name), migration in sorted(loader.disk_migrations.items()):
        if app == APP and name != "0001_initial":
            yield name, migration.operations


def unsafe_fields(operations):
    """The AddField operations an older process's INSERT would fail on."""
    unsafe = []
    for operation in operations:
        if isinstance(operation, migrations.AddField):
            field = operation.field
            many = field.many_to_many
            if not many and not field.null and field.db_default is NOT_PROVIDED:
                unsafe.append(f"{operation.model_name}.{operation.name}")
        elif isinstance(operation, migrations.SeparateDatabaseAndState):
            unsafe += unsafe_fields(operation.database_operations)
    return unsafe


def test_every_added_column_is_nullable_or_has_a_database_default():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    names = [name for (app, name) in loader.disk_migrations if app == APP]
    assert "0001_initial" in names
    problems = {
        name: unsafe_fields(operations)
        for name, operations in later_operations(loader)
        if unsafe_fields(operations)
    }
    assert not problems, (
        "new NOT NULL columns without db_default break processes still running the "
        f"previous release during a rolling upgrade: {problems}"
    )


def test_the_rule_sees_an_unsafe_column():
    from django.db import models

    safe = [
        migrations.AddField("sharelink", "a", models.IntegerField(null=True)),
        migrations.AddField("sharelink", "b", models.IntegerField(db_default=0)),
        migrations.AddField("sharelink", "c", models.ManyToManyField("auth.Group")),
    ]
    unsafe = migrations.AddField("sharelink", "d", models.IntegerField(default=0))
    assert unsafe_fields(safe) == []
    assert unsafe_fields([*safe, unsafe]) == ["sharelink.d"]
    wrapped = migrations.SeparateDatabaseAndState(database_operations=[unsafe])
    assert unsafe_fields([wrapped]) == ["sharelink.d"]
