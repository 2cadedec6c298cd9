"""The API's OpenAPI schema: written in the caller's language, and every operation documents the
errors the platform can answer.

Partner developers read the docs in their language (`Accept-Language`, or `?lang=en`), Chinese
unless they ask otherwise, so the schema shows only text marked for translation: summaries,
descriptions and help texts given with `_()`. Docstrings are written for the project's
developers and stay out of it (`TranslatedAutoSchema`).
Tag names stay English, as identifiers client generators build names from; each tag's
description is translated (`TAGS`).

The exception handler gives every error the same shape (`Error`), so partner developers
can rely on it for 400 (validation), 401/403 (credentials), 404 (not there, or not yours,
including a page past the end), 429 (rate limits) and 503 (database briefly unavailable);
401 and 403 only where credentials are required, and 429/503 with their `Retry-After` header.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.drainage import get_override
from drf_spectacular.openapi import AutoSchema

TAGS = [
    {"name": "auth", "description": _("Tokens for members and staff; who a request's credentials belong to.")},
    {"name": "members", "description": _("Joining the union, the member's own profile, and members for staff.")},
    {"name": "stations", "description": _("Worker rest stations on the map: search, details, check-ins, ratings.")},
    {"name": "health", "description": _("Health kiosks' readings and bookings at health service points.")},
    {"name": "coupons", "description": _("Welfare coupons: campaigns, claims, a member's coupons, redemption by merchants.")},
    {"name": "mutual aid", "description": _("Medical mutual aid: plans, enrolments and claims.")},
    {"name": "convalescence", "description": _("Convalescence trips: sessions, nominations and check-in.")},
]
ERROR_REF = {"$ref": "#/components/schemas/Error"}
DESCRIPTIONS = {
    "200": _("Done: the answer's fields follow."),
    "201": _("Created: the new record follows."),
    "202": _("Accepted: it will be decided later."),
    "400": _("Invalid input: `fields` names each field and the reason."),
    "401": _("Missing, invalid or expired credentials."),
    "403": _("These credentials may not do this."),
    "404": _("Not found, or outside what the caller may see."),
    "409": _("Not possible in the current state: `code` says why."),
    "422": _("Cannot be processed as sent: `code` says why."),
    "429": _("Too many requests: retry after the `Retry-After` header's seconds."),
    "503": _("Briefly unavailable: retry after the `Retry-After` header's seconds."),
}
RETRY_AFTER_HEADER = {"description": _("Seconds to wait before trying again."),
                      "schema": {"type": "integer", "minimum": 0}}
FIELD_ERRORS_REF = {"$ref": "#/components/schemas/FieldErrors"}
# DRF nests the messages of nested input the way the input nests: a nested object's fields
# by name, a list field's items by position ({"0": [...]}), a list of objects as one entry
# per item ({} for a valid one).
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": _("Messages per field; nested input gives its messages nested the same way."),
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"anyOf": [{"type": "string"}, FIELD_ERRORS_REF]}},
            FIELD_ERRORS_REF,
        ],
    },
}
ERROR_SCHEMA = {
    "type": "object",
    "description": _("The shape of every error answer."),
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "fields": FIELD_ERRORS_REF,
    },
    "required": ["detail", "code"],
}


class TranslatedAutoSchema(AutoSchema):
    """Operations and components described only by what `extend_schema` and
    `extend_schema_serializer` give (translated), never by docstrings."""

    def get_description(self):
        return ""

    def _map_basic_serializer(self, serializer, direction):
        # drf-spectacular's one place for a component's description: the override, else the docstring.
        schema = super()._map_basic_serializer(serializer, direction)
        if get_override(serializer, "description") is None:
            schema.pop("description", None)
        return schema


def _needs_credentials(operation: dict, default_security: list) -> bool:
    security = operation.get("security", default_security)
    return bool(security) and {} not in security


def drop_bare_enum_descriptions(result, generator, request, public):
    """An enum whose labels are its values (`* `Point` - Point`) gets no description: it would
    only repeat the values, untranslated."""
    for schema in result.get("components", {}).get("schemas", {}).values():
        values = schema.get("enum")
        if values and schema.get("description") == "\n".join(f"* `{value}` - {value}" for value in values if value):
            del schema["description"]
    return result


def add_title_and_tags(result, generator, request, public):
    result.setdefault("info", {}).update(
        title=_("unionportal API"),
        description=_("Partner API of the city trade-union federation's service portal."),
    )
    result["tags"] = TAGS
    return result


def add_standard_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    # One definition of the error shape, whichever serializer the views named.
    schemas["Error"] = ERROR_SCHEMA
    schemas["FieldErrors"] = FIELD_ERRORS_SCHEMA
    default_security = result.get("security", [])
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = ["400", "404", "429", "503"]
            if _needs_credentials(operation, default_security):
                codes += ["401", "403"]
            for code in codes:
                response = operation["responses"].setdefault(code, {
                    "description": DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": ERROR_REF}},
                })
                if code in ("429", "503"):
                    response.setdefault("headers", {})["Retry-After"] = RETRY_AFTER_HEADER
            for code, response in operation["responses"].items():  # the ones the views declared
                if not response.get("description") and code in DESCRIPTIONS:
                    response["description"] = DESCRIPTIONS[code]
    return result
