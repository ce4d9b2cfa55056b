"""A batch's items as people send them: a JSON list, or a CSV file whose header names the
same fields as POST /generate. Every item goes through the one serializer of those fields;
problems are collected for every row before anything is created.

Rows are numbered from 1: the first item of the list, or the first line after the CSV header.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rest_framework import serializers

from generations.api.serializers import GenerateSerializer
from generations.batches import BatchTooLarge, batch_check_size

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "off"})


class RowProblem(str):
    """A CSV row that could not even be read into fields."""


@dataclass
class BatchInput:
    """Validated items (each a GenerationRequest's JSON form) or the problems found."""

    items: list[dict[str, Any]] = field(default_factory=list)
    row_errors: list[dict[str, Any]] = field(default_factory=list)  # {"row": n, "errors": {...}}
    problem: str = ""  # a problem with the whole input (its header, its encoding, no rows)

    @property
    def ok(self) -> bool:
        return not self.problem and not self.row_errors

    def error_body(self) -> dict[str, Any]:
        if self.problem:
            return {"detail": self.problem}
        rows = ", ".join(str(error["row"]) for error in self.row_errors)
        return {"detail": f"Nothing was started: fix row(s) {rows}.", "rows": self.row_errors}


def read_csv(text: str) -> BatchInput:
    """Rows of a CSV file as typed items, validated: the header names the fields, empty
    cells take the field's default."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = GenerateSerializer().fields
    header = [name.strip() for name in reader.fieldnames or []]
    if not header:
        return BatchInput(problem="The CSV file is empty: its first line must name the fields (prompt, ...).")
    unknown = [name for name in header if name not in fields]
    if unknown:
        return BatchInput(
            problem=f"Unknown column(s) {', '.join(map(repr, unknown))}; "
            f"the columns are the fields of POST /generate: {', '.join(fields)}."
        )
    if "prompt" not in header:
        return BatchInput(problem="The CSV header must have a prompt column.")
    rows = []
    try:
        for values in reader:
            if None in values:
                rows.append(RowProblem("This row has more cells than the header has columns."))
                continue
            rows.append(
                {
                    name.strip(): _typed(fields[name.strip()], cell.strip())
                    for name, cell in values.items()
                    if cell is not None and cell.strip() != ""
                }
            )
    except csv.Error as exc:
        return BatchInput(problem=f"The CSV file cannot be read: {exc}.")
    return validate_items(rows)


def validate_items(rows: Sequence[Any]) -> BatchInput:
    """Each row checked by the /generate serializer; every bad row is reported."""
    result = BatchInput()
    if not rows:
        result.problem = "The batch has no items."
        return result
    try:
        batch_check_size(len(rows))
    except BatchTooLarge as exc:
        result.problem = str(exc)
        return result
    for number, row in enumerate(rows, start=1):
        if isinstance(row, RowProblem):
            result.row_errors.append({"row": number, "errors": {"row": [str(row)]}})
            continue
        if not isinstance(row, Mapping):
            result.row_errors.append({"row": number, "errors": {"row": ["Each item must be an object."]}})
            continue
        serializer = GenerateSerializer(data=row)
        if not serializer.is_valid():
            result.row_errors.append({"row": number, "errors": serializer.errors})
            continue
        # The request's own limits too (a script too long for its video), so that every
        # row that would be refused later is reported before anything starts.
        request = serializer.generation_request()
        problems = request.problems()
        if problems:
            result.row_errors.append({"row": number, "errors": problems})
        else:
            result.items.append(request.to_dict())
    return result


def _typed(field: serializers.Field, text: str) -> Any:
    """A CSV cell as the JSON value the field takes. Text that does not convert is passed
    on as it is, for the serializer to refuse with its own message."""
    if isinstance(field, serializers.BooleanField):
        word = text.lower()
        return True if word in TRUE_WORDS else False if word in FALSE_WORDS else text
    try:
        if isinstance(field, serializers.IntegerField):
            return int(text)
        if isinstance(field, serializers.FloatField):
            return float(text)
        if isinstance(field, serializers.ListField) and not text.startswith("["):
            # Reference images as URLs separated by spaces.
            return [{"type": "image", "url": url} for url in text.split()]
        if isinstance(field, (serializers.ListField, serializers.Serializer, serializers.JSONField)):
            return json.loads(text)
    except ValueError:
        return text
    return text
