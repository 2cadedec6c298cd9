"""The read-replica router, run against more database aliases: second connections to the test
database (as real replicas would answer), and one to a port where no server listens."""

import json
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connections, transaction
from django.test.utils import CaptureQueriesContext

from stations.models import Station
from tests.factories import make_tree
from tests.stations.builders import make_station
from tests.support.portal_process import free_port, run_with_environment
from unionportal.core import routers
from unionportal.core.routers import REPLICA_ALIAS, ReplicaRouter, read_from_replica, replica_reads

SECOND_REPLICA = f"{REPLICA_ALIAS}_2"
NEAR = {"near": "24.874,118.676"}


@pytest.fixture(scope="module")
def replicas():
    """Two replica aliases, as DATABASE_REPLICA_URLS makes them (TEST MIRROR "default"): second
    connections to the test database, as real replicas would answer."""
    primary = connections.settings["default"]
    for alias in (REPLICA_ALIAS, SECOND_REPLICA):
        connections.settings[alias] = {**primary, "TEST": {**primary["TEST"], "MIRROR": "default"}}
    yield
    for alias in (REPLICA_ALIAS, SECOND_REPLICA):
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


@pytest.fixture
def on_replicas(replicas, request):
    request.getfixturevalue("transactional_db")
    routers._resting.clear()
    yield
    routers._resting.clear()


@contextmanager
def only(*aliases, **overrides):
    """Inside, the settings define only these replicas, their settings changed by `overrides`."""
    others = {alias: connections.settings.pop(alias) for alias in (REPLICA_ALIAS, SECOND_REPLICA)
              if alias not in aliases}
    saved = {alias: dict(connections.settings[alias]) for alias in aliases}
    for alias in aliases:
        connections[alias].close()
        connections.settings[alias].update(overrides)  # the connection's own settings, too
    try:
        yield
    finally:
        for alias in aliases:
            connections[alias].close()
            connections.settings[alias].update(saved[alias])
        connections.settings.update(others)


DATABASES = ["default", REPLICA_ALIAS, SECOND_REPLICA]


@pytest.mark.django_db(transaction=True, databases=DATABASES)
def test_read_only_selectors_read_from_the_replica_and_writes_stay_on_the_primary(on_replicas, api_client):
    with only(REPLICA_ALIAS):
        _read_only_selectors_read_from_the_replica(connections[REPLICA_ALIAS], api_client)


def _read_only_selectors_read_from_the_replica(on_replica, api_client):
    tree = make_tree()
    station = make_station(tree["street_a"], name="复制库驿站")
    router = ReplicaRouter()
    assert router.db_for_read(Station) is None  # outside a read-only block: the primary
    with replica_reads():
        assert router.db_for_read(Station) == REPLICA_ALIAS
        assert router.db_for_write(Station) == "default"
        with transaction.atomic():  # inside a transaction reads follow the writes
            assert router.db_for_read(Station) is None
    assert router.allow_migrate(REPLICA_ALIAS, "stations") is False
    assert router.allow_migrate("default", "stations") is True

    # The public station search runs its queries on the replica connection, none on the primary.
    with CaptureQueriesContext(on_replica) as replica_queries, CaptureQueriesContext(connections["default"]) as primary:
        response = api_client.get("/api/v1/stations/", NEAR)
    assert response.status_code == 200 and [r["id"] for r in response.json()["results"]] == [station.pk]
    assert any('FROM "stations_station"' in q["sql"] for q in replica_queries.captured_queries)
    assert not any("stations_" in q["sql"] for q in primary.captured_queries)

    # A write during a read-only block still goes to the primary, and the replica sees it.
    with replica_reads():
        Station.objects.filter(pk=station.pk).update(name="改名驿站")
        assert Station.objects.get(pk=station.pk).name == "改名驿站"


@pytest.mark.django_db(transaction=True, databases=DATABASES)
def test_each_read_only_block_keeps_one_replica_and_the_blocks_share_them_all(on_replicas, api_client):
    station = make_station(make_tree()["street_a"])
    router, chosen = ReplicaRouter(), set()
    for _ in range(60):
        with replica_reads() as alias:
            assert {router.db_for_read(Station) for _ in range(5)} == {alias}  # one moment per answer
            assert routers.aliases_in_use() == ("default", alias)
            chosen.add(alias)
    assert chosen == {REPLICA_ALIAS, SECOND_REPLICA}

    # A search connects to one replica only (the prepared statements bind just the ones in use),
    # and over a few searches to both.
    connected = set()
    for _ in range(20):
        for alias in (REPLICA_ALIAS, SECOND_REPLICA):
            connections[alias].close()
        response = api_client.get("/api/v1/stations/", NEAR)
        assert [r["id"] for r in response.json()["results"]] == [station.pk]
        opened = [alias for alias in (REPLICA_ALIAS, SECOND_REPLICA) if connections[alias].connection is not None]
        assert len(opened) == 1
        connected.update(opened)
    assert connected == {REPLICA_ALIAS, SECOND_REPLICA}


