"""Redis behind Sentinels: the shared cache and the Celery broker find the primary through them,
and follow it through a failover. Real redis-server processes: a primary, its replica and a
Sentinel watching them."""

import socket
import subprocess
import threading
from dataclasses import dataclass

import pytest
import redis
from celery import Celery, current_app
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django_redis.cache import RedisCache

from unionportal import redis_sentinels

from ..support.portal_process import free_port, run_with_environment
from ..support.workers import start_worker, stop_worker, wait_for

PRIMARY_NAME = "unionportal-test"


def _start(directory, port: int, *arguments) -> subprocess.Popen:
    with open(directory / f"redis-{port}.log", "wb") as log:
        process = subprocess.Popen(["redis-server", *arguments, "--bind", "127.0.0.1", "--port", str(port)],
                                   cwd=directory, stdout=log, stderr=subprocess.STDOUT)
    if not wait_for(lambda: _answers(port), seconds=10):
        process.kill()
        pytest.fail(f"redis-server on {port} did not start: {(directory / f'redis-{port}.log').read_text()}")
    return process


def _answers(port: int) -> bool:
    try:
        return redis.Redis(port=port, socket_timeout=0.5).ping()
    except redis.ConnectionError:
        return False


@dataclass
class Ring:
    primary_port: int
    replica_port: int
    sentinel_port: int

    @property
    def sentinel(self) -> redis.Redis:
        return redis.Redis(port=self.sentinel_port, decode_responses=True)

    def current_primary_port(self) -> int:
        return int(self.sentinel.sentinel_get_master_addr_by_name(PRIMARY_NAME)[1])

    def node(self, port: int) -> redis.Redis:
        return redis.Redis(port=port)


