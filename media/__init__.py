"""The one module that runs ffmpeg and ffprobe.

Every call is an argument list (never a shell), has a timeout, and fails with a
`MediaError` that names the command and carries the tail of ffmpeg's stderr, so a
failed phase says why without anyone re-running it by hand.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import queue
import shlex
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

import numpy as np

from toolbox.exceptions import MediaError

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"
STDERR_TAIL_LINES = 15
PIPE_SIZE = 1 << 20
# Linux's fcntl constant; the fcntl module only names it from Python 3.12 on.
F_SETPIPE_SZ = 1031
SILENCE_DBFS = -120.0
QUEUED_FRAMES = 2

_FFMPEG_BASE = [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
_FASTSTART = ["-movflags", "+faststart"]


@dataclass(frozen=True)
class VideoStream:
    codec: str
    profile: str
    width: int
    height: int
    fps: float
    pix_fmt: str
    frames: int | None


@dataclass(frozen=True)
class AudioStream:
    codec: str
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class ProbeResult:
    duration: float
    video: VideoStream | None
    audio: AudioStream | None
    size_bytes: int
    bit_rate: int | None


def ffmpeg_available() -> bool:
    return shutil.which(FFMPEG) is not None and shutil.which(FFPROBE) is not None


def _describe(cmd: Sequence[str]) -> str:
    text = shlex.join(cmd)
    return text if len(text) <= 300 else text[:200] + " … " + text[-90:]


def _tail(stderr: bytes | str) -> str:
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", errors="replace")
    return "\n".join(stderr.strip().splitlines()[-STDERR_TAIL_LINES:])


def _error(cmd: Sequence[str], problem: str, stderr: bytes | str = b"") -> MediaError:
    tail = _tail(stderr)
    return MediaError(f"{problem}: {_describe(cmd)}" + (f"\n{tail}" if tail else ""))


def _run(cmd: list[str], *, timeout: float, stdin_data: bytes | None = None) -> bytes:
    """Run `cmd` to completion (fed `stdin_data`, if any) and return its stdout."""
    try:
        done = subprocess.run(
            cmd,
            **({"input": stdin_data} if stdin_data is not None else {"stdin": subprocess.DEVNULL}),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise _error(cmd, f"timed out after {timeout:g}s", exc.stderr or b"") from None
    except OSError as exc:
        raise _error(cmd, f"could not start ({exc.strerror})") from None
    if done.returncode != 0:
        raise _error(cmd, f"failed with exit code {done.returncode}", done.stderr)
    return done.stdout


def run_ffmpeg(args: list[str], *, timeout: float) -> None:
    _run([*_FFMPEG_BASE, *args], timeout=timeout)


def _partial_path(out_path: Path) -> Path:
    return out_path.with_name(f".{out_path.stem}.partial{out_path.suffix}")


@contextmanager
def _atomic_output(out_path: Path) -> Iterator[Path]:
    """ffmpeg writes beside the target, which is replaced only on success: a failed or
    killed run never leaves a truncated file where a finished one is expected."""
    partial = _partial_path(Path(out_path))
    try:
        yield partial
        os.replace(partial, out_path)
    finally:
        partial.unlink(missing_ok=True)


def _rate(text: str | None) -> float:
    try:
        rate = Fraction(text or "0")
    except (ValueError, ZeroDivisionError):
        return 0.0
    return float(rate)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def probe(path: Path, *, timeout: float = 30) -> ProbeResult:
    cmd = [FFPROBE, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)]
    data = json.loads(_run(cmd, timeout=timeout) or b"{}")
    streams = data.get("streams", [])
    fmt = data.get("format", {})
    v = next((s for s in streams if s.get("codec_type") == "video"), None)
    a = next((s for s in streams if s.get("codec_type") == "audio"), None)
    video = None
    if v is not None:
        video = VideoStream(
            codec=v.get("codec_name", ""),
            profile=v.get("profile", ""),
            width=int(v.get("width", 0)),
            height=int(v.get("height", 0)),
            fps=_rate(v.get("avg_frame_rate")) or _rate(v.get("r_frame_rate")),
            pix_fmt=v.get("pix_fmt", ""),
            frames=_int_or_none(v.get("nb_frames")),
        )
    audio = None
    if a is not None:
        audio = AudioStream(
            codec=a.get("codec_name", ""),
            sample_rate=int(a.get("sample_rate", 0)),
            channels=int(a.get("channels", 0)),
        )
    return ProbeResult(
        duration=float(fmt.get("duration", 0.0)),
        video=video,
        audio=audio,
        size_bytes=_int_or_none(fmt.get("size")) or path.stat().st_size,
        bit_rate=_int_or_none(fmt.get("bit_rate")),
    )


Frame = bytes | bytearray | memoryview | np.ndarray


def _as_buffer(part: Frame) -> bytes | memoryview:
    """An immutable view or copy: the writer thread sends it after `write` has returned,
    when the caller may already be reusing its arrays."""
    if isinstance(part, bytes):
        return part
    if isinstance(part, np.ndarray):
        return np.ascontiguousarray(part, dtype=np.uint8).tobytes()
    return bytes(part)


class FrameEncoder:
    """Encode raw frames written from Python into an H.264 MP4, streaming through a pipe.

    Every chunk is encoded with the same settings, so chunks can later be joined by
    stream copy. For yuv420p input a frame is its Y, U and V planes, one after another;
    `write` takes one buffer or a sequence of planes.

    A writer thread feeds the pipe from a short queue. ffmpeg reads a frame only when
    x264 takes one, and a pipe holds a third of a 1080p frame, so writing inline would
    make ffmpeg wait for every frame to be drawn, and the drawing wait for every write.
    """

    def __init__(
        self,
        out_path: Path,
        *,
        width: int,
        height: int,
        fps: int,
        pix_fmt: str = "yuv420p",
        preset: str = "veryfast",
        crf: int = 23,
        threads: int | None = None,
        timeout: float,
    ) -> None:
        self.out_path = Path(out_path)
        self._partial = _partial_path(self.out_path)
        self.frame_size = _frame_size(pix_fmt, width, height)
        self.frames_written = 0
        self._bytes = 0
        self._timeout = timeout
        self._timed_out = threading.Event()
        self.cmd = [
            *_FFMPEG_BASE,
            *["-f", "rawvideo", "-pix_fmt", pix_fmt, "-s", f"{width}x{height}", "-r", str(fps)],
            *["-blocksize", str(PIPE_SIZE), "-i", "pipe:0", "-an"],
            *_x264_args(fps, preset=preset, crf=crf, threads=threads),
            *_FASTSTART,
            str(self._partial),
        ]
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: BinaryIO | None = None
        self._timer: threading.Timer | None = None
        self._queue: queue.Queue[list[bytes | memoryview] | None] = queue.Queue(maxsize=QUEUED_FRAMES)
        self._writer: threading.Thread | None = None
        self._broken = threading.Event()

    def __enter__(self) -> FrameEncoder:
        # stderr goes to a file: a pipe nobody reads could fill up and stall ffmpeg.
        self._stderr = tempfile.TemporaryFile()
        try:
            self._proc = subprocess.Popen(
                self.cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr, bufsize=0
            )
        except OSError as exc:
            self._stderr.close()
            raise _error(self.cmd, f"could not start ({exc.strerror})") from None
        assert self._proc.stdin is not None
        try:
            # A 1 MiB pipe moves a frame in a few writes instead of dozens of 64 KiB ones.
            fcntl.fcntl(self._proc.stdin.fileno(), F_SETPIPE_SZ, PIPE_SIZE)
        except OSError:
            pass
        self._timer = threading.Timer(self._timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()
        self._writer = threading.Thread(target=self._feed, name="frame-writer", daemon=True)
        self._writer.start()
        return self

    def _expire(self) -> None:
        self._timed_out.set()
        if self._proc is not None:
            self._proc.kill()

    def _feed(self) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        stdin = self._proc.stdin
        try:
            while (parts := self._queue.get()) is not None:
                if not self._broken.is_set():
                    for part in parts:
                        stdin.write(part)
        except (BrokenPipeError, OSError, ValueError):
            # ffmpeg is gone; keep emptying the queue so `write` never blocks on it.
            self._broken.set()
            while self._queue.get() is not None:
                pass
        finally:
            try:
                stdin.close()
            except OSError:
                pass

    def write(self, frame: Frame | Sequence[Frame]) -> None:
        assert self._writer is not None, "use FrameEncoder as a context manager"
        if self._broken.is_set():
            raise self._failure("stopped reading frames")
        parts = [_as_buffer(part) for part in (frame if isinstance(frame, (list, tuple)) else [frame])]
        self._bytes += sum(memoryview(part).nbytes for part in parts)
        self._queue.put(parts)
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
        return _error(self.cmd, problem, stderr)

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
            if self._stderr is not None:
                self._stderr.close()


def _frame_size(pix_fmt: str, width: int, height: int) -> int:
    if pix_fmt == "yuv420p":
        return width * height + 2 * ((width + 1) // 2) * ((height + 1) // 2)
    channels = {"gray": 1, "rgb24": 3, "bgr24": 3, "rgba": 4, "bgra": 4}.get(pix_fmt)
    if channels is None:
        raise ValueError(f"unsupported raw pixel format {pix_fmt!r}")
    return width * height * channels


def _concat_line(path: Path) -> str:
    text = str(path.resolve())
    if "\n" in text or "\r" in text:
        raise MediaError(f"cannot concatenate a path containing a newline: {text!r}")
    # The concat demuxer reads single-quoted strings; a quote is closed, escaped and reopened.
    return "file '" + text.replace("'", "'\\''") + "'\n"


def concat_copy(paths: list[Path], out_path: Path, *, timeout: float) -> None:
    if not paths:
        raise MediaError("concat_copy needs at least one input")
    out_path = Path(out_path)
    with tempfile.NamedTemporaryFile(
        "w", suffix=".txt", prefix=".concat-", dir=out_path.parent, encoding="utf-8", delete=False
    ) as listing:
        listing.writelines(_concat_line(Path(p)) for p in paths)
    concat = ["-f", "concat", "-safe", "0", "-i", listing.name, "-map", "0", "-c", "copy", *_FASTSTART]
    try:
        with _atomic_output(out_path) as partial:
            run_ffmpeg([*concat, str(partial)], timeout=timeout)
    finally:
        os.unlink(listing.name)


def mux_audio(video: Path, audio: Path, out_path: Path, *, timeout: float) -> None:
    """Copy `video`'s stream and add `audio` as AAC-LC, cut or padded with silence so the
    result lasts exactly as long as the video (never `-shortest`, which could cut video)."""
    duration = probe(video, timeout=timeout).duration
    with _atomic_output(out_path) as partial:
        run_ffmpeg(
            [
                *["-i", str(video), "-i", str(audio), "-map", "0:v:0", "-map", "1:a:0"],
                *["-c:v", "copy", "-af", "apad", "-c:a", "aac", "-profile:a", "aac_low"],
                *["-ar", "48000", "-ac", "2", "-b:a", "192k", "-t", f"{duration:.6f}"],
                *_FASTSTART,
                str(partial),
            ],
            timeout=timeout,
        )


def remux_faststart(src: Path, out_path: Path, *, timeout: float) -> None:
    with _atomic_output(out_path) as partial:
        run_ffmpeg(["-i", str(src), "-map", "0", "-c", "copy", *_FASTSTART, str(partial)], timeout=timeout)


def extract_frame(video: Path, at_seconds: float, out_path: Path, *, timeout: float) -> None:
    out_path = Path(out_path)
    suffix = out_path.suffix.lower()
    if suffix not in (".jpg", ".jpeg", ".png"):
        raise ValueError(f"extract_frame writes .jpg or .png, not {suffix!r}")
    quality = ["-q:v", "2"] if suffix != ".png" else []
    # -ss before -i seeks in the demuxer and then decodes up to the exact time (accurate_seek).
    args = ["-ss", f"{max(at_seconds, 0):.6f}", "-i", str(video), "-frames:v", "1", *quality]
    with _atomic_output(out_path) as partial:
        run_ffmpeg([*args, "-update", "1", str(partial)], timeout=timeout)
        if not partial.exists():
            raise MediaError(f"no frame at {at_seconds:g}s in {video}")


def audio_levels(path: Path, *, start: float = 0, end: float | None = None, timeout: float) -> float:
    """RMS level of [start, end) in dBFS over all channels; digital silence is SILENCE_DBFS."""
    window = ["-t", f"{end - start:.6f}"] if end is not None else []
    cmd = [
        *_FFMPEG_BASE,
        *["-ss", f"{start:.6f}", *window, "-i", str(path), "-vn"],
        *["-f", "f32le", "-acodec", "pcm_f32le", "pipe:1"],
    ]
    samples = np.frombuffer(_run(cmd, timeout=timeout), dtype="<f4")
    if samples.size == 0:
        raise MediaError(f"no audio between {start:g}s and {end}s in {path}")
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return max(20 * math.log10(rms), SILENCE_DBFS) if rms > 0 else SILENCE_DBFS


def _x264_args(fps: int, *, preset: str, crf: int, threads: int | None) -> list[str]:
    """FrameEncoder's output settings, so a re-encoded clip joins its chunks by stream copy."""
    return [
        *["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-profile:v", "high"],
        *["-pix_fmt", "yuv420p", "-g", str(2 * fps), "-keyint_min", str(fps)],
        *["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"],
        *(["-threads", str(threads)] if threads else []),
        # A timescale that is a multiple of the frame rate keeps every frame's timestamp exact,
        # so clips joined by stream copy add up to exactly their frame count.
        *["-movie_timescale", str(fps * 512)],
    ]


