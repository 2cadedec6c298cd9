"""/healthz: is the database, Redis and a Celery worker there (and the read replicas)?"""

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from unionportal.celery import app as celery_app

from .held import held_or_fetched
from .routers import replica_states

CELERY_HELD_SECONDS = 10


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("select postgis_version()")
            return cursor.fetchone() is not None
    except Exception:
        return False


def _redis() -> bool:
    try:
        cache.set("healthz", "ok", 10)
        return cache.get("healthz") == "ok"
    except Exception:
        return False


def _celery() -> bool:
    """Held in the process for CELERY_HELD_SECONDS: with no worker running, asking waits out the
    whole timeout, and a load balancer's probes would each hold a web thread that long."""
    return held_or_fetched("healthz:celery", _celery_pinged, CELERY_HELD_SECONDS)


def _celery_pinged() -> bool:
    # One worker's answer is enough: without a limit, ping waits out its timeout for more.
    try:
        return bool(celery_app.control.ping(timeout=0.5, limit=1))
    except Exception:
        return False


@never_cache
def healthz(request):
    checks = {"database": _database(), "redis": _redis(), "celery": _celery()}
    # The portal serves pages without a worker (notifications wait in the outbox), so a
    # missing worker is reported but does not make the portal unhealthy.
    healthy = checks["database"] and checks["redis"]
    body = {"status": "ok" if healthy else "error", "checks": {k: "ok" if v else "down" for k, v in checks.items()}}
    # Read replicas are reported too; without them the primary answers every read, so they
    # never make this host unhealthy.
    body["checks"].update(replica_states())
    return JsonResponse(body, status=200 if healthy else 503)
