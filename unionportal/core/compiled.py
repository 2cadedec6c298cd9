"""ORM queries compiled to SQL once per process, for the few that run on nearly every request.

Turning a queryset with joins into SQL costs more CPU than the rest of a small request. A
CompiledQuery builds its queryset once with placeholder values, keeps the SQL, and then runs
that SQL with the real values, converting them with Django's own converters and building the
objects as its related-object populators do (annotations included), each straight into its
dictionary (`_instance`): the result is what the queryset's `.first()` would return, without its
ordering (so look rows up by a unique key). A CompiledRows does the same for a list's first
rows, as `.values()` dicts. Their SQL text never changes, so inside core.prepared they also run
as prepared statements. A CompiledQuery leaves encrypted personal data sealed until it is read
(core.pii.Sealed): the token lookup loads the member's phone and ID number, which few answers
show.

A compiled query made with `binary_rows=True` asks for its rows in PostgreSQL's binary format
when it runs as a prepared statement: PostgreSQL then writes no timestamps as text and psycopg
reads them (and arrays, numbers, dates) with its C loaders, where text timestamps are parsed in
Python. Only for queries whose columns psycopg reads the same either way: a geometry, say, would
come back as raw bytes instead of the hex text GeoDjango reads.
"""

import threading
from datetime import datetime, timezone

from django.db import connections
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.query import get_related_populators
from django.db.models.signals import post_init, pre_init
from psycopg import ClientCursor
from psycopg.pq import Format

from .pii import EncryptedTextField, seal


class _Compiled:
    """Compiles `build(**marks)` once per database alias; runs it with the real values.

    `marks` holds one distinct, unlikely placeholder value per parameter name (a string, an int
    or a datetime); the queryset must use each as a plain parameter, as filters on fields do.
    """

    def __init__(self, build, binary_rows: bool = False, **marks):
        self.build, self.marks, self.binary_rows = build, marks, binary_rows
        self._compiled, self._lock = {}, threading.Lock()

    def _for(self, alias: str) -> dict:
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.setdefault(alias, self._compile(alias))
        return compiled

    def _execute(self, cursor, compiled: dict, values: dict, sql: str | None = None) -> None:
        """Runs the compiled SQL (or `sql`) on a Django cursor with the real values."""
        raw = cursor.cursor  # psycopg's own, inside Django's wrapper
        if self.binary_rows and not isinstance(raw, ClientCursor):  # bound on the server: core.prepared
            raw.format = Format.BINARY  # this cursor only: Django makes one per use
        cursor.execute(sql or compiled["sql"], self._params(compiled, values))

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
            self._execute(cursor, compiled, values)
            row = cursor.fetchone()
        if row is None:
            return None
        row = _converted(row, compiled["converters"], connection)
        start, end = compiled["own"]
        instance = _instance(compiled["model"], alias, compiled["names"], row[start:end])
        for name, position in compiled["annotations"].items():
            setattr(instance, name, row[position])
        for populator in compiled["populators"]:
            _populate(populator, row, instance)
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
            self._execute(cursor, compiled, values, sql=f"{compiled['sql']} LIMIT {int(limit)}")
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


def _instance(model, alias: str, names: list, values) -> Model:
    """As `model.from_db(alias, names, values)` builds it, without Model.__init__'s walk over every
    field (a quarter of the token lookup's instructions): the values go straight into the
    instance's dictionary, where __init__ would have set them, and fields not loaded stay out of
    it, deferred. A model that customises its loading, or has pre_init or post_init receivers,
    is still built by from_db."""
    if (
        model.from_db.__func__ is not Model.from_db.__func__ or model.__init__ is not Model.__init__
        or pre_init.has_listeners(model) or post_init.has_listeners(model)
    ):
        return model.from_db(alias, names, values)
    instance = model.__new__(model)
    instance.__dict__.update(zip(names, values))
    state = instance._state = ModelState()
    state.adding, state.db = False, alias
    return instance


def _populate(populator, row, parent) -> None:
    """Django's RelatedPopulator.populate, building the related instances with `_instance`."""
    if populator.reorder_for_init:
        values = populator.reorder_for_init(row)
    else:
        values = row[populator.cols_start:populator.cols_end]
    related = None
    if values[populator.pk_idx] is not None:
        related = _instance(populator.model_cls, populator.db, populator.init_list, values)
        for inner in populator.related_populators:
            _populate(inner, row, related)
    populator.local_setter(parent, related)
    if related is not None:
        populator.remote_setter(related, parent)


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
