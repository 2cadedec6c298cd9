"""A database that went away mid-request answers 503 with Retry-After, never a 500 page."""

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        message = _("The service is busy. Please try again shortly.")
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": message, "code": "service_unavailable"}, status=503)
        else:
            response = TemplateResponse(request, "core/unavailable.html", {"message": message}, status=503)
        response["Retry-After"] = "5"
        return response
