"""OpenAPI postprocessing: every operation documents the errors the platform can answer.

The exception handler gives every error the same shape (`Error`), so partner developers
can rely on it for 400 (validation), 401/403 (credentials), 404 (not there, or not yours,
including a page past the end), 429 (rate limits) and 503 (database briefly unavailable).
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
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["detail", "code"],
}


def _needs_credentials(operation: dict, default_security: list) -> bool:
    security = operation.get("security", default_security)
    return bool(security) and {} not in security


def add_standard_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault("Error", ERROR_SCHEMA)
    default_security = result.get("security", [])
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = ["400", "404", "429", "503"]
            if _needs_credentials(operation, default_security):
                codes += ["401", "403"]
            for code in codes:
                operation["responses"].setdefault(code, {
                    "description": DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": ERROR_REF}},
                })
    return result
