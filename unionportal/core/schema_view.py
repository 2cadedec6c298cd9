"""The OpenAPI schema, written once per process for each language, version and format.

drf-spectacular walks every endpoint and writes the schema afresh on each call: 90–160 ms of CPU
for anyone, signed in or not, and again each time the API docs page opens. The schema is the
same for every caller (it is served public) and changes only with the code, which a deploy
starts new processes for. So each process keeps the written answer, for at most
MAX_WRITTEN_VARIANTS variants (the languages, `?lang=`, `?version=` and the YAML and JSON
formats a caller may ask for); past that, an answer is written afresh each time.
"""

import threading

from django.http import HttpResponse
from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView

MAX_WRITTEN_VARIANTS = 32
_written: dict[tuple, tuple[bytes, list]] = {}
_lock = threading.Lock()


def forget_written_schemas() -> None:
    with _lock:
        _written.clear()


class HeldSchemaView(SpectacularAPIView):
    @extend_schema(exclude=True)  # as SERVE_INCLUDE_SCHEMA=False does for the view it replaces
    def get(self, request, *args, **kwargs):
        key = (get_language(), request.GET.get("lang", ""), request.GET.get("version", ""),
               request.accepted_media_type)
        written = _written.get(key)
        if written is None:
            response = super().get(request, *args, **kwargs)
            response.accepted_renderer = request.accepted_renderer
            response.accepted_media_type = request.accepted_media_type
            response.renderer_context = self.get_renderer_context()
            response.render()
            written = (response.content, list(response.items()))
            with _lock:
                if len(_written) < MAX_WRITTEN_VARIANTS:
                    _written[key] = written
        content, headers = written
        answer = HttpResponse(content)
        for name, value in headers:
            answer[name] = value
        return answer
