"""Which bytes a Range header asks for: the cases players send, and those a server ignores."""

from __future__ import annotations

import pytest

from toolbox.byte_ranges import UnsatisfiableRange, requested_range


@pytest.mark.parametrize(
    ("header", "wanted"),
    [
        ("bytes=0-", (0, 999)),
        ("bytes=100-199", (100, 199)),
        ("bytes=900-5000", (900, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=-5000", (0, 999)),
        (" bytes=5-5 ", (5, 5)),
    ],
)
def test_a_single_range_is_clamped_to_the_file(header, wanted):
    assert requested_range(header, 1000) == wanted


@pytest.mark.parametrize(
    "header", [None, "", "bytes=-", "bytes=5-1", "items=0-5", "bytes=0-1,5-9", "bytes=a-b"]
)
def test_anything_else_asks_for_the_whole_file(header):
    assert requested_range(header, 1000) is None


@pytest.mark.parametrize(("header", "size"), [("bytes=1000-", 1000), ("bytes=-0", 1000), ("bytes=-10", 0)])
def test_a_range_past_the_end_is_unsatisfiable(header, size):
    with pytest.raises(UnsatisfiableRange):
        requested_range(header, size)
