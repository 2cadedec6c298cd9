"""Migration operations of our own: indexes that every saved row wrote to and no query needs.

`ForeignKeyIndexDropped`: a foreign key's own index is no faster a lookup than another index
that leads with the same column. It turns `db_index` off and drops that index alone: Django's
AlterField would drop and re-add the foreign key itself, which on a table of millions makes
PostgreSQL check every row again under lock.

`PatternIndexDropped`: the `LIKE` index Django adds beside a keyed hash, which nothing searches
by prefix.
"""

from django.db import migrations, models


class ForeignKeyIndexDropped(migrations.AlterField):
    """AlterField of a foreign key to `db_index=False` (the field as the model now declares it)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        for name in _own_indexes(schema_editor, model, self.name):
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if not _own_indexes(schema_editor, model, self.name):
            column = model._meta.get_field(self.name).column
            name = f"{model._meta.db_table[:20]}_{column[:8]}_fk"  # within PostgreSQL's 63 characters
            schema_editor.add_index(model, models.Index(fields=[self.name], name=name))

    def describe(self):
        return f"Drop the own index of foreign key {self.name} on {self.model_name}"


def _own_indexes(schema_editor, model, field_name: str) -> list[str]:
    """The plain single-column indexes on the field that the model's Meta does not declare."""
    column = model._meta.get_field(field_name).column
    declared = {index.name for index in model._meta.indexes} | {c.name for c in model._meta.constraints}
    with schema_editor.connection.cursor() as cursor:
        found = schema_editor.connection.introspection.get_constraints(cursor, model._meta.db_table)
    return [
        name for name, info in found.items()
        if info["index"] and not info["unique"] and not info["primary_key"] and info["columns"] == [column]
        and name not in declared and info["type"] == models.Index.suffix  # a plain btree index
    ]


class PatternIndexDropped(migrations.operations.base.Operation):
    """Drop the `_like` index Django makes beside a unique or indexed CharField on PostgreSQL.

    That index (`varchar_pattern_ops`) serves `LIKE 'prefix%'` alone. A keyed hash is only ever
    compared whole, through the field's own unique index, so its `_like` index is one more write
    for every row saved and space in memory for nothing. The model keeps its field as it is: a
    later AlterField that changes the field's type or uniqueness makes the index again, and then
    needs this operation after it.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, name: str):
        self.model_name, self.name = model_name, name

    def deconstruct(self):
        return self.__class__.__name__, [], {"model_name": self.model_name, "name": self.name}

    def state_forwards(self, app_label, state):
        pass  # the database alone changes

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model, field = self._field(app_label, schema_editor, to_state)
        if model is not None:
            name = schema_editor._create_index_name(model._meta.db_table, [field.column], suffix="_like")
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model, field = self._field(app_label, schema_editor, to_state)
        if model is not None:
            schema_editor.execute(schema_editor._create_like_index_sql(model, field))

    def _field(self, app_label, schema_editor, state):
        model = state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return None, None
        return model, model._meta.get_field(self.name)

    def describe(self):
        return f"Drop the pattern index of {self.model_name}.{self.name}"
