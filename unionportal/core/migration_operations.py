"""Migration operations of our own.

A foreign key's own index is one more write for every row saved, and no faster a lookup than
another index that leads with the same column. `ForeignKeyIndexDropped` turns `db_index` off
and drops that index alone: Django's AlterField would drop and re-add the foreign key itself,
which on a table of millions makes PostgreSQL check every row again under lock.
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