@pytest.mark.django_db(transaction=True, databases=DATABASES)
def test_an_unreachable_replica_rests_while_the_primary_answers(on_replicas, api_client, caplog):
    station = make_station(make_tree()["street_a"])
    with only(REPLICA_ALIAS, HOST="127.0.0.1", PORT=str(free_port())):
        _unreachable_replica_rests(station, api_client)
    # For the operators: a replica's rest is never silent.
    warnings = [r.getMessage() for r in caplog.records if r.name == "unionportal.core.routers"]
    assert len(warnings) == 2 and all("Replica replica unreachable" in w for w in warnings)  # search, health


def _unreachable_replica_rests(station, api_client):
    with CaptureQueriesContext(connections["default"]) as primary:
        response = api_client.get("/api/v1/stations/", NEAR)
    assert response.status_code == 200 and [r["id"] for r in response.json()["results"]] == [station.pk]
    assert any('FROM "stations_station"' in q["sql"] for q in primary.captured_queries)
    # It rests: the next blocks do not try it, and the next search goes straight to the primary.
    assert routers.usable_replica() is None
    assert api_client.get(f"/api/v1/stations/{station.pk}/").status_code == 200
    assert connections[REPLICA_ALIAS].connection is None
    # The health check says so, and the host stays healthy: the primary answers.
    health = api_client.get("/healthz")
    assert health.status_code == 200 and health.json()["checks"][REPLICA_ALIAS] == "resting"
    # Once its rest is over it is tried again: the health check finds it down, and it rests again.
    routers._resting[REPLICA_ALIAS] = 0.0
    assert routers.usable_replica() == REPLICA_ALIAS
    assert api_client.get("/healthz").json()["checks"][REPLICA_ALIAS] == "down"
    assert routers.usable_replica() is None


@pytest.mark.django_db(transaction=True, databases=DATABASES)
def test_a_failing_query_on_a_reachable_replica_is_not_run_again(on_replicas):
    """A cancelled query (here a statement timeout) is the query's fault, not the replica's:
    running it again on the primary would only double its cost."""
    with only(REPLICA_ALIAS):
        _failing_query_is_not_run_again()


def _failing_query_is_not_run_again():
    runs = []

    def slow_read():
        runs.append(routers._chosen.get())
        with connections[REPLICA_ALIAS].cursor() as cursor:
            cursor.execute("SET statement_timeout = 50")
            try:
                cursor.execute("SELECT pg_sleep(2)")
            finally:
                cursor.execute("RESET statement_timeout")

    with pytest.raises(OperationalError):
        read_from_replica(slow_read)
    assert runs == [REPLICA_ALIAS]
    assert routers.usable_replica() == REPLICA_ALIAS


@pytest.mark.django_db(transaction=True, databases=DATABASES)
def test_the_health_check_reports_each_replica(on_replicas, client):
    checks = client.get("/healthz").json()["checks"]
    assert checks[REPLICA_ALIAS] == checks[SECOND_REPLICA] == "ok"


@pytest.mark.django_db(transaction=True, databases=DATABASES)
def test_a_recovery_conflict_on_the_replica_is_answered_by_the_primary(on_replicas):
    """A hot standby cancels a query whose rows the primary's replayed changes need (SQLSTATE
    40001); raised here as the standby would, on the first read only."""
    with only(REPLICA_ALIAS):
        runs = []

        def read():
            alias = routers._chosen.get()
            runs.append(alias)
            with connections[alias or "default"].cursor() as cursor:
                if alias is not None:
                    cursor.execute("DO $$ BEGIN RAISE EXCEPTION 'canceling statement due to conflict with recovery' "
                                   "USING ERRCODE = 'serialization_failure'; END $$")
                cursor.execute("SELECT 1")
                return cursor.fetchone()[0]

        assert read_from_replica(read) == 1
    assert runs == [REPLICA_ALIAS, None]
    assert not routers._resting  # a conflict is over at once: the replica does not rest


def test_settings_make_an_alias_for_each_replica_url():
    script = (
        "import json; from django.conf import settings\n"
        "print(json.dumps({alias: [db['HOST'], db['PORT'], db['TEST'], db['OPTIONS']['connect_timeout']]\n"
        "                  for alias, db in settings.DATABASES.items() if alias != 'default'}))\n"
    )
    printed = run_with_environment(
        script, unset=["DATABASE_REPLICA_URL"],
        DATABASE_REPLICA_URLS="postgis://reader@r1.example:5432/up postgis://reader@r2.example:6432/up",
    )
    assert json.loads(printed) == {
        REPLICA_ALIAS: ["r1.example", 5432, {"MIRROR": "default"}, 2],
        SECOND_REPLICA: ["r2.example", 6432, {"MIRROR": "default"}, 2],
    }
