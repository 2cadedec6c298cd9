"""Answers sent gzip-compressed to clients that accept it: Django's GZipMiddleware, for text.

A map viewport's GeoJSON is about 290 KB and a back-office list of fifty rows 60–70 KB;
compressed they are a tenth of that, which on a worker's phone on a poor network
is the difference between a map that draws and one that does not. Static files are already
sent compressed (whitenoise), uploaded photos and PDFs are compressed formats of their own, and
an answer that fits in one network packet gains nothing: those are left as they are.

Django's middleware pads each compressed answer with random bytes, its mitigation of BREACH
(secrets such as the CSRF token guessed from compressed sizes).
"""

from django.middleware.gzip import GZipMiddleware

# One TCP packet's payload: a smaller answer arrives in one packet either way.
SMALLEST_COMPRESSED = 1400
COMPRESSED_TYPES = ("text/", "application/json", "application/geo+json", "application/javascript",
                    "application/xml", "image/svg+xml")


class TextCompressionMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith(COMPRESSED_TYPES):
            return response
        if not response.streaming and len(response.content) < SMALLEST_COMPRESSED:
            return response
        return super().process_response(request, response)
