"""A model's inputs, read from the OpenAPI schema Replicate publishes for each version.

Cog writes an enum input as `allOf: [{"$ref": "#/components/schemas/<name>"}]` beside its
default, so references are resolved here and every property comes out flat: type, enum,
minimum, maximum, default, format. A schema is read once per process and kept in the
"replicate" cache (Redis when configured) so every worker does not ask again; a pinned
version never changes, an unpinned name is re-read after a day in case a new version shipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

UNPINNED_TTL = 24 * 3600
# What a cache that is down raises. Nothing broader: an RQ job timeout arrives as an exception
# too, and must reach the code that cancels the prediction.
CACHE_DOWN = (RedisError, OSError)
_schemas: dict[str, InputSchema] = {}


@dataclass(frozen=True)
class ModelRef:
    """`owner/name` or `owner/name:version`, as settings name a model."""

    name: str
    version: str = ""

    @classmethod
    def parse(cls, ref: str, *, setting: str) -> ModelRef:
        if not settings.REPLICATE_MODEL_REF.match(ref):
            raise ImproperlyConfigured(f"{setting} must be owner/name or owner/name:version, got {ref!r}")
        name, _, version = ref.partition(":")
        return cls(name, version)

    def __str__(self) -> str:
        return f"{self.name}:{self.version}" if self.version else self.name


@dataclass(frozen=True)
class InputSchema:
    """The flattened `Input` object of a model version's OpenAPI schema."""

    properties: dict[str, dict[str, Any]]
    required: frozenset[str]

    @classmethod
    def from_openapi(cls, openapi: dict[str, Any]) -> InputSchema:
        components = openapi.get("components", {}).get("schemas", {})
        raw = components.get("Input") or {}
        properties = {name: _flatten(prop, components) for name, prop in raw.get("properties", {}).items()}
        return cls(properties=properties, required=frozenset(raw.get("required", [])))

    def has(self, name: str) -> bool:
        return name in self.properties

    def default(self, name: str) -> Any:
        return self.properties.get(name, {}).get("default")


def _flatten(prop: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    flat = {key: value for key, value in prop.items() if key not in ("allOf", "$ref")}
    for part in [*prop.get("allOf", []), *([prop] if "$ref" in prop else [])]:
        ref = part.get("$ref", "")
        target = (
            components.get(ref.rsplit("/", 1)[-1], {}) if ref.startswith("#/components/schemas/") else part
        )
        flat = {**{k: v for k, v in target.items() if k not in ("title", "description")}, **flat}
    return flat


def input_schema(ref: ModelRef, fetch: Any) -> InputSchema:
    """The inputs of `ref`; `fetch(name, version)` returns the OpenAPI schema when it is not cached."""
    key = str(ref)
    if key in _schemas:
        return _schemas[key]
    cache = caches["replicate"]
    cache_key = f"schema:{key}"
    try:
        openapi = cache.get(cache_key)
    except CACHE_DOWN:  # a cache that is down must not stop generations: the API still answers
        logger.warning("replicate schema cache unavailable; reading %s from the API", key, exc_info=True)
        openapi = None
    if openapi is None:
        openapi = fetch(ref.name, ref.version)
        try:
            cache.set(cache_key, openapi, None if ref.version else UNPINNED_TTL)
        except CACHE_DOWN:
            logger.warning("replicate schema cache unavailable; %s not kept", key, exc_info=True)
    schema = InputSchema.from_openapi(openapi)
    _schemas[key] = schema
    return schema


def forget_schemas() -> None:
    """Forget the schemas this process has read (the shared cache keeps its own until it expires)."""
    _schemas.clear()
