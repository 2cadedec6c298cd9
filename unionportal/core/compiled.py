"""ORM queries compiled to SQL once per process, for the few that run on nearly every request.

Turning a queryset with joins into SQL costs more CPU than the rest of a small request. A
CompiledQuery builds its queryset once with placeholder values, keeps the SQL, and then runs
that SQL with the real values, building the objects with Django's own converters and
related-object populators (annotations included): the result is what the queryset's `.first()`
would return, without its ordering (so look rows up by a unique key). Its SQL text never
changes, so inside core.prepared it also runs as a prepared statement.
"""

import threading
from datetime import datetime, timezone

from django.db import connections
from django.db.models.query import get_related_populators


class CompiledQuery:
    """`build(**marks)` → queryset; `first(alias, **values)` runs it with the real values.

    `marks` holds one distinct, unlikely placeholder value per parameter name (a string, an int
    or a datetime); the queryset must use each as a plain parameter, as filters on fields do.
    """

    def __init__(self, build, **marks):
        self.build, self.marks = build, marks
        self._compiled, self._lock = {}, threading.Lock()

    def first(self, alias: str, **values):
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.setdefault(alias, self._compile(alias))
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(compiled["sql"], [constant if name is None else values[name]
                                             for name, constant in compiled["slots"]])
            row = cursor.fetchone()
        if row is None:
            return None
        row = list(row)
        for position, (converters, expression) in compiled["converters"].items():
            value = row[position]
            for converter in converters:
                value = converter(value, expression, connection)
            row[position] = value
        start, end = compiled["own"]
        instance = compiled["model"].from_db(alias, compiled["names"], row[start:end])
        for name, position in compiled["annotations"].items():
            setattr(instance, name, row[position])
        for populator in compiled["populators"]:
            populator.populate(row, instance)
        return instance

    def _compile(self, alias: str) -> dict:
        queryset = self.build(**self.marks)
        compiler = queryset.order_by()[:1].query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        by_value = {_key(mark): name for name, mark in self.marks.items()}
        # A parameter that is no placeholder is part of the query's shape (EXISTS(SELECT 1 …)).
        slots = [(by_value[_key(param)], None) if _key(param) in by_value else (None, param) for param in params]
        if {name for name, _constant in slots} - {None} != set(self.marks):
            raise ValueError("a placeholder value is missing from the compiled query's parameters")
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return {
            "sql": sql, "slots": slots, "model": queryset.model,
            "converters": compiler.get_converters([column[0] for column in select]),
            "populators": get_related_populators(klass_info, select, alias),
            "own": (start, end), "names": [column[0].target.attname for column in select[start:end]],
            "annotations": dict(compiler.annotation_col_map),
        }


def _key(value):
    """Compares a parameter with the placeholders (psycopg may have wrapped an int as Int4)."""
    if isinstance(value, datetime):
        return ("datetime", value.astimezone(timezone.utc))
    for kind in (bool, int, str):
        if isinstance(value, kind):
            return (kind.__name__, kind(value))
    return (type(value).__name__, repr(value))
