"""Login lockout: after repeated failures an account, or a client address, must wait.

Counted in Redis (the default cache) so every web process shares the counters. The
per-address limit is higher than the per-account one because many workers' phones share
one carrier-grade NAT address. If Redis is down the counters are skipped (logins keep
working) rather than locking everyone out.
"""

import logging

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache

from members.models import phone_hash

logger = logging.getLogger(__name__)


def _keys(request, phone: str) -> tuple[str, str]:
    account = f"lockout:account:{phone_hash(phone)[:32]}"
    address = f"lockout:address:{request.META.get('REMOTE_ADDR', '')}"
    return account, address


def _locked(account_key: str, address_key: str) -> bool:
    try:
        counts = cache.get_many([account_key, address_key])
    except Exception:
        logger.warning("login lockout skipped: cache unavailable")
        return False
    return (
        counts.get(account_key, 0) >= settings.LOGIN_FAILURES_PER_ACCOUNT
        or counts.get(address_key, 0) >= settings.LOGIN_FAILURES_PER_ADDRESS
    )


def _count_failure(key: str) -> None:
    try:
        if cache.add(key, 1, settings.LOGIN_LOCKOUT_SECONDS):
            return
        cache.incr(key)
    except Exception:
        logger.warning("login failure not counted: cache unavailable")


class LockedOut(Exception):
    """Too many failed logins for this account or address; retry after `retry_after` seconds."""

    retry_after = None

    def __init__(self):
        super().__init__("locked out")
        self.retry_after = settings.LOGIN_LOCKOUT_SECONDS


def authenticate_with_lockout(request, phone: str, password: str):
    """The user for these credentials, None when they are wrong; raises LockedOut."""
    account_key, address_key = _keys(request, phone)
    if _locked(account_key, address_key):
        raise LockedOut()
    user = authenticate(request, phone=phone, password=password)
    if user is None:
        _count_failure(account_key)
        _count_failure(address_key)
        return None
    try:
        cache.delete(account_key)
    except Exception:
        pass
    return user
