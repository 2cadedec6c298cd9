"""Back-office list filters that stay cheap on tables of millions of rows."""

from django.contrib import admin
from django.db import connection

from .event_labels import AUDIT_ACTIONS, NOTIFICATION_EVENTS


class IndexedValuesFilter(admin.AllValuesFieldListFilter):
    """Django's "all values" filter, its values found by skipping through the column's index.

    Django lists them with a `SELECT DISTINCT` over the whole table (a quarter of a second at
    two million text messages); here each distinct value costs one index probe. The field must
    be the model's own column, leading an index. The values are the whole table's: names the code writes (an action, an event), never
    people's data, so a staff member sees the same list whatever their tree.
    """

    labels: dict = {}  # what each value is called on screen (core.event_labels); else the value

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = distinct_values(model._meta.db_table, field.column)

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "display": self.labels.get(choice["display"], choice["display"])}


class AuditActionFilter(IndexedValuesFilter):
    labels = AUDIT_ACTIONS


class NotificationEventFilter(IndexedValuesFilter):
    labels = NOTIFICATION_EVENTS


def distinct_values(table: str, column: str) -> list:
    """The column's distinct non-null values in order: a loose index scan, written as the
    recursive query the PostgreSQL wiki gives for it (PostgreSQL has no skip scan of its own)."""
    quote = connection.ops.quote_name
    table, column = quote(table), quote(column)
    with connection.cursor() as cursor:
        cursor.execute(f"""
            WITH RECURSIVE found(value) AS (
                (SELECT {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY {column} LIMIT 1)
                UNION ALL
                SELECT (SELECT {column} FROM {table} WHERE {column} > found.value ORDER BY {column} LIMIT 1)
                FROM found WHERE found.value IS NOT NULL
            )
            SELECT value FROM found WHERE value IS NOT NULL""")
        return [row[0] for row in cursor.fetchall()]
