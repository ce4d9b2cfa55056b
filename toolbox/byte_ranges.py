"""HTTP byte ranges (RFC 9110, section 14): which part of a file a `Range` header asks for.

Players need them to seek, and Safari will not play a video served without them."""

from __future__ import annotations

import re

_SINGLE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class UnsatisfiableRange(ValueError):
    """The range starts at or past the end of the file: answered with 416."""


def requested_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first and last byte (inclusive) of the one range `header` asks for in a file of
    `size` bytes, or None for the whole file: no header, another unit, several ranges or a
    malformed header, all of which a server may answer with the whole file.

    Raises UnsatisfiableRange when the range starts past the end (or asks for no bytes)."""
    match = _SINGLE_RANGE.fullmatch((header or "").strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":
        # A suffix: the last N bytes.
        length = int(last)
        if length == 0 or size == 0:
            raise UnsatisfiableRange(header)
        return max(size - length, 0), size - 1
    start = int(first)
    if last != "" and int(last) < start:
        return None
    if start >= size:
        raise UnsatisfiableRange(header)
    return start, size - 1 if last == "" else min(int(last), size - 1)
