from datetime import timedelta

import pytest
from django.utils import timezone

from unionportal.core.models import ApiKey, ApiToken
from unionportal.core.services import api_key_issue, hash_secret

from ..factories import make_user

pytestmark = pytest.mark.django_db


def test_token_issued_for_phone_and_password(api_client):
    user = make_user(phone="13812345678", password="a-good-password-1")
    response = api_client.post("/api/v1/auth/token/", {"phone": "138 1234 5678", "password": "a-good-password-1"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    assert ApiToken.objects.get(user=user).token_hash == hash_secret(body["token"])  # only the hash is stored
    me = api_client.get("/api/v1/auth/whoami/", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.status_code == 200
    assert me.json() == {"kind": "user", "is_staff": False}
    nobody = api_client.get("/api/v1/auth/whoami/")
    assert nobody.status_code == 401 and nobody.json()["code"] == "not_authenticated"


def test_wrong_password_is_400_in_chinese_by_default(api_client):
    make_user(phone="13812345679", password="a-good-password-1")
    response = api_client.post("/api/v1/auth/token/", {"phone": "13812345679", "password": "wrong-password"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert "手机号" in response.json()["detail"]


def test_validation_errors_name_the_field_and_follow_accept_language(api_client):
    response = api_client.post("/api/v1/auth/token/", {"phone": "13812345679"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "required"
    assert body["fields"]["password"] == ["This field is required."]


def test_login_attempts_are_throttled(api_client, settings):
    # A different number each time, so that the per-account lockout never answers first.
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"] == "10/min"
    assert settings.LOGIN_FAILURES_PER_ADDRESS > 11
    responses = [
        api_client.post("/api/v1/auth/token/", {"phone": f"138123456{n:02d}", "password": "nope-nope"})
        for n in range(11)
    ]
    assert [response.status_code for response in responses] == [400] * 10 + [429]
    assert responses[-1].json()["code"] == "throttled" and int(responses[-1]["Retry-After"]) > 0


def test_expired_and_disabled_tokens_are_refused(api_client):
    user = make_user()
    ApiToken.objects.create(user=user, token_hash=hash_secret("old"), expires_at=timezone.now() - timedelta(seconds=1))
    response = api_client.get("/api/v1/auth/whoami/", HTTP_AUTHORIZATION="Bearer old")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_api_key_is_stored_hashed_and_checks_scope(api_client):
    raw, key = api_key_issue(name="影院", scopes=["coupons:redeem"])
    assert raw.split(".", 1)[1] not in key.key_hash
    ok = api_client.get("/api/v1/auth/whoami/", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert ok.status_code == 200
    assert ok.json() == {"kind": "partner", "name": "影院", "scopes": ["coupons:redeem"]}
    bad = api_client.get("/api/v1/auth/whoami/", HTTP_AUTHORIZATION=f"Api-Key {key.prefix}.wrong")
    assert bad.status_code == 401
    ApiKey.objects.filter(pk=key.pk).update(is_active=False)
    assert api_client.get("/api/v1/auth/whoami/", HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 401


def test_schema_and_docs_are_public(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
