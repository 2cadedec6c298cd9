"""OpenAPI postprocessing: every operation documents the errors the platform can answer.

The exception handler gives every error the same shape (`Error`), so partner developers
can rely on it for 400 (validation), 401/403 (credentials), 404 (not there, or not yours,
including a page past the end), 429 (rate limits) and 503 (database briefly unavailable);
401 and 403 only where credentials are required, and 429/503 with their `Retry-After` header.
"""

ERROR_REF = {"$ref": "#/components/schemas/Error"}
DESCRIPTIONS = {
    "400": "Invalid input: `fields` names each field and the reason.",
    "401": "Missing, invalid or expired credentials.",
    "403": "These credentials may not do this.",
    "404": "Not found, or outside what the caller may see.",
    "429": "Too many requests: retry after the `Retry-After` header's seconds.",
    "503": "Briefly unavailable: retry after the `Retry-After` header's seconds.",
}
RETRY_AFTER_HEADER = {"description": "Seconds to wait before trying again.",
                      "schema": {"type": "integer", "minimum": 0}}
FIELD_ERRORS_REF = {"$ref": "#/components/schemas/FieldErrors"}
# DRF nests the messages of nested input the way the input nests: a nested object's fields
# by name, a list field's items by position ({"0": [...]}), a list of objects as one entry
# per item ({} for a valid one).
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": "Messages per field; nested input gives its messages nested the same way.",
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"anyOf": [{"type": "string"}, FIELD_ERRORS_REF]}},
            FIELD_ERRORS_REF,
        ],
    },
}
ERROR_SCHEMA = {
    "type": "object",
    "description": "The shape of every error answer.",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "fields": FIELD_ERRORS_REF,
    },
    "required": ["detail", "code"],
}


def _needs_credentials(operation: dict, default_security: list) -> bool:
    security = operation.get("security", default_security)
    return bool(security) and {} not in security


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
    return result
