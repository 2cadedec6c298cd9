"""The project's PostGIS backend: cheap health checks, and a query log that keeps prepared SQL."""

import os
import subprocess
import time

import dj_database_url
import pytest
from django.conf import settings
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from unionportal.core.prepared import prepared_statements

pytestmark = pytest.mark.django_db


def test_a_connection_the_server_closed_is_found_unusable_without_a_query():
    kept = connections.create_connection("default")  # another connection, idle like a kept one
    try:
        kept.ensure_connection()
        with kept.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        assert kept.is_usable()
        with connection.cursor() as cursor:  # the check sent nothing: the last query is still ours
            cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
            assert cursor.fetchone() == ("SELECT pg_backend_pid()",)
        with connection.cursor() as cursor:  # as a PostgreSQL restart ends every backend
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 5
        while kept.is_usable() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not kept.is_usable()
        kept.close_if_health_check_failed()  # what Django does before the next request
        kept.health_check_done = False
        kept.close()
        kept.ensure_connection()
        with kept.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    finally:
        kept.close()


def test_the_query_log_shows_prepared_statements():
    with CaptureQueriesContext(connection) as queries, prepared_statements():
        for number in range(4):  # prepared from the third run on
            with connection.cursor() as cursor:
                cursor.execute("SELECT %s::int + 1", [number])
    assert [query["sql"] for query in queries.captured_queries] == [f"SELECT {n}::int + 1" for n in range(4)]


@pytest.mark.skipif(os.environ.get("USE_LOCAL_PG") != "1", reason="a server the project does not start is set by its owner")
def test_the_projects_server_plans_for_data_read_from_memory():
    # At the default of 4 the district claims queue's page took a parallel scan of a year's claims
    # instead of the partial index of the waiting ones (scripts/services.sh).
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone() == ("1.1",)


@pytest.mark.skipif(os.environ.get("USE_LOCAL_PG") != "1", reason="a server the project does not start is set by its owner")
def test_the_project_reaches_its_own_server_through_the_socket():
    # A round trip through the socket costs both sides about a third less CPU than TCP (scripts/env.sh).
    with connection.cursor() as cursor:
        cursor.execute("SELECT inet_server_addr()")  # NULL on a Unix-domain socket
        assert cursor.fetchone() == (None,)


@pytest.mark.parametrize(("socket_dir", "host"), [
    ("/srv/union portal/.local/pg/run", "%2Fsrv%2Funion%20portal%2F.local%2Fpg%2Frun"),
    ("/srv/工会/run", "%2Fsrv%2F%E5%B7%A5%E4%BC%9A%2Frun"),
    ("/srv/" + "deep/" * 20 + "run", "127.0.0.1"),  # past a socket path's 107 bytes: TCP
])
def test_the_local_servers_host_names_its_socket_directory_escaped(socket_dir, host):
    script = 'source scripts/env.sh && LOCAL_PG_SOCKET_DIR="$1" && local_pg_host'
    answer = subprocess.run(["bash", "-c", script, "bash", socket_dir], cwd=settings.BASE_DIR,
                            capture_output=True, text=True, check=True)
    assert answer.stdout == host
    if host != "127.0.0.1":  # and the settings read it back as the directory
        assert dj_database_url.parse(f"postgis://u@{host}:5432/d")["HOST"] == socket_dir
