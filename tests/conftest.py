import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from stations.map_tiles import forget_held_tiles
from unionportal.core.held import forget_held
from unionportal.core.throttling import counts as rate_counts

# Playwright's sync API runs an event loop in the test thread; Django's ORM is still used
# from the same thread synchronously, which is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_sessionstart(session):
    from .support import session_logs

    session_logs.start()


def pytest_sessionfinish(session, exitstatus):
    """Fail the run when any log of the session holds a clear ID or mobile number.

    A hook and not a last test: it sees the logs of every test of any selection (workers
    stopped, servers shut down), cannot be deselected or reordered away, and its exit status
    is the one CI reads. The offending lines are printed masked.
    """
    from .support import session_logs

    problems = [f"{name}:{number}: {line}" for name, number, line in session_logs.findings()]
    if not session_logs.is_capturing():
        problems.append("the log capture was removed during the session (logging reconfigured?)")
    if not problems:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", f"personal data in the logs ({session_logs.shown_name()}/)", red=True, bold=True)
        for problem in problems[:50]:
            reporter.write_line(problem)
        if len(problems) > 50:
            reporter.write_line(f"… and {len(problems) - 50} more lines")
    if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The production hasher is slow on purpose (a million PBKDF2 rounds); the tests make
    thousands of users, and what they test is not the hash's strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _static_files_from_the_source(settings):
    """The test server serves static files from the apps (hashed names need collectstatic)."""
    settings.STORAGES = {
        **settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    """Throttle counters and cached counts live in Redis (some also held briefly in the process);
    each test starts with none."""
    cache.clear()
    forget_held()
    forget_held_tiles()
    rate_counts.forget()
    yield


@pytest.fixture
def browser():
    """Debian's headless Chromium (no browser download)."""
    from .support.browser import chromium

    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, live_server):
    """A phone-sized page in Chinese, recording failed requests and console errors."""
    from .support.browser import phone_page

    return phone_page(browser)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def demo(db):
    """The demo federation, exactly as `manage.py seed_demo` makes it."""
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())
    from members.models import Organization

    return Organization.objects.get(name="泉州市总工会")


@pytest.fixture
def worker_queue(transactional_db):
    """Tasks queued by this test go to a queue only this test's real Celery workers drain."""
    import time

    from unionportal.celery import app

    queue = f"test-{os.getpid()}-{time.monotonic_ns()}"
    app.conf.task_default_queue = queue
    yield queue
    app.conf.task_default_queue = "celery"


@pytest.fixture
def celery_worker_process(worker_queue):
    """A real Celery worker on this test's queue and database (a module may give it settings)."""
    from .support.workers import start_worker, stop_worker

    process = start_worker(worker_queue)
    yield process
    stop_worker(process)
