"""JSON answers written at once (core.answers) are the bytes DRF's JSONRenderer would write,
and any other format still goes through DRF."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from tests.factories import make_member, make_tree
from unionportal.core.answers import json_answer
from unionportal.core.services import api_token_issue

pytestmark = pytest.mark.django_db

SAMPLE = {"name": "王小明", "amount": Decimal("12.50"), "nothing": None, "line": "a\u2028b", "list": [1, 2.5]}


class Echo(APIView):
    authentication_classes, permission_classes, throttle_classes = [], [], []

    def get(self, request):
        return json_answer(request, SAMPLE, 201)


def _get(accept=None):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = Echo.as_view()(APIRequestFactory().get("/echo/", **headers))
    return response.render() if isinstance(response, Response) else response


def test_plain_json_is_written_at_once_as_drf_would_write_it():
    answer = _get()
    assert type(answer) is HttpResponse and answer.status_code == 201
    assert answer.content == JSONRenderer().render(SAMPLE)
    assert answer["Content-Type"] == "application/json"
    assert answer.data == SAMPLE
    assert answer.content == _get("application/json").content


@pytest.mark.parametrize("accept", ["text/html", "application/json; indent=4"])
def test_other_formats_still_go_through_drf(accept):
    answer = _get(accept)
    assert isinstance(answer, Response) and answer.status_code == 201
    assert answer.content != JSONRenderer().render(SAMPLE)  # a page, or indented


def test_the_hot_answers_keep_their_headers_and_shape(api_client):
    member = make_member(make_tree()["enterprise_a"])
    raw, _token = api_token_issue(user=member.user, lifetime=timedelta(hours=1))
    me = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert me.status_code == 200 and me.json()["id"] == member.pk
    assert me["Content-Type"] == "application/json" and me["Vary"] == "Accept, Accept-Language"
    assert me["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    mine = api_client.get("/api/v1/me/coupons/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert mine.json() == {"count": 0, "next": None, "previous": None, "results": []}
    missing = api_client.post("/api/v1/coupon-batches/999999/claim/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
