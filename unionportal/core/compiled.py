"""ORM queries compiled to SQL once per process, for the few that run on nearly every request.

Turning a queryset with joins into SQL costs more CPU than the rest of a small request. A
CompiledQuery builds its queryset once with placeholder values, keeps the SQL, and then runs
that SQL with the real values, building the objects with Django's own converters and
related-object populators (annotations included): the result is what the queryset's `.first()`
would return, without its ordering (so look rows up by a unique key). A CompiledRows does the
same for a list's first rows, as `.values()` dicts. Their SQL text never changes, so inside
core.prepared they also run as prepared statements. A CompiledQuery leaves encrypted personal
data sealed until it is read (core.pii.Sealed): the token lookup loads the member's phone and
ID number, which few answers show.
"""

import threading
from datetime import datetime, timezone

from django.db import connections
from django.db.models.query import get_related_populators

from .pii import EncryptedTextField, seal


class _Compiled:
    """Compiles `build(**marks)` once per database alias; runs it with the real values.

    `marks` holds one distinct, unlikely placeholder value per parameter name (a string, an int
    or a datetime); the queryset must use each as a plain parameter, as filters on fields do.
    """

    def __init__(self, build, **marks):
        self.build, self.marks = build, marks
        self._compiled, self._lock = {}, threading.Lock()

    def _for(self, alias: str) -> dict:
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.setdefault(alias, self._compile(alias))
        return compiled

    def _params(self, compiled: dict, values: dict) -> list:
        return [constant if name is None else values[name] for name, constant in compiled["slots"]]

    def _compile(self, alias: str) -> dict:
        raise NotImplementedError


class CompiledQuery(_Compiled):
    """`build(**marks)` → queryset; `first(alias, **values)` runs it with the real values."""

    def first(self, alias: str, **values):
        compiled = self._for(alias)
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(compiled["sql"], self._params(compiled, values))
            row = cursor.fetchone()
        if row is None:
            return None
        row = _converted(row, compiled["converters"], connection)
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
        sql, slots = _sql_and_slots(compiler, self.marks)
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return {
            "sql": sql, "slots": slots, "model": queryset.model,
            "converters": _sealing(compiler.get_converters([column[0] for column in select])),
            "populators": get_related_populators(klass_info, select, alias),
            "own": (start, end), "names": [column[0].target.attname for column in select[start:end]],
            "annotations": dict(compiler.annotation_col_map),
        }


class CompiledRows(_Compiled):
    """`build(**marks)` → a `.values(…)` queryset, ordered; `rows(alias, limit, **values)` runs it
    with the real values and answers its first `limit` rows as dicts, as the queryset would."""

    def rows(self, alias: str, limit: int, **values) -> list[dict]:
        compiled = self._for(alias)
        connection = connections[alias]
        with connection.cursor() as cursor:
            # The limit written into the text, as Django does: one text per page size. As a
            # parameter it would leave PostgreSQL a generic plan, which may not use the index.
            cursor.execute(f"{compiled['sql']} LIMIT {int(limit)}", self._params(compiled, values))
            fetched = cursor.fetchall()
        names, converters = compiled["names"], compiled["converters"]
        return [dict(zip(names, _converted(row, converters, connection))) for row in fetched]

    def _compile(self, alias: str) -> dict:
        query = self.build(**self.marks).query
        if query.is_sliced or query.select_for_update:
            raise ValueError("a compiled list query takes its limit per call, and locks nothing")
        compiler = query.get_compiler(using=alias)
        sql, slots = _sql_and_slots(compiler, self.marks)
        return {
            "sql": sql, "slots": slots,
            # As Django's ValuesIterable names the columns.
            "names": list(query.selected) if query.selected else [
                *query.extra_select, *query.values_select, *query.annotation_select,
            ],
            "converters": compiler.get_converters([column[0] for column in compiler.select]),
        }


def _converted(row, converters: dict, connection) -> list:
    """A fetched row with Django's converters applied, as the compiler's results_iter does."""
    row = list(row)
    for position, (functions, expression) in converters.items():
        value = row[position]
        for function in functions:
            value = function(value, expression, connection)
        row[position] = value
    return row


def _sql_and_slots(compiler, marks: dict) -> tuple[str, list]:
    """The compiler's SQL, and per parameter either the placeholder's name or a constant."""
    sql, params = compiler.as_sql()
    by_value = {_key(mark): name for name, mark in marks.items()}
    # A parameter that is no placeholder is part of the query's shape (EXISTS(SELECT 1 …)).
    slots = [(by_value[_key(param)], None) if _key(param) in by_value else (None, param) for param in params]
    if {name for name, _constant in slots} - {None} != set(marks):
        raise ValueError("a placeholder value is missing from the compiled query's parameters")
    return sql, slots


def _sealing(converters: dict) -> dict:
    """Django's converters, with an encrypted column's decryption put off until it is read."""
    return {
        position: ([seal], expression)
        if isinstance(getattr(expression, "target", None), EncryptedTextField) else (functions, expression)
        for position, (functions, expression) in converters.items()
    }


def _key(value):
    """Compares a parameter with the placeholders (psycopg may have wrapped an int as Int4)."""
    if isinstance(value, datetime):
        return ("datetime", value.astimezone(timezone.utc))
    for kind in (bool, int, str):
        if isinstance(value, kind):
            return (kind.__name__, kind(value))
    return (type(value).__name__, repr(value))
