"""One exception handler: every API error is {"detail", "code"} (+ "fields" for validation)."""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .answers import json_answer
from .errors import DomainError


def _first_code(codes):
    if isinstance(codes, dict):
        for value in codes.values():
            return _first_code(value)
    if isinstance(codes, list) and codes:
        return _first_code(codes[0])
    return codes if isinstance(codes, str) else "invalid"


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"detail": str(exc.message), "code": exc.code}
        if exc.field:
            body["fields"] = {exc.field: [str(exc.message)]}
        return json_answer(context.get("request"), body, exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, OperationalError):
        # The database went away mid-request: a clean, retryable answer instead of a 500.
        response = Response(
            {"detail": _("The service is busy. Please try again shortly."), "code": "service_unavailable"},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = "5"
        return response
    elif isinstance(exc, IntegrityError):
        return Response(
            {"detail": _("This conflicts with existing data."), "code": "conflict"}, status=status.HTTP_409_CONFLICT,
        )

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {
            "detail": _("Some of the data is not valid."),
            "code": _first_code(exc.get_codes()),
            "fields": fields,
        }
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = {"detail": str(detail), "code": code if isinstance(code, str) else "error"}
    return response
