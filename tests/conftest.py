import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

# Playwright's sync API runs an event loop in the test thread; Django's ORM is still used
# from the same thread synchronously, which is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _static_files_from_the_source(settings):
    """The test server serves static files from the apps (hashed names need collectstatic)."""
    settings.STORAGES = {
        **settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    """Throttle counters live in Redis; each test starts with none."""
    cache.clear()
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
