"""Answers are gzip-compressed for clients that accept it: text only, and only when it pays."""

import gzip

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from tests.factories import make_tree
from tests.stations.builders import make_station
from unionportal.core.compression import SMALLEST_COMPRESSED, TextCompressionMiddleware

pytestmark = pytest.mark.django_db
GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}
VIEWPORT = {"bbox": "118.60,24.80,118.75,24.95"}


@pytest.fixture
def viewport_stations():
    tree = make_tree()
    return [make_station(tree["street_a"], lat=24.81 + i * 0.003, lng=118.61 + i * 0.002, name=f"劳动者港湾{i:03d}")
            for i in range(40)]


def test_a_map_viewport_is_sent_compressed_to_a_phone_and_reads_the_same(api_client, viewport_stations):
    plain = api_client.get("/api/v1/stations/geojson/", VIEWPORT)
    compressed = api_client.get("/api/v1/stations/geojson/", VIEWPORT, **GZIP)
    assert plain.status_code == compressed.status_code == 200
    assert "Content-Encoding" not in plain
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"] and "Accept-Language" in compressed["Vary"]
    assert int(compressed["Content-Length"]) == len(compressed.content)
    assert gzip.decompress(compressed.content) == plain.content
    assert len(plain.json()["features"]) == 40
    assert len(compressed.content) * 4 < len(plain.content)


def test_pages_are_compressed_too(client, viewport_stations):
    response = client.get("/stations/", **GZIP)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "<html" in gzip.decompress(response.content).decode()


def test_an_answer_that_fits_in_one_packet_is_sent_as_it_is(api_client):
    response = api_client.get("/api/v1/stations/geojson/", VIEWPORT, **GZIP)
    assert response.status_code == 200 and len(response.content) < SMALLEST_COMPRESSED
    assert "Content-Encoding" not in response
    assert "Accept-Encoding" not in response.get("Vary", "")


@pytest.mark.parametrize("content_type, compressed", [
    ("application/json", True), ("text/csv; charset=utf-8", True), ("image/jpeg", False),
    ("application/pdf", False),
])
def test_only_text_is_compressed(content_type, compressed):
    body = b"0123456789abcdef" * 400
    middleware = TextCompressionMiddleware(lambda request: HttpResponse(body, content_type=content_type))
    response = middleware(RequestFactory().get("/any/", **GZIP))
    assert response.has_header("Content-Encoding") is compressed
    assert (gzip.decompress(response.content) if compressed else response.content) == body


def test_a_client_that_does_not_accept_gzip_gets_plain_text():
    body = b'{"detail": "x"}' * 200
    middleware = TextCompressionMiddleware(lambda request: HttpResponse(body, content_type="application/json"))
    response = middleware(RequestFactory().get("/api/v1/anything/", HTTP_ACCEPT_ENCODING="identity"))
    assert response.content == body and not response.has_header("Content-Encoding")
    assert response["Vary"] == "Accept-Encoding"  # a shared cache must keep the two apart
