"""The local services' ports: kept per checkout, chosen again when another server took one."""

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from django.conf import settings


@pytest.fixture
def checkout(tmp_path):
    """A checkout's scripts/env.sh, with nothing under .local/ yet."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(Path(settings.BASE_DIR) / "scripts" / "env.sh", tmp_path / "scripts" / "env.sh")
    (tmp_path / ".local").mkdir()
    return tmp_path


@pytest.fixture
def taken_port():
    """A port another server listens on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ports_after_sourcing(checkout) -> tuple[int, int]:
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("DATABASE_URL", "REDIS_URL", "USE_LOCAL_PG", "USE_LOCAL_REDIS")}
    shown = subprocess.run(["bash", "-c", 'source scripts/env.sh && echo "$LOCAL_PG_PORT $LOCAL_REDIS_PORT"'],
                           cwd=checkout, env=environment, capture_output=True, text=True, check=True).stdout
    postgres, redis = shown.split()
    return int(postgres), int(redis)


def test_a_port_another_server_took_is_chosen_again_and_kept(checkout, taken_port):
    """Two checkouts that chose while neither ran: the second to start moves aside."""
    redis = free_port()
    (checkout / ".local" / "ports.env").write_text(f"LOCAL_PG_PORT={taken_port}\nLOCAL_REDIS_PORT={redis}\n")
    postgres, kept_redis = ports_after_sourcing(checkout)
    assert postgres != taken_port and kept_redis == redis
    assert (checkout / ".local" / "ports.env").read_text() == f"LOCAL_PG_PORT={postgres}\nLOCAL_REDIS_PORT={redis}\n"


def test_a_port_the_checkouts_own_server_holds_is_kept(checkout, taken_port):
    data = checkout / ".local" / "pg" / "data"
    data.mkdir(parents=True)
    (data / "postmaster.pid").write_text(f"{os.getpid()}\n{data}\n")  # a live process: this one
    (checkout / ".local" / "ports.env").write_text(f"LOCAL_PG_PORT={taken_port}\nLOCAL_REDIS_PORT={free_port()}\n")
    assert ports_after_sourcing(checkout)[0] == taken_port
