"""Faults made real for tests: Redis (the cache and the Celery broker) out of reach."""

from contextlib import contextmanager

from django.core.cache import cache

from unionportal.celery import app as celery_app

# Port 9 (discard) has nothing listening here: every connection is refused, a real failure.
UNREACHABLE_REDIS = "redis://127.0.0.1:9/0"


@contextmanager
def redis_unreachable(settings):
    """Point the cache and the Celery broker where no Redis listens, as when the one Redis is down.

    `settings` is pytest-django's fixture: Django rebuilds its cache connections when CACHES
    changes, in every thread. Celery's connection pools remember the old address, so they
    are dropped on the way in and out.
    """
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": UNREACHABLE_REDIS}}
    broker = celery_app.conf.broker_url
    celery_app.conf.broker_url = UNREACHABLE_REDIS
    celery_app._pool, celery_app.amqp._producer_pool = None, None
    try:
        try:
            cache.set("redis-probe", "up")
            reachable = cache.get("redis-probe") == "up"
        except Exception:  # the cache may raise or swallow the error, as configured
            reachable = False
        assert not reachable, "Redis still answers"
        yield
    finally:
        celery_app.conf.broker_url = broker
        celery_app._pool, celery_app.amqp._producer_pool = None, None