@pytest.fixture(scope="module")
def ring(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sentinels")
    primary_port, replica_port, sentinel_port = free_port(), free_port(), free_port()
    storage = ("--save", "", "--appendonly", "no")
    processes = [_start(directory, primary_port, *storage)]
    processes.append(_start(directory, replica_port, *storage, "--replicaof", "127.0.0.1", str(primary_port)))
    # A Sentinel rewrites its own configuration file, so it gets one of its own.
    (directory / "sentinel.conf").write_text(
        f"sentinel monitor {PRIMARY_NAME} 127.0.0.1 {primary_port} 1\n"
        f"sentinel down-after-milliseconds {PRIMARY_NAME} 1000\n"
        f"sentinel failover-timeout {PRIMARY_NAME} 3000\n"
    )
    processes.append(_start(directory, sentinel_port, str(directory / "sentinel.conf"), "--sentinel"))
    ring = Ring(primary_port, replica_port, sentinel_port)
    try:
        # A failover needs a replica the Sentinel has seen in sync.
        assert wait_for(lambda: any(replica.get("master-link-status") == "ok"
                                    for replica in ring.sentinel.sentinel_slaves(PRIMARY_NAME)), seconds=30)
        yield ring
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def test_sentinel_addresses_are_read_with_their_default_port():
    assert redis_sentinels.sentinel_addresses("") == []
    assert redis_sentinels.sentinel_addresses(" s1.example:26380, s2.example ,10.0.0.3:26379") == [
        ("s1.example", 26380), ("s2.example", 26379), ("10.0.0.3", 26379)]
    for wrong in ("s1:port", ":26379", "s1:70000"):
        with pytest.raises(ImproperlyConfigured, match="REDIS_SENTINELS"):
            redis_sentinels.sentinel_addresses(wrong)
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
        redis_sentinels.primary_name("redis:///0")


def test_celery_reaches_the_primary_through_every_sentinel_with_its_password_and_database():
    sentinels = [("s1", 26379), ("s2", 26380)]
    url = "redis://:secret@unionportal/2"
    assert redis_sentinels.celery_broker_url(url, []) == url
    assert redis_sentinels.celery_broker_url(url, sentinels) == (
        "sentinel://:secret@s1:26379/2;sentinel://:secret@s2:26380/2")
    options = redis_sentinels.celery_transport_options(url, sentinels, "sentinels-own")
    assert options["master_name"] == "unionportal"
    assert options["sentinel_kwargs"]["password"] == "sentinels-own"
    assert redis_sentinels.celery_transport_options(url, []) == {}


def test_settings_send_the_cache_and_the_broker_through_the_sentinels(ring):
    """The portal configured only by its environment, in a process of its own: a cached value
    and a queued task message both land on the primary the Sentinel names."""
    script = (
        "import django; django.setup()\n"
        "from django.core.cache import cache\n"
        "from unionportal.celery import app\n"
        "assert cache.set('wired', 'yes', 60) is not False\n"
        "with app.connection_for_write() as connection:\n"
        "    connection.ensure_connection(max_retries=3)\n"
        "    queue = connection.SimpleQueue('sentinel-wiring')\n"
        "    queue.put({'hello': 1})\n"
        "    queue.close()\n"
    )
    run_with_environment(script, unset=["CELERY_BROKER_URL"], REDIS_SENTINELS=f"127.0.0.1:{ring.sentinel_port}",
                         REDIS_URL=f"redis://{PRIMARY_NAME}/0", CACHE_KEY_PREFIX="sentinel-wiring")
    primary = ring.node(ring.current_primary_port())
    assert primary.exists("sentinel-wiring:1:wired")
    assert primary.llen("sentinel-wiring") == 1


def test_the_cache_follows_the_primary_through_a_failover(ring):
    cache = RedisCache(f"redis://{PRIMARY_NAME}/0", {
        "OPTIONS": redis_sentinels.cache_options([("127.0.0.1", ring.sentinel_port)]), "KEY_PREFIX": "failover",
    })
    key = cache.make_key("where")
    before = ring.current_primary_port()
    assert cache.set("where", "before", 60) is not False
    assert ring.node(before).exists(key)

    after = _fail_over(ring)

    # The connections to the old primary fail or are refused as read-only, and the next ones are
    # opened to the primary the Sentinel now names.
    assert wait_for(lambda: cache.set("where", "after", 60) is not False and cache.get("where") == "after",
                    seconds=30)
    assert ring.node(after).get(key) is not None
    assert cache.get("where") == "after"
    cache.close()


@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_follows_the_primary_through_a_failover(ring):
    """A real worker, configured only by its environment, answers a ping through the Sentinel,
    and again after the primary has moved."""
    url, sentinels = f"redis://{PRIMARY_NAME}/0", [("127.0.0.1", ring.sentinel_port)]
    # Not the current app: the portal's own tasks, sent by later tests, keep the portal's broker.
    caller = Celery("sentinel-caller", set_as_current=False, broker=redis_sentinels.celery_broker_url(url, sentinels),
                    broker_transport_options=redis_sentinels.celery_transport_options(url, sentinels))
    worker = start_worker("sentinel-worker", extra_env={
        "REDIS_SENTINELS": f"127.0.0.1:{ring.sentinel_port}", "REDIS_URL": url, "CELERY_BROKER_URL": "",
    })
    try:
        assert wait_for(lambda: caller.control.ping(timeout=1, limit=1), seconds=60)
        _fail_over(ring)
        assert wait_for(lambda: caller.control.ping(timeout=1, limit=1), seconds=60)
    finally:
        stop_worker(worker)
        caller.close()
    assert current_app.main != "sentinel-caller"


def _fail_over(ring) -> int:
    """Has the Sentinel hand the primary's role to a replica in sync; returns the new one's port."""
    assert wait_for(lambda: any(replica.get("master-link-status") == "ok"
                                for replica in ring.sentinel.sentinel_slaves(PRIMARY_NAME)), seconds=30)
    before = ring.current_primary_port()
    ring.sentinel.execute_command("SENTINEL", "FAILOVER", PRIMARY_NAME)
    assert wait_for(lambda: ring.current_primary_port() != before, seconds=30)
    after = ring.current_primary_port()
    assert wait_for(lambda: ring.node(after).info("replication")["role"] == "master", seconds=30)
    return after


def test_unreachable_sentinels_leave_the_portal_working_without_its_cache():
    # A primary's name of its own: django-redis keeps one connection pool per URL, process-wide.
    cache = RedisCache("redis://nobody-watches-this/0", {
        "OPTIONS": redis_sentinels.cache_options([("127.0.0.1", free_port())]), "KEY_PREFIX": "nobody",
    })
    assert settings.DJANGO_REDIS_IGNORE_EXCEPTIONS
    assert cache.get("anything") is None
    assert cache.set("anything", 1) is None


def test_a_sentinel_that_hangs_up_is_asked_once_per_call_not_again_and_again():
    """redis-py's default is ten retries with backoff: seconds of waiting in every request while
    the Sentinels are away. Here a Sentinel that accepts and hangs up counts how often it is asked."""
    listener = socket.create_server(("127.0.0.1", 0))
    asked = []

    def hang_up():
        while True:
            try:
                connection, _address = listener.accept()
            except OSError:
                return  # closed: the test is over
            asked.append(1)
            connection.close()

    threading.Thread(target=hang_up, daemon=True).start()
    cache = RedisCache("redis://hung-up-on/0", {
        "OPTIONS": redis_sentinels.cache_options([listener.getsockname()]), "KEY_PREFIX": "hung-up",
    })
    try:
        for _ in range(3):
            assert cache.get("anything") is None
    finally:
        listener.close()
    assert len(asked) == 3
