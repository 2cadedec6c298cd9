"""Hot queries as server-side prepared statements: parsed and planned once per connection.

Django binds parameters on the client, so PostgreSQL parses and plans every query afresh. For
the queries every member request runs (the bearer token with its user, membership and union:
four tables) planning cost PostgreSQL ten times more than running them (pgbench on the bench
data: 0.62 ms a query as plain SQL, 0.10 ms prepared). Inside `prepared_statements()` the
connection binds on the server, and psycopg prepares a query once it has run
`DATABASES[...]["OPTIONS"]["prepare_threshold"]` times on that connection (None: never).

Only queries whose SQL text is fixed belong inside: a query whose text changes with its values
(an IN list) would only churn psycopg's cache of prepared statements.
"""

from contextlib import ExitStack, contextmanager

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql.base import Cursor, ServerBindingCursor

from .routers import aliases_in_use


@contextmanager
def prepared_statements(*aliases: str):
    """Queries on the aliases (default: the primary) inside the block are bound on the server."""
    with ExitStack() as stack:
        for alias in aliases or (DEFAULT_DB_ALIAS,):
            stack.enter_context(_server_binding(alias))
        yield


@contextmanager
def client_binding_cursor(alias: str = DEFAULT_DB_ALIAS):
    """A cursor that binds on the client even inside `prepared_statements()`: its query may hold
    several statements, sent as one message (which PostgreSQL runs as one transaction when the
    connection is in autocommit)."""
    with _binding(alias, Cursor), connections[alias].cursor() as cursor:
        yield cursor


def _server_binding(alias: str):
    return _binding(alias, ServerBindingCursor)


@contextmanager
def _binding(alias: str, cursor_factory):
    connection = connections[alias]
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    previous = raw.cursor_factory
    raw.cursor_factory = cursor_factory
    try:
        yield
    finally:
        raw.cursor_factory = previous


class PreparedStatementsMixin:
    """An API view whose queries, authentication included, are bound on the server. For views
    whose few queries are the same text on every call (see the module's note)."""

    def dispatch(self, request, *args, **kwargs):
        with prepared_statements(*aliases_in_use()):  # no connection to a replica it will not read
            return super().dispatch(request, *args, **kwargs)
