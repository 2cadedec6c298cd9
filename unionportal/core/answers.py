"""JSON answers written at once when the request negotiated plain JSON.

DRF's Response is rendered when the view's answer is finalised: a template response, a
renderer context and the renderer's settings looked up for every answer. The hottest answers
(`/me`, my coupons, a claim, a redemption, the nearest stations, the errors a claim rush meets)
hold only plain values, so for a request that negotiated `application/json` they are written
here with DRF's own encoder and JSON settings, byte for byte as its JSONRenderer would. Any other
format (the browsable API, an indented `Accept`) still gets a DRF Response.
"""

from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils import encoders, json


def json_answer(request, data, status: int = 200):
    """`data` as JSON with `status`; `request` is the DRF request the view answers."""
    if type(getattr(request, "accepted_renderer", None)) is not JSONRenderer or (
        request.accepted_media_type != JSONRenderer.media_type
    ):
        return Response(data, status=status)
    body = json.dumps(
        data, cls=encoders.JSONEncoder, ensure_ascii=not api_settings.UNICODE_JSON,
        allow_nan=not api_settings.STRICT_JSON,
        separators=(",", ":") if api_settings.COMPACT_JSON else (", ", ": "),
    )
    # As JSONRenderer: these two are valid JSON but end a line in JavaScript.
    body = body.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    response = HttpResponse(body.encode(), status=status, content_type=JSONRenderer.media_type)
    response.data = data  # as a Response carries it, for whoever reads the answer back (the tests)
    return response
