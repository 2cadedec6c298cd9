"""Read replicas: read-only selectors read from the replica, everything else uses the primary.

A view or selector that only reads (station search, public lists) runs inside
`replica_reads()` (a context manager and decorator). Its queries go to the `replica`
database alias when the settings define one (DATABASE_REPLICA_URL); writes, reads outside such a
block and reads inside a transaction on the primary always go to the primary, so nothing
reads its own write from a replica that may lag behind.
"""

from contextlib import ContextDecorator
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_ALIAS = "replica"

_replica_reads = ContextVar("replica_reads", default=False)


class replica_reads(ContextDecorator):  # noqa: N801 - reads as a plain word where it is used
    """Route the reads inside to the replica (when there is one)."""

    def __enter__(self):
        self._token = _replica_reads.set(True)
        return self

    def __exit__(self, *exc):
        _replica_reads.reset(self._token)
        return False


def replica_alias() -> str | None:
    return REPLICA_ALIAS if REPLICA_ALIAS in connections.settings else None


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        alias = replica_alias()
        if alias is None or not _replica_reads.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None  # Django's choice: the primary, or the database an instance came from
        return alias

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows: objects from either may relate

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # replicas follow the primary; they are never migrated
