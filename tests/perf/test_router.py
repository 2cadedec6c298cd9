"""The read-replica router, run against a second database alias that mirrors the test database."""

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from stations.models import Station
from tests.factories import make_tree
from tests.stations.builders import make_station
from unionportal.core.routers import REPLICA_ALIAS, ReplicaRouter, replica_reads


@pytest.fixture(scope="module")
def replica():
    """A `replica` alias: a second connection to the same test database, as a real replica
    would be (the settings' DATABASE_REPLICA_URL makes the same, with TEST MIRROR "default")."""
    primary = connections.settings["default"]
    connections.settings[REPLICA_ALIAS] = {**primary, "TEST": {**primary["TEST"], "MIRROR": "default"}}
    yield connections[REPLICA_ALIAS]
    connections[REPLICA_ALIAS].close()
    del connections[REPLICA_ALIAS]
    del connections.settings[REPLICA_ALIAS]


@pytest.fixture
def on_replica(replica, request):
    request.getfixturevalue("transactional_db")
    return replica


@pytest.mark.django_db(transaction=True, databases=["default", REPLICA_ALIAS])
def test_read_only_selectors_read_from_the_replica_and_writes_stay_on_the_primary(on_replica, api_client):
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
        response = api_client.get("/api/v1/stations/", {"near": "24.874,118.676"})
    assert response.status_code == 200 and [r["id"] for r in response.json()["results"]] == [station.pk]
    assert any('FROM "stations_station"' in q["sql"] for q in replica_queries.captured_queries)
    assert not any("stations_" in q["sql"] for q in primary.captured_queries)

    # A write during a read-only block still goes to the primary, and the replica sees it.
    with replica_reads():
        Station.objects.filter(pk=station.pk).update(name="改名驿站")
        assert Station.objects.get(pk=station.pk).name == "改名驿站"
