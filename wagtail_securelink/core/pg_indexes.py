"""Indexes that exist on PostgreSQL only: trigram indexes for the admin's searches.

``icontains`` compiles on PostgreSQL to ``UPPER(column::text) LIKE UPPER('%text%')``,
which no B-tree can answer; a GIN index over ``UPPER(column)`` with pg_trgm's
``gin_trgm_ops`` can (for a search text of three characters or more). SQLite has no
such index: the same searches scan the table there, which the embedded shape's sizes
allow (docs/performance.md).

The operation below is a migration operation that changes no model state (the index is
not in the model's ``Meta``, so ``makemigrations`` on SQLite sees nothing to do) and
touches the database only when it is PostgreSQL, creating the ``pg_trgm`` extension
first if it is missing (``CREATE EXTENSION`` needs a role that may create it: the
database owner on PostgreSQL 13 and later, where pg_trgm is a trusted extension).
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db.migrations.operations.base import Operation
from django.db.models.functions import Upper

__all__ = ["AddTrigramIndex", "trigram_index"]


def trigram_index(field: str, name: str) -> GinIndex:
    """A GIN trigram index over ``UPPER(field)``: what ``field__icontains`` uses."""
    return GinIndex(OpClass(Upper(field), name="gin_trgm_ops"), name=name)


class AddTrigramIndex(Operation):
    """Add ``trigram_index(field, name)`` to ``model_name`` on PostgreSQL; nothing
    elsewhere. Reversible."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, field: str, name: str):
        self.model_name, self.field, self.name = model_name, field, name

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [],
            {"model_name": self.model_name, "field": self.field, "name": self.name},
        )

    def state_forwards(self, app_label, state):
        pass

    def _model_here(self, app_label, schema_editor, state):
        """The model, when this database is PostgreSQL and the router lets it migrate."""
        model = state.apps.get_model(app_label, self.model_name)
        if schema_editor.connection.vendor != "postgresql":
            return None
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return None
        return model

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = self._model_here(app_label, schema_editor, to_state)
        if model is not None:
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.add_index(model, trigram_index(self.field, self.name))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = self._model_here(app_label, schema_editor, from_state)
        if model is not None:
            schema_editor.remove_index(model, trigram_index(self.field, self.name))

    def describe(self):
        return f"Create trigram index {self.name} on {self.model_name}.{self.field} (PostgreSQL only)"

    @property
    def migration_name_fragment(self):
        return self.name.lower()
