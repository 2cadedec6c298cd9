"""Login lockout shared through Redis, and the portal without Redis."""

import pytest
import redis

from ..factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a-good-password-1"


def _token(api_client, phone, password, address="10.0.0.1"):
    return api_client.post("/api/v1/auth/token/", {"phone": phone, "password": password}, REMOTE_ADDR=address)


def test_account_locks_after_failures_everywhere_even_with_the_right_password(api_client, client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "token": "1000/min"}}
    make_user(phone="13512345678", password=PASSWORD, is_staff=True)
    # Failures from different addresses still count against the account.
    statuses = [_token(api_client, "13512345678", "wrong-one", f"10.0.0.{n}").status_code for n in range(5)]
    assert statuses == [400] * 5
    locked = _token(api_client, "13512345678", PASSWORD, "10.0.1.1")
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out" and int(locked["Retry-After"]) > 0
    # The counter lives in Redis, so the admin login in any other process refuses too.
    page = client.post("/admin/login/", {"username": "13512345678", "password": PASSWORD})
    assert page.status_code == 200 and "尝试次数过多" in page.content.decode()
    raw = redis.Redis.from_url(settings.REDIS_URL)
    assert any(b"lockout:account:" in key for key in raw.scan_iter(match="*lockout:account:*"))


def test_address_locks_after_many_failures_across_accounts(api_client, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 4
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "token": "1000/min"}}
    victim = make_user(phone="13512340000", password=PASSWORD)
    for n in range(4):
        assert _token(api_client, f"1351234000{n + 1}", "guess-guess", "10.9.9.9").status_code == 400
    assert _token(api_client, "13512340000", PASSWORD, "10.9.9.9").status_code == 429
    # The same account from another address is not affected.
    assert _token(api_client, "13512340000", PASSWORD, "10.9.9.8").status_code == 200
    assert victim.api_tokens.count() == 1


def test_success_resets_the_account_counter(api_client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "token": "1000/min"}}
    make_user(phone="13512345600", password=PASSWORD)
    for _ in range(4):
        _token(api_client, "13512345600", "wrong-one")
    assert _token(api_client, "13512345600", PASSWORD).status_code == 200
    for _ in range(4):
        assert _token(api_client, "13512345600", "wrong-one").status_code == 400


def test_disabling_an_account_ends_its_tokens_and_sessions_at_once(api_client, client):
    user = make_user(phone="13512345601", password=PASSWORD, is_staff=True)
    token = _token(api_client, "13512345601", PASSWORD).json()["token"]
    client.post("/accounts/login/", {"username": "13512345601", "password": PASSWORD})
    assert api_client.get("/api/v1/auth/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert "135****5601" in client.get("/").content.decode()  # logged in, so the check below means something
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert api_client.get("/api/v1/auth/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    page = client.get("/")
    assert "135****5601" not in page.content.decode()  # no longer logged in


@pytest.fixture
def redis_unreachable(settings):
    """Point the cache at a port where no Redis listens (a real connection failure)."""
    # Django rebuilds its cache connections when CACHES changes.
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0"}}
    yield


def test_pages_and_logins_keep_working_without_redis(api_client, client, redis_unreachable):
    make_user(phone="13512345602", password=PASSWORD)
    assert client.get("/").status_code == 200
    assert _token(api_client, "13512345602", PASSWORD).status_code == 200
    assert _token(api_client, "13512345602", "wrong-one").status_code == 400
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["checks"]["redis"] == "down"
