"""OpenAPI schema adjustments drf-spectacular cannot infer from the code."""

from __future__ import annotations

from typing import Any

# Request bodies that refuse unknown fields (see fields.StrictSerializer).
STRICT_REQUEST_COMPONENTS = ("GenerateRequest", "AssetRequest")


def forbid_unknown_request_fields(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Say `additionalProperties: false` where the API refuses unknown fields, so clients
    and schema-driven tests know an extra field is an error."""
    schemas = result.get("components", {}).get("schemas", {})
    for name in STRICT_REQUEST_COMPONENTS:
        if name in schemas:
            schemas[name]["additionalProperties"] = False
    return result
