"""Strict field types for the API's JSON: a boolean is `true`, not `"yes"`; a number is a
number, not a string holding one; unknown fields are refused."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not declare, so a typo (`durration`) is an error rather than
    a silently applied default."""

    def to_internal_value(self, data: Any) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, Mapping) else []
        errors: dict[str, Any] = {name: ["Unknown field."] for name in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not errors or not isinstance(exc.detail, dict):
                raise
            raise serializers.ValidationError({**exc.detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return value


class JSONTyped:
    """Refuses a value whose JSON type is not the one the schema states, which DRF would
    otherwise convert (0 to "0" or to False, "1.5" to 1.5)."""

    json_types: tuple[type, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, self.json_types) or (isinstance(data, bool) and bool not in self.json_types):
            self.fail("invalid", input=data)  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictBooleanField(JSONTyped, serializers.BooleanField):
    json_types = (bool,)


class StrictFloatField(JSONTyped, serializers.FloatField):
    json_types = (int, float)


class StrictIntegerField(JSONTyped, serializers.IntegerField):
    json_types = (int,)


class StrictCharField(JSONTyped, serializers.CharField):
    json_types = (str,)


class StrictRegexField(JSONTyped, serializers.RegexField):
    json_types = (str,)
