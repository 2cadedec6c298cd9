"""The portal's WSGI handler remembers which view each path resolves to."""

import io
import sys
from datetime import timedelta

import pytest
from django.core.signals import request_started
from django.db import close_old_connections

from tests.factories import make_member, make_tree
from unionportal.core.handler import PortalWSGIHandler, resolved
from unionportal.core.services import api_token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def served():
    """Calls the handler as gunicorn does, inside the test's transaction (as Django's test client
    does, the connection is not closed when a request starts)."""
    handler = PortalWSGIHandler()
    request_started.disconnect(close_old_connections)

    def call(path, **headers):
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "testserver",
            "SERVER_PORT": "80", "HTTP_HOST": "testserver", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, **headers,
        }
        statuses = []
        body = b"".join(handler(environ, lambda status, headers, exc_info=None: statuses.append(status)))
        return int(statuses[0].split()[0]), body

    yield call
    request_started.connect(close_old_connections)


def test_each_path_is_resolved_once(served):
    resolved.cache_clear()
    union = make_tree()["enterprise_a"]
    member = make_member(union)
    raw, _token = api_token_issue(user=member.user, lifetime=timedelta(hours=1))
    for _ in range(3):
        status, body = served("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert status == 200 and member.card_number.encode() in body
        assert served("/hello") == (200, b"hello")
    info = resolved.cache_info()
    assert (info.misses, info.hits, info.currsize) == (2, 4, 2)
    # Another member's answer from the remembered match is their own.
    other = make_member(union)
    raw, _token = api_token_issue(user=other.user, lifetime=timedelta(hours=1))
    status, body = served("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert status == 200 and other.card_number.encode() in body and member.card_number.encode() not in body


def test_a_path_that_resolves_to_nothing_is_not_remembered(served):
    resolved.cache_clear()
    for _ in range(2):
        status, body = served("/api/v1/no-such-thing/")
        assert status == 404 and b'"code":"not_found"' in body.replace(b" ", b"")
    assert resolved.cache_info().currsize == 0


def test_a_cookieless_api_call_skips_the_pages_layers_and_keeps_the_headers(api_client):
    member = make_member(make_tree()["enterprise_a"])
    raw, _token = api_token_issue(user=member.user, lifetime=timedelta(hours=1))
    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    request = response.wsgi_request
    assert not hasattr(request, "session") and not hasattr(request, "_messages")
    assert "Set-Cookie" not in response
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    # With a cookie the call is a browser's: its session signs it in, as before.
    api_client.force_login(member.user)
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 200 and response.json()["card_number"] == member.card_number
    assert hasattr(response.wsgi_request, "session")


def test_pages_keep_every_layer(client):
    response = client.get("/")
    assert hasattr(response.wsgi_request, "session") and hasattr(response.wsgi_request, "_messages")
