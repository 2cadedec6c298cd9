"""Security headers on every page, and Django's deployment checks with production settings."""

import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

PAGES = ["/", "/accounts/login/", "/admin/login/", "/api/docs/"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_a_strict_content_security_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = dict(
        directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    # Scripts from our own origin only: 'self' and, where a page has inline scripts, its nonce.
    script_sources = policy["script-src"].split()
    assert script_sources[0] == "'self'"
    assert all(source.startswith("'nonce-") for source in script_sources[1:]), script_sources
    for directive in ("connect-src", "form-action", "base-uri"):
        assert policy[directive] == "'self'", directive
    tiles = urlsplit(settings.LEAFLET_CONFIG["TILES"][0][1].replace("{s}", "*"))  # as the settings do
    assert set(policy["img-src"].split()) <= {"'self'", "data:", "blob:", f"{tiles.scheme}://{tiles.netloc}"}
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_hsts_over_https(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_deploy_checks_pass_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set for browser tests only
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 20 + "-production-like-secret-key-for-the-check-0123456789",
        PII_ENCRYPTION_KEYS="p4UxvGq9Rk5m3y1TqZ7v2nB8cD0eF6gH1iJ2kL3mN4o=",
        PII_HASH_KEY="a-separate-hmac-key-for-the-deploy-check",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_keys():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PII_", "DJANGO_SECRET"))}
    env["DJANGO_DEBUG"] = "0"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
    )
    assert result.returncode != 0 and "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("path", ["/api/v1/stations/?page_size=1", "/api/v1/me/", "/api/v1/nowhere/", "/healthz"])
def test_json_answers_carry_the_policy_that_allows_nothing(client, path):
    response = client.get(path)
    assert response["Content-Type"].startswith("application/json"), response.status_code
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_plain_accept_headers_answer_json(client, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get("/api/v1/stations/?page_size=1", **headers)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "results" in response.json()


def test_other_accept_headers_are_negotiated_as_before(client):
    browsable = client.get("/api/v1/stations/?page_size=1", HTTP_ACCEPT="text/html")
    assert browsable.status_code == 200 and browsable["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in browsable["Content-Security-Policy"]  # a page: the pages' policy
    assert client.get("/api/v1/stations/?page_size=1&format=api")["Content-Type"].startswith("text/html")
    indented = client.get("/api/v1/stations/?page_size=1", HTTP_ACCEPT="application/json; indent=2")
    assert indented.status_code == 200 and b'\n  "count"' in indented.content
    assert client.get("/api/v1/stations/", HTTP_ACCEPT="application/xml").status_code == 406
