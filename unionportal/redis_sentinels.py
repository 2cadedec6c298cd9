"""Redis as one server, or as a primary that Redis Sentinels name (settings: REDIS_SENTINELS).

With Sentinels, `REDIS_URL`'s host is not an address but the name the Sentinels monitor the
primary under (`redis://:password@unionportal/0`), as django-redis and Celery both read it. Each
process asks the Sentinels where the primary is, and asks again when a failover has moved it.
Every read goes to the primary too: a login-failure count or a "sold out" flag read from a
lagging replica would be wrong.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.retry import Retry

DEFAULT_SENTINEL_PORT = 26379
# As for the primary: a Redis that is away must cost a request at most a second.
SOCKET_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}


def sentinel_addresses(text: str) -> list[tuple[str, int]]:
    """`host[:port],host[:port],…` as (host, port) pairs; the port defaults to 26379."""
    addresses = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        host, colon, port = item.rpartition(":")
        if not colon:
            host, port = item, str(DEFAULT_SENTINEL_PORT)
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ImproperlyConfigured(f"REDIS_SENTINELS: {item!r} is not host:port")
        addresses.append((host, int(port)))
    return addresses


def primary_name(redis_url: str) -> str:
    """The name the Sentinels know the primary by: the host of `REDIS_URL`."""
    name = urlsplit(redis_url).hostname
    if not name:
        raise ImproperlyConfigured("REDIS_URL must name the Sentinels' primary as its host, e.g. redis://unionportal/0")
    return name


def cache_options(sentinels: list[tuple[str, int]], sentinel_password: str = "") -> dict:
    """django-redis OPTIONS for the shared cache (the primary found through `sentinels`, if any)."""
    options = {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1}
    if sentinels:
        options.update(
            CONNECTION_FACTORY="django_redis.pool.SentinelConnectionFactory",
            SENTINELS=sentinels,
            SENTINEL_KWARGS=sentinel_kwargs(sentinel_password),
        )
    return options


def sentinel_kwargs(sentinel_password: str = "") -> dict:
    """How to talk to the Sentinels themselves (their password is not the primary's). One that
    does not answer is passed over for the next at once: redis-py's default of ten retries with
    backoff made every cache call wait four seconds while the Sentinels were away."""
    return {**SOCKET_OPTIONS, "retry": Retry(NoBackoff(), 0),
            **({"password": sentinel_password} if sentinel_password else {})}


def celery_broker_url(redis_url: str, sentinels: list[tuple[str, int]]) -> str:
    """The Celery broker: `REDIS_URL` itself, or one `sentinel://` address per Sentinel, carrying
    the primary's password and database number (kombu's form)."""
    if not sentinels:
        return redis_url
    parts = urlsplit(redis_url)
    credentials = parts.netloc.rpartition("@")[0]
    prefix = f"{credentials}@" if credentials else ""
    return ";".join(f"sentinel://{prefix}{host}:{port}{parts.path}" for host, port in sentinels)


def celery_transport_options(redis_url: str, sentinels: list[tuple[str, int]], sentinel_password: str = "") -> dict:
    """What kombu needs besides the broker URL to find the primary through Sentinels."""
    if not sentinels:
        return {}
    return {"master_name": primary_name(redis_url), "sentinel_kwargs": sentinel_kwargs(sentinel_password)}
