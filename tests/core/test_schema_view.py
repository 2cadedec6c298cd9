"""The served OpenAPI schema is written once per process for each language, version and format."""

import pytest
import yaml
from django.test import RequestFactory
from drf_spectacular.views import SpectacularAPIView

from unionportal.core import schema_view

pytestmark = pytest.mark.django_db
JSON = "application/vnd.oai.openapi+json"


@pytest.fixture(autouse=True)
def _no_written_schemas():
    schema_view.forget_written_schemas()
    yield
    schema_view.forget_written_schemas()


def _written_afresh(path, **headers):
    """What drf-spectacular's own view answers, written for this call."""
    response = SpectacularAPIView.as_view()(RequestFactory().get(path, **headers))
    response.render()
    return response.content


def test_each_language_and_format_is_answered_as_written_afresh(client):
    for path, headers in [("/api/schema/", {}), ("/api/schema/?lang=en", {}), ("/api/schema/", {"HTTP_ACCEPT": JSON})]:
        first, again = client.get(path, **headers), client.get(path, **headers)
        assert first.status_code == again.status_code == 200
        assert first.content == again.content == _written_afresh(path, **headers)
        assert first["Content-Type"] == again["Content-Type"]
    chinese, english = yaml.safe_load(client.get("/api/schema/").content), yaml.safe_load(client.get("/api/schema/?lang=en").content)
    assert chinese != english  # kept apart: the English answer is not the Chinese one held
    assert client.get("/api/schema/", HTTP_ACCEPT=JSON)["Content-Type"].startswith(JSON)
    assert 'filename="unionportal API.json"' in client.get("/api/schema/", HTTP_ACCEPT=JSON)["Content-Disposition"]


def test_a_process_keeps_a_bounded_number_of_answers(client, monkeypatch):
    monkeypatch.setattr(schema_view, "MAX_WRITTEN_VARIANTS", 3)
    answers = [client.get(f"/api/schema/?version=v{number}") for number in range(5)]
    assert [answer.status_code for answer in answers] == [200] * 5
    assert len(schema_view._written) == 3
