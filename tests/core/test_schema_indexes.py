"""No index that another makes useless: each is one more write for every row saved."""

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from unionportal.core.migration_operations import ForeignKeyIndexDropped

pytestmark = pytest.mark.django_db
OUR_APPS = ("core", "members", "stations", "benefits", "convalescence")

# Plain (full, column-only) B-tree indexes of a table, with their columns and operator classes.
_INDEXES_SQL = """
    SELECT c.relname, i.indexrelid::regclass::text, i.indisunique, i.indkey::text, i.indclass::text
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_am am ON am.oid = ic.relam
    WHERE c.relname = ANY(%s) AND am.amname = 'btree' AND i.indpred IS NULL AND i.indexprs IS NULL
"""


def _our_tables() -> list[str]:
    return [
        model._meta.db_table for app in OUR_APPS for model in apps.get_app_config(app).get_models()
        if model._meta.managed and not model._meta.auto_created  # Django's own many-to-many tables: as Django makes them
    ]


def _plain_indexes(tables):
    with connection.cursor() as cursor:
        cursor.execute(_INDEXES_SQL, [tables])
        return [
            (table, name, unique, columns.split(), classes.split())
            for table, name, unique, columns, classes in cursor.fetchall()
        ]


def test_no_index_is_the_leading_part_of_another():
    indexes = _plain_indexes(_our_tables())
    assert len(indexes) > 50  # the query reads the schema
    redundant = sorted(
        f"{table}: {name} is the start of {other}"
        for table, name, unique, columns, classes in indexes if not unique
        for other_table, other, _unique, other_columns, other_classes in indexes
        if other_table == table and other != name and len(columns) <= len(other_columns)
        and other_columns[:len(columns)] == columns and other_classes[:len(columns)] == classes
        and (len(columns) < len(other_columns) or name > other)
    )
    assert redundant == [], "set db_index=False on the foreign key, or drop the Meta index"


def _single_column_indexes(table, column) -> list[str]:
    return [name for t, name, unique, columns, _classes in _plain_indexes([table])
            if not unique and columns == [_attnum(table, column)]]


def _attnum(table, column) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT attnum FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s", [table, column])
        return str(cursor.fetchone()[0])


def _foreign_key_oid(table, column) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT oid FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f' AND conkey = "
            "ARRAY[(SELECT attnum FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s)]",
            [table, table, column],
        )
        return cursor.fetchone()[0]


def test_a_foreign_keys_index_is_dropped_and_made_again_without_touching_the_key():
    loader = MigrationLoader(connection)
    key = ("stations", "0005_fewer_write_indexes")
    operation = next(
        op for op in loader.graph.nodes[key].operations
        if isinstance(op, ForeignKeyIndexDropped) and (op.model_name, op.name) == ("visit", "station")
    )
    previous = next(parent.key for parent in loader.graph.node_map[key].parents if parent.key[0] == "stations")
    before, after = loader.project_state(previous), loader.project_state(key)
    foreign_key = _foreign_key_oid("stations_visit", "station_id")
    assert _single_column_indexes("stations_visit", "station_id") == []

    with connection.schema_editor() as editor:
        operation.database_backwards("stations", editor, after, before)
    assert len(_single_column_indexes("stations_visit", "station_id")) == 1

    with connection.schema_editor() as editor:
        operation.database_forwards("stations", editor, before, after)
    assert _single_column_indexes("stations_visit", "station_id") == []
    assert _foreign_key_oid("stations_visit", "station_id") == foreign_key  # never dropped and checked again


_PATTERN_INDEXES_SQL = """
    SELECT c.relname, a.attname, ic.relname
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_opclass o ON o.oid = i.indclass[0] JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
    WHERE c.relname = ANY(%s) AND o.opcname LIKE '%%pattern_ops'
"""


def _pattern_indexes(tables) -> list[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(_PATTERN_INDEXES_SQL, [tables])
        return sorted(cursor.fetchall())


def test_a_keyed_hash_has_no_prefix_index():
    """A hash is only compared whole; a union's path is searched by its prefix (the tree)."""
    found = _pattern_indexes(_our_tables())
    assert ("members_organization", "path") in [(table, column) for table, column, _name in found]
    assert [name for _table, column, name in found if column.endswith("_hash")] == []


def test_a_hash_prefix_index_is_dropped_and_made_again():
    loader = MigrationLoader(connection)
    key = ("members", "0009_hash_pattern_indexes_dropped")
    operation = next(op for op in loader.graph.nodes[key].operations if op.name == "phone_hash")
    previous = next(parent.key for parent in loader.graph.node_map[key].parents if parent.key[0] == "members")
    before, after = loader.project_state(previous), loader.project_state(key)

    def phone_hash_indexes():
        return [name for _table, column, name in _pattern_indexes(["members_user"]) if column == "phone_hash"]

    with connection.schema_editor() as editor:
        operation.database_backwards("members", editor, after, before)
    assert len(phone_hash_indexes()) == 1
    with connection.schema_editor() as editor:
        operation.database_forwards("members", editor, before, after)
    assert phone_hash_indexes() == []