def fit_clip(
    src: Path,
    out_path: Path,
    *,
    width: int,
    height: int,
    fps: int,
    frames: int,
    preset: str = "veryfast",
    crf: int = 23,
    threads: int | None = None,
    timeout: float,
) -> None:
    """Re-encode someone else's clip as one of our chunks: scaled to fit and padded to
    `width`x`height`, at `fps`, exactly `frames` frames, no audio, encoded like FrameEncoder.

    A clip shorter than the scene is slowed down to fill it (video models make 2-6 s clips);
    a longer one is cut. Held last frames cover any rounding in between."""
    probed = probe(src, timeout=timeout)
    if probed.video is None:
        raise MediaError(f"no video stream in {src}")
    seconds = frames / fps
    stretch = seconds / probed.duration if 0 < probed.duration < seconds else 1.0
    filters = [
        *([f"setpts={stretch:.6f}*PTS"] if stretch > 1 else []),
        f"fps={fps}",
        f"scale={width}:{height}:force_original_aspect_ratio=decrease:force_divisible_by=2"
        ":flags=lanczos:out_color_matrix=bt709:out_range=tv",
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:black",
        "setsar=1",
        f"tpad=stop_mode=clone:stop={fps}",
        "format=yuv420p",
    ]
    run_ffmpeg(
        [
            *["-i", str(src), "-map", "0:v:0", "-an", "-sn", "-dn", "-vf", ",".join(filters)],
            *["-frames:v", str(frames)],
            *_x264_args(fps, preset=preset, crf=crf, threads=threads),
            # The concat demuxer offsets each chunk by its container duration; at the default
            # millisecond movie timescale a 50-frame chunk lasts 1.667 s and the stitched
            # video drifts. A timescale that counts whole frames keeps it exact.
            *_FASTSTART,
            str(out_path),
        ],
        timeout=timeout,
    )


