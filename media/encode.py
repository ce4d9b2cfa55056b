"""Encoding frames drawn in Python into H.264, and the x264 settings every chunk shares."""

from __future__ import annotations

import math
import os
import queue
import tempfile
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from media import pipe
from media.run import FASTSTART, FFMPEG_BASE, command_error, partial_path, start
from toolbox.exceptions import MediaError

if TYPE_CHECKING:
    from subprocess import Popen

PIPE_SIZE = 1 << 20
QUEUED_FRAMES = 2
# Every chunk, drawn here or re-encoded from someone else's clip, uses these, so that the
# chunks join by stream copy.
PRESET = "veryfast"
CRF = 23

Frame = bytes | bytearray | memoryview | np.ndarray
# x264's threads for encodes started in this context that name none; None leaves them to
# x264, which sizes its pool for every core of the machine.
_threads_here: ContextVar[int | None] = ContextVar("x264_threads", default=None)


@contextmanager
def encoder_threads(threads: int | None) -> Iterator[None]:
    """x264 encodes started in the body (in this thread) use `threads` unless told otherwise."""
    token = _threads_here.set(threads)
    try:
        yield
    finally:
        _threads_here.reset(token)


def x264_args(fps: int, *, preset: str = PRESET, crf: int = CRF, threads: int | None = None) -> list[str]:
    """FrameEncoder's output settings, so a re-encoded clip joins its chunks by stream copy."""
    threads = threads or _threads_here.get()
    return [
        *["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-profile:v", "high"],
        *["-pix_fmt", "yuv420p", "-g", str(2 * fps), "-keyint_min", str(fps)],
        *["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"],
        *(["-threads", str(threads)] if threads else []),
        # The concat demuxer offsets each chunk by its container duration; at the default
        # millisecond movie timescale a 50-frame chunk lasts 1.667 s and the stitched video
        # drifts. A timescale that is a multiple of the frame rate keeps every frame's
        # timestamp exact, so clips joined by stream copy add up to exactly their frame count.
        *["-movie_timescale", str(fps * 512)],
    ]


def _as_buffer(part: Frame) -> bytes | memoryview:
    """An immutable view or copy: the writer thread sends it after `write` has returned,
    when the caller may already be reusing its arrays."""
    if isinstance(part, bytes):
        return part
    if isinstance(part, np.ndarray):
        return np.ascontiguousarray(part, dtype=np.uint8).tobytes()
    return bytes(part)


def _write_all(stdin: BinaryIO, data: bytes | memoryview) -> None:
    """The pipe is unbuffered, and a write to it that a signal interrupts (a handler the
    job installs, a profiler or debugger stopping the process) returns after part of the
    data: the rest would be lost, and every frame after it shifted."""
    view = memoryview(data).cast("B")
    while view:
        written = stdin.write(view)
        view = view[written or 0 :]


