"""The PostGIS backend, with the query log keeping the SQL of prepared statements.

psycopg forgets a query's text once it runs it as a prepared statement (core.prepared), so
Django's query log (DEBUG, tests capturing queries) would show None for the hottest queries.
"""

from django.contrib.gis.db.backends.postgis import base, operations


class DatabaseOperations(operations.PostGISOperations):
    def last_executed_query(self, cursor, sql, params):
        logged = super().last_executed_query(cursor, sql, params)
        if logged is None and sql is not None:
            try:
                return self.compose_sql(sql, params)
            except Exception:  # a log line is not worth failing the query for
                return sql
        return logged


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
