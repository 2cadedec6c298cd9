"""Read replicas: read-only selectors read from a replica, everything else uses the primary.

A view or selector that only reads (station search, public lists) runs inside
`replica_reads()`. Its queries go to one of the replicas the settings define
(DATABASE_REPLICA_URLS: the aliases `replica`, `replica_2`, …), picked at random when the block
starts and kept to its end, so one answer never mixes two replicas' moments. Writes, reads
outside such a block and reads inside a transaction on the primary always go to the primary, so
nothing reads its own write from a replica that may lag behind.

A replica that cannot be reached is left out for REPLICA_REST_SECONDS; `read_from_replica`
then answers from the primary instead of failing the request, as it does when a replica
cancels a query in a recovery conflict.
"""

import logging
import random
import time
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, Error, OperationalError, connections

logger = logging.getLogger(__name__)

REPLICA_ALIAS = "replica"
REPLICA_REST_SECONDS = 30.0

_chosen: ContextVar[str | None] = ContextVar("replica_chosen", default=None)
# Replicas found unreachable, with when to try them again. Per process: each finds out itself.
_resting: dict[str, float] = {}


def replica_aliases() -> list[str]:
    return [alias for alias in connections.settings
            if alias == REPLICA_ALIAS or alias.startswith(f"{REPLICA_ALIAS}_")]


def usable_replica() -> str | None:
    """A replica to read from, at random among those not resting; None when there is none."""
    now = time.monotonic()
    usable = [alias for alias in replica_aliases() if _resting.get(alias, 0.0) <= now]
    return random.choice(usable) if usable else None


@contextmanager
def _reads_from(alias: str | None):
    token = _chosen.set(alias)
    try:
        yield alias
    finally:
        _chosen.reset(token)


def replica_reads():
    """Route the reads inside to one replica (when there is one); yields its alias or None."""
    return _reads_from(usable_replica())


def aliases_in_use() -> tuple[str, ...]:
    """The primary, and the replica the current block reads from (if any)."""
    alias = _chosen.get()
    return (DEFAULT_DB_ALIAS,) if alias is None else (DEFAULT_DB_ALIAS, alias)


def replica_states() -> dict[str, str]:
    """Each replica: "resting" (found unreachable a moment ago), "ok" or "down" (asked now; it
    then rests, so the searches do not wait on it either)."""
    now = time.monotonic()
    states = {}
    for alias in replica_aliases():
        if _resting.get(alias, 0.0) > now:
            states[alias] = "resting"
            continue
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
            states[alias] = "ok"
        except Error as error:  # any failure to answer SELECT 1, not only a refused connection
            states[alias] = "down"
            _rest(alias, error)
    return states


def _rest(alias: str, error: Exception) -> None:
    logger.warning("Replica %s unreachable (%s): reads go to the primary for %d s", alias, error, REPLICA_REST_SECONDS)
    _resting[alias] = time.monotonic() + REPLICA_REST_SECONDS
    connections[alias].close()


def unreachable(alias: str) -> bool:
    """After a database error on `alias`: was it the server that could not be reached (no
    connection, or one that broke), rather than the query (a timeout, a conflict)?"""
    connection = connections[alias]
    return connection.connection is None or not connection.is_usable()


def recovery_conflict(error: OperationalError) -> bool:
    """A standby cancelled the query because the primary's changes, replayed, needed its rows
    (SQLSTATE 40001 on a replica): the replica's doing, and over at once."""
    return getattr(error.__cause__, "sqlstate", None) == "40001"


def read_from_replica(read):
    """`read()` inside `replica_reads()`. Should the replica it picked be unreachable (it then
    rests) or cancel the query in a recovery conflict, `read()` runs again on the primary. Only
    for reads: they are safe to repeat. A query that fails for its own reasons (a timeout) is not
    run again: that would only double its cost."""
    with replica_reads() as alias:
        if alias is None:
            return read()
        try:
            return read()
        except OperationalError as error:
            if unreachable(alias):
                _rest(alias, error)
            elif not recovery_conflict(error):
                raise
    with _reads_from(None):
        return read()


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        alias = _chosen.get()
        if alias is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None  # Django's choice: the primary, or the database an instance came from
        return alias

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas hold the primary's rows: objects from any may relate

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # replicas follow the primary; they are never migrated
