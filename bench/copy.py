"""COPY rows of a Django model into PostgreSQL: millions of rows in seconds, no bulk_create.

Columns not given in a row take the field's default (or NULL where allowed), so the
generator keeps working when models gain fields with defaults.
"""

import json
from datetime import date, datetime
from decimal import Decimal

from django.db import connection


def _column_defaults(model, given: set[str]) -> dict[str, object]:
    defaults = {}
    for field in model._meta.concrete_fields:
        if field.attname in given or field.primary_key:
            continue
        if field.has_default():
            defaults[field.attname] = field.get_db_prep_save(field.get_default(), connection)
        elif field.null:
            defaults[field.attname] = None
        elif field.blank and field.empty_strings_allowed:
            defaults[field.attname] = ""
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            defaults[field.attname] = datetime.now().astimezone()
        else:
            raise ValueError(f"{model.__name__}.{field.attname} needs a value in the generated rows")
    return defaults


def _prepare(value):
    if isinstance(value, (dict,)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def copy_rows(model, rows, columns: list[str]) -> int:
    """COPY `rows` (tuples in the order of `columns`, which are attnames) into the model's table."""
    defaults = _column_defaults(model, set(columns))
    all_columns = [*columns, *defaults]
    tail = tuple(_prepare(v) for v in defaults.values())
    table = model._meta.db_table
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f'COPY "{table}" ({", ".join(chr(34) + c + chr(34) for c in all_columns)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(tuple(_prepare(v) for v in row) + tail)
                count += 1
    return count


def reset_sequence(model) -> None:
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{pk}'), COALESCE(MAX(\"{pk}\"), 1)) FROM \"{table}\""
        )


def next_ids(model, count: int) -> range:
    """Reserve `count` primary keys from the table's sequence."""
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_get_serial_sequence('\"{table}\"', '{pk}')")
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s)", [sequence])
        first = cursor.fetchone()[0]
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + count])
    return range(first, first + count)


__all__ = ["copy_rows", "next_ids", "reset_sequence", "Decimal", "date"]
