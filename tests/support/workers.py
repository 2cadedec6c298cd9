"""Real Celery worker processes for tests, on the test database and a queue of their own."""

import os
import subprocess
import sys
import time
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from . import session_logs


def database_url() -> str:
    base = settings.DATABASES["default"]
    host = quote(base["HOST"], safe="")  # a socket's directory: its slashes escaped
    return f"postgis://{base['USER']}@{host}:{base['PORT']}/{connection.settings_dict['NAME']}"


def start_worker(queue: str, *, pool="solo", extra_env=None) -> subprocess.Popen:
    env = dict(
        os.environ, TEST_DATABASE_NAME="", DATABASE_URL=database_url(), CELERY_TASK_DEFAULT_QUEUE=queue,
        **(extra_env or {}),
    )
    # INFO, as in production: the session's log check reads what the worker wrote (SMS lines too).
    with session_logs.process_log(f"celery-{queue}") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "unionportal", "worker", "-Q", queue, f"--pool={pool}",
             "--concurrency=1", "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
            env=env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a test can kill -9 all of it
        )


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(predicate, seconds=40) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False
