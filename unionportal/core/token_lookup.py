"""The bearer-token lookup, compiled to SQL once per process.

Every member request starts with it, and turning the ORM query (token → user → membership →
union, three joins) into SQL cost more CPU than the rest of a small request. The query is
compiled once with placeholder values; each call runs that SQL with the real ones and builds
the objects with Django's own converters and related-object populators, so the result is
what `ApiToken.objects.select_related("user__member__organization").filter(...).first()`
returns. It also runs as a prepared statement (core.prepared): planning four joins cost
PostgreSQL more than answering them.
"""

import threading
from datetime import datetime, timezone as dt_timezone

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.query import get_related_populators
from django.utils import timezone

from .models import ApiToken
from .prepared import prepared_statements

_HASH_MARK = "token-hash-placeholder"
_TIME_MARK = datetime(2000, 1, 1, tzinfo=dt_timezone.utc)
_compiled = {}
_lock = threading.Lock()


def _queryset(token_hash, now):
    return ApiToken.objects.select_related("user__member__organization").filter(token_hash=token_hash, expires_at__gt=now)


def _compile(alias: str) -> dict:
    compiler = _queryset(_HASH_MARK, _TIME_MARK).order_by()[:1].query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    slots = []
    for param in params:
        if param == _HASH_MARK:
            slots.append("hash")
        elif param == _TIME_MARK:
            slots.append("now")
        else:
            raise ValueError("unexpected parameter in the token query")
    select, klass_info = compiler.select, compiler.klass_info
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    return {
        "sql": sql, "slots": slots,
        "converters": compiler.get_converters([column[0] for column in select]),
        "populators": get_related_populators(klass_info, select, alias),
        "own": (start, end), "names": [column[0].target.attname for column in select[start:end]],
    }


def token_find(token_hash: str) -> ApiToken | None:
    """The unexpired token with this hash, its user, membership and union loaded; or None."""
    alias = DEFAULT_DB_ALIAS  # tokens are read where they are written: a fresh login must work at once
    compiled = _compiled.get(alias)
    if compiled is None:
        with _lock:
            compiled = _compiled.setdefault(alias, _compile(alias))
    values = {"hash": token_hash, "now": timezone.now()}
    connection = connections[alias]
    with prepared_statements(alias), connection.cursor() as cursor:
        cursor.execute(compiled["sql"], [values[slot] for slot in compiled["slots"]])
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
    token = ApiToken.from_db(alias, compiled["names"], row[start:end])
    for populator in compiled["populators"]:
        populator.populate(row, token)
    return token
