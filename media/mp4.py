"""The video track of an MP4 read from its boxes (ISO/IEC 14496-12): its size and how many
frames it holds, which is all a clip check needs. Reading the index takes well under a
millisecond; an ffprobe run costs about 60 ms of start-up before it reads a byte, and a
job checks every clip it renders."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from toolbox.exceptions import MediaError

# A clip's index is a few kilobytes per minute; anything far bigger is not one of ours.
MAX_MOOV_BYTES = 64 << 20


@dataclass(frozen=True)
class VideoTrack:
    width: int
    height: int
    frames: int


def _box_header(data: bytes, pos: int, end: int) -> tuple[bytes, int, int]:
    """(type, payload start, box end) of the box at `pos`."""
    if pos + 8 > end:
        raise MediaError("truncated MP4 box header")
    size, kind = struct.unpack_from(">I4s", data, pos)
    header = 8
    if size == 1:
        if pos + 16 > end:
            raise MediaError("truncated MP4 box header")
        (size,) = struct.unpack_from(">Q", data, pos + 8)
        header = 16
    elif size == 0:
        size = end - pos
    if size < header or pos + size > end:
        raise MediaError(f"MP4 box {kind!r} runs past its parent")
    return kind, pos + header, pos + size


def _children(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    pos = start
    while pos < end:
        kind, payload, box_end = _box_header(data, pos, end)
        yield kind, payload, box_end
        pos = box_end


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    return next(
        ((payload, box_end) for k, payload, box_end in _children(data, start, end) if k == kind), None
    )


def _moov(file: BinaryIO, size: int) -> bytes:
    """The `moov` box's payload. Every top-level box is walked, so a file cut short after
    its index (or before it) is an error, not a clip with frames that are not there."""
    pos, moov = 0, None
    while pos < size:
        file.seek(pos)
        kind, payload, end = _box_header(file.read(16), 0, size - pos)
        if kind == b"moov":
            if end - payload > MAX_MOOV_BYTES:
                raise MediaError("MP4 index too large")
            file.seek(pos + payload)
            moov = file.read(end - payload)
        pos += end
    if moov is None:
        raise MediaError("no MP4 index (moov box)")
    return moov


def video_track(path: Path) -> VideoTrack | None:
    """The first video track's size (from its track header) and frame count (its sample
    table's), or None when the file has no video track. Raises MediaError when the file
    is not a complete MP4."""
    path = Path(path)
    with path.open("rb") as file:
        moov = _moov(file, path.stat().st_size)
    try:
        return _first_video_track(moov)
    except struct.error:
        raise MediaError("MP4 index cut short") from None


def _first_video_track(moov: bytes) -> VideoTrack | None:
    for kind, start, end in _children(moov, 0, len(moov)):
        if kind != b"trak":
            continue
        mdia = _child(moov, start, end, b"mdia")
        hdlr = mdia and _child(moov, *mdia, b"hdlr")
        if not hdlr or moov[hdlr[0] + 8 : hdlr[0] + 12] != b"vide":
            continue
        tkhd = _child(moov, start, end, b"tkhd")
        minf = _child(moov, *mdia, b"minf")
        stbl = minf and _child(moov, *minf, b"stbl")
        stsz = stbl and _child(moov, *stbl, b"stsz")
        if tkhd is None or not stsz:
            raise MediaError("MP4 video track without a header or a sample table")
        # Width and height are 16.16 fixed point at the end of the track header, whose
        # earlier fields are 32-bit in version 0 and partly 64-bit in version 1.
        at = tkhd[0] + (88 if moov[tkhd[0]] == 1 else 76)
        width, height = (value >> 16 for value in struct.unpack_from(">II", moov, at))
        (frames,) = struct.unpack_from(">I", moov, stsz[0] + 8)
        return VideoTrack(width, height, frames)
    return None