def fit_audio(
    src: Path,
    out_path: Path,
    *,
    seconds: float,
    sample_rate: int = 48000,
    channels: int = 2,
    fade_out: float = 1.5,
    timeout: float,
) -> None:
    """Write `src`'s audio as a 16-bit PCM WAV of exactly `seconds` at `sample_rate` and
    `channels`: looped when shorter (a music model's longest piece can be shorter than the
    video), cut when longer, and faded out at the end so a cut never stops mid-note."""
    samples = round(seconds * sample_rate)
    fade = min(fade_out, seconds / 2)
    filters = [
        f"aresample={sample_rate}",
        f"atrim=end_sample={samples}",
        f"afade=t=out:st={seconds - fade:.6f}:d={fade:.6f}",
    ]
    run_ffmpeg(
        [
            *["-stream_loop", "-1", "-i", str(src), "-map", "0:a:0", "-vn"],
            *["-af", ",".join(filters), "-ar", str(sample_rate), "-ac", str(channels)],
            *["-c:a", "pcm_s16le", str(out_path)],
        ],
        timeout=timeout,
    )


# --- narration and subtitles -------------------------------------------------------------

ESPEAK = "espeak-ng"


def espeak_available() -> bool:
    return shutil.which(ESPEAK) is not None


def speak(text: str, out_path: Path, *, voice: str, words_per_minute: int, timeout: float = 60) -> None:
    """Speak `text` with espeak-ng into a WAV. The text goes in on stdin as UTF-8, never as an
    argument, so a script starting with "-" is words, not an option."""
    with _atomic_output(Path(out_path)) as partial:
        cmd = [ESPEAK, "-v", voice, "-s", str(words_per_minute), "-b", "1", "-w", str(partial), "--stdin"]
        _run(cmd, timeout=timeout, stdin_data=text.encode("utf-8"))
        if not partial.exists() or partial.stat().st_size <= 44:
            raise _error(cmd, "wrote no audio")


