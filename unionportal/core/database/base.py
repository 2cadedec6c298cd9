"""The PostGIS backend, with two changes for the hot path.

- Health checks without a round trip. Django checks a kept connection before each request with
  a `SELECT 1`: one more round trip per request. A connection the server has closed (a
  restart, an idle timeout) has said so on its socket before closing, so the socket is
  readable while the connection should be idle; only then is the full check run.
- The query log shows queries bound on the server (core.prepared) with their values, as it
  does the others: psycopg keeps only `$1` placeholders, and nothing at all once it runs a
  query prepared, so Django's query log (DEBUG, tests capturing queries) showed None.
"""

import select

from django.contrib.gis.db.backends.postgis import base, operations
from psycopg import ClientCursor, pq


class DatabaseOperations(operations.PostGISOperations):
    def last_executed_query(self, cursor, sql, params):
        if isinstance(cursor, ClientCursor) or sql is None:  # Django's own way (client-side binding)
            return super().last_executed_query(cursor, sql, params)
        try:  # bound on the server: the values as they would read in SQL
            return self.compose_sql(sql, params)
        except Exception:  # a log line is not worth failing the query for
            return sql


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def is_usable(self):
        if self.connection is None or self.connection.closed:
            return False
        pgconn = self.connection.pgconn
        if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()
        poller = select.poll()
        poller.register(pgconn.socket, select.POLLIN)
        if poller.poll(0):  # the server spoke unasked: a notice, or (mostly) goodbye
            return super().is_usable()
        return True