def frame_size(pix_fmt: str, width: int, height: int) -> int:
    if pix_fmt == "yuv420p":
        return width * height + 2 * ((width + 1) // 2) * ((height + 1) // 2)
    channels = {"gray": 1, "rgb24": 3, "bgr24": 3, "rgba": 4, "bgra": 4}.get(pix_fmt)
    if channels is None:
        raise ValueError(f"unsupported raw pixel format {pix_fmt!r}")
    return width * height * channels


class FrameEncoder:
    """Encode raw frames written from Python into an H.264 MP4, streaming through a pipe.

    Every chunk is encoded with the same settings, so chunks can later be joined by
    stream copy. For yuv420p input a frame is its Y, U and V planes, one after another;
    `write` takes one buffer or a sequence of planes.

    A writer thread feeds the pipe from a short queue. ffmpeg reads a frame only when
    x264 takes one, and a pipe holds a third of a 1080p frame, so writing inline would
    make ffmpeg wait for every frame to be drawn, and the drawing wait for every write.

    A frame drawn into `frame_buffer()` is sent as it is: handed to the pipe by reference
    where the system can (`media.pipe`), so ffmpeg's read is its only copy (3 MiB per 1080p
    frame), and the buffer comes back for another frame once ffmpeg has read it.
    """

    def __init__(
        self,
        out_path: Path,
        *,
        width: int,
        height: int,
        fps: int,
        pix_fmt: str = "yuv420p",
        preset: str = PRESET,
        crf: int = CRF,
        threads: int | None = None,
        timeout: float,
    ) -> None:
        self.out_path = Path(out_path)
        self._partial = partial_path(self.out_path)
        self.frame_size = frame_size(pix_fmt, width, height)
        self.frames_written = 0
        self._bytes = 0
        self._timeout = timeout
        self._timed_out = threading.Event()
        self.cmd = [
            *FFMPEG_BASE,
            *["-f", "rawvideo", "-pix_fmt", pix_fmt, "-s", f"{width}x{height}", "-r", str(fps)],
            *["-blocksize", str(PIPE_SIZE), "-i", "pipe:0", "-an"],
            *x264_args(fps, preset=preset, crf=crf, threads=threads),
            *FASTSTART,
            str(self._partial),
        ]
        self._proc: Popen[bytes] | None = None
        self._stderr: BinaryIO | None = None
        self._timer: threading.Timer | None = None
        # A frame to send: its parts, the lent buffer they view (if one) and its byte count.
        self._queue: queue.Queue[tuple[list[bytes | memoryview], np.ndarray | None, int] | None] = (
            queue.Queue(maxsize=QUEUED_FRAMES)
        )
        # Every buffer lent, kept until ffmpeg has exited: the pipe may still hold its pages.
        self._lent: list[np.ndarray] = []
        # What a spliced buffer waits for before it is lent again: the pipe's capacity gone in
        # after it (0 when buffers are written, which copies them at once).
        self._held_bytes = 0
        self._returned: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._broken = threading.Event()

    def __enter__(self) -> FrameEncoder:
        self._stderr = tempfile.TemporaryFile()
        try:
            self._proc = start(self.cmd, stderr=self._stderr)
        except MediaError:
            self._stderr.close()
            raise
        assert self._proc.stdin is not None
        fd = self._proc.stdin.fileno()
        # A 1 MiB pipe moves a frame in a few writes instead of dozens of 64 KiB ones.
        capacity = pipe.set_capacity(fd, PIPE_SIZE)
        self._held_bytes = capacity if pipe.can_splice(fd) else 0
        self._timer = threading.Timer(self._timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()
        self._writer = threading.Thread(target=self._feed, name="frame-writer", daemon=True)
        self._writer.start()
        return self

    @property
    def splicing(self) -> bool:
        """Whether lent buffers go to the pipe by reference (`media.pipe`)."""
        return self._held_bytes > 0

    @property
    def lend_limit(self) -> int:
        """Buffers lent at most: those queued, the one being sent, those the pipe may still
        hold, the one being drawn and a spare, so drawing never waits for the pipe."""
        return QUEUED_FRAMES + 3 + math.ceil(self._held_bytes / self.frame_size)

    def _expire(self) -> None:
        self._timed_out.set()
        if self._proc is not None:
            self._proc.kill()

    def _feed(self) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        stdin = self._proc.stdin
        lent: np.ndarray | None = None
        # Lent buffers sent, each with the byte count the pipe had taken when it was in.
        in_pipe: deque[tuple[int, np.ndarray]] = deque()
        sent = 0
        try:
            while (item := self._queue.get()) is not None:
                parts, lent, nbytes = item
                if lent is not None and self.splicing:
                    pipe.splice_all(stdin.fileno(), lent)
                else:
                    for part in parts:
                        _write_all(stdin, part)
                sent += nbytes
                if lent is not None:
                    in_pipe.append((sent, lent))
                    lent = None
                while in_pipe and in_pipe[0][0] + self._held_bytes <= sent:
                    self._returned.put(in_pipe.popleft()[1])
        except (BrokenPipeError, OSError, ValueError):
            # ffmpeg is gone, and nothing will read the pipe again; keep emptying the queue
            # so `write` and `frame_buffer` never block on it.
            self._broken.set()
            for _, held in in_pipe:
                self._returned.put(held)
            if lent is not None:
                self._returned.put(lent)
            while (item := self._queue.get()) is not None:
                if item[1] is not None:
                    self._returned.put(item[1])
        finally:
            try:
                stdin.close()
            except OSError:
                pass

    def frame_buffer(self) -> np.ndarray:
        """A frame-sized uint8 buffer to draw the next frame into, then hand to `write`;
        its contents are whatever frame it last carried."""
        try:
            return self._returned.get_nowait()
        except queue.Empty:
            if len(self._lent) < self.lend_limit:
                self._lent.append(np.zeros(self.frame_size, dtype=np.uint8))
                return self._lent[-1]
        return self._returned.get()

    def write(self, frame: Frame | Sequence[Frame]) -> None:
        assert self._writer is not None, "use FrameEncoder as a context manager"
        if self._broken.is_set():
            raise self._failure("stopped reading frames")
        lent = next((own for own in self._lent if frame is own), None)
        if lent is not None:
            parts: list[bytes | memoryview] = [memoryview(lent)]
        else:
            parts = [_as_buffer(part) for part in (frame if isinstance(frame, (list, tuple)) else [frame])]
        nbytes = sum(memoryview(part).nbytes for part in parts)
        self._bytes += nbytes
        self._queue.put((parts, lent, nbytes))
        self.frames_written = self._bytes // self.frame_size

    def _failure(self, problem: str) -> MediaError:
        if self._timed_out.is_set():
            problem = f"timed out after {self._timeout:g}s"
        elif self._proc is not None:
            self._proc.wait()
            problem = f"{problem} (exit code {self._proc.returncode})"
        stderr = b""
        if self._stderr is not None:
            self._stderr.seek(0)
            stderr = self._stderr.read()
        return command_error(self.cmd, problem, stderr)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._proc is not None and self._writer is not None
        try:
            if exc_type is not None:
                self._proc.kill()
            self._queue.put(None)
            self._writer.join()
            self._proc.wait()
            if exc_type is not None:
                return
            if self._bytes % self.frame_size:
                raise self._failure(f"{self._bytes} bytes written is not a whole number of frames")
            if self._timed_out.is_set() or self._proc.returncode != 0 or self._broken.is_set():
                raise self._failure("failed")
            os.replace(self._partial, self.out_path)
        finally:
            self._partial.unlink(missing_ok=True)
            if self._timer is not None:
                self._timer.cancel()
                # The timer holds `_expire`, so this encoder and its frame buffers: its thread
                # must be gone and the reference dropped, or they wait for the collector
                # while the next scene in the same job draws.
                self._timer.join()
                self._timer = None
            self._lent.clear()
            self._returned = queue.SimpleQueue()
            if self._stderr is not None:
                self._stderr.close()
