"""Content negotiation with a short way for the calls nearly every client makes."""

from rest_framework.negotiation import DefaultContentNegotiation

# Accept headers that choose JSON when JSON is the first renderer (DRF would answer the same).
_PLAIN_ACCEPTS = frozenset({"*/*", "application/json"})


class JsonFirstNegotiation(DefaultContentNegotiation):
    """No Accept header, `*/*` or `application/json`, without `?format=`: the first renderer
    (JSON) at once. Anything else is negotiated by DRF as before (the browsable API included)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        first = renderers[0] if renderers else None
        if (
            first is not None and first.media_type == "application/json" and format_suffix is None
            and request.META.get("HTTP_ACCEPT", "*/*") in _PLAIN_ACCEPTS
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