def decode_audio(
    path: Path, *, sample_rate: int = 48000, channels: int = 1, tempo: float = 1.0, timeout: float = 60
) -> np.ndarray:
    """Any audio file as float32 samples of shape (n, channels), resampled, and sped up by
    `tempo` (pitch kept: ffmpeg's atempo) when it is not 1."""
    filters = [f"atempo={tempo:.6f}"] if abs(tempo - 1.0) > 1e-6 else []
    cmd = [
        *_FFMPEG_BASE,
        *["-i", str(path), "-vn", "-map", "0:a:0"],
        *(["-af", ",".join(filters)] if filters else []),
        *["-ar", str(sample_rate), "-ac", str(channels), "-f", "f32le", "-acodec", "pcm_f32le", "pipe:1"],
    ]
    samples = np.frombuffer(_run(cmd, timeout=timeout), dtype="<f4")
    return samples.reshape(-1, channels).copy()


@dataclass(frozen=True)
class TimedOverlay:
    """An RGBA picture shown at (x, y) from `start` to `end` seconds of a clip."""

    image: Path
    x: int
    y: int
    start: float
    end: float


def burn_overlays(
    src: Path,
    out_path: Path,
    overlays: Sequence[TimedOverlay],
    *,
    fps: int,
    frames: int,
    preset: str = "veryfast",
    crf: int = 23,
    threads: int | None = None,
    timeout: float,
) -> None:
    """Re-encode a chunk with pictures (subtitles) drawn over it at their times, with the
    chunk encoder's settings so it still joins the others by stream copy. Only for clips we
    did not draw ourselves: the local renderer draws subtitles into its frames instead."""
    inputs: list[str] = ["-i", str(src)]
    graph: list[str] = []
    last = "0:v"
    for number, overlay in enumerate(overlays, start=1):
        inputs += ["-i", str(overlay.image)]
        # Pictures are RGB; converted with the video's own BT.709 matrix, colours stay true.
        graph.append(
            f"[{number}:v]format=rgba,scale=out_color_matrix=bt709:out_range=tv,format=yuva420p[o{number}]"
        )
        graph.append(
            f"[{last}][o{number}]overlay=x={overlay.x}:y={overlay.y}"
            f":enable='between(t,{overlay.start:.4f},{overlay.end - 0.5 / fps:.4f})'[v{number}]"
        )
        last = f"v{number}"
    with _atomic_output(Path(out_path)) as partial:
        run_ffmpeg(
            [
                *inputs,
                *(["-filter_complex", ";".join(graph), "-map", f"[{last}]"] if graph else ["-map", "0:v:0"]),
                *["-an", "-frames:v", str(frames)],
                *_x264_args(fps, preset=preset, crf=crf, threads=threads),
                *_FASTSTART,
                str(partial),
            ],
            timeout=timeout,
        )
