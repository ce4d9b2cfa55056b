"""The floors: what the machine needs to encode the same number of frames with the same
x264 settings as our chunks, with no pipeline around it.

Run as a child process, one measurement per call, printing one JSON line:

    python bench/floors.py lavfi      # ffmpeg's own test source, all inside ffmpeg
    python bench/floors.py pipe       # the same frames, decoded beforehand, piped raw from Python
    python bench/floors.py reencode FILE   # FILE's frames decoded and encoded again

`pipe` writes yuv420p (what our renderer sends) through a 1 MiB pipe with one write per
frame and nothing else in the loop: transport plus encoder, the floor for any renderer
that draws frames in Python. Its 150 source frames repeat six times, a cut every 5 s
like scene changes, so the encoder does the same kind of work as on testsrc2 itself.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from media.encode import PIPE_SIZE, x264_args
from media.pipe import set_capacity

WIDTH, HEIGHT, FPS, FRAMES = 1920, 1080, 30, 900
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SOURCE_FRAMES = 150
BASE = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
X264 = x264_args(FPS)
TESTSRC = ["-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}"]


def _cpu() -> float:
    """CPU-seconds of this process and of the children it has waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _busy() -> float:
    """CPU-seconds the whole machine has been busy since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / CLOCK_TICKS


class Timed:
    """Wall, CPU and machine-busy seconds of the block."""

    def __enter__(self) -> Timed:
        self.wall, self.cpu, self.busy = time.perf_counter(), _cpu(), _busy()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu, self.busy = (
            time.perf_counter() - self.wall,
            _cpu() - self.cpu,
            _busy() - self.busy,
        )

    def result(self) -> dict:
        return {"wall": self.wall, "cpu": self.cpu, "others": (self.busy - self.cpu) / self.wall}


def _out(name: str) -> str:
    return str(Path(sys.argv[-1] if len(sys.argv) > 2 else "/tmp") / name)


def lavfi(out: str) -> dict:
    with Timed() as timed:
        subprocess.run([*BASE, *TESTSRC, "-frames:v", str(FRAMES), *X264, out], check=True)
    return timed.result()


def pipe(out: str) -> dict:
    frame_size = WIDTH * HEIGHT * 3 // 2
    raw = subprocess.run(
        [*BASE, *TESTSRC, "-frames:v", str(SOURCE_FRAMES), "-pix_fmt", "yuv420p", "-f", "rawvideo", "-"],
        check=True,
        capture_output=True,
    ).stdout
    frames = [memoryview(raw)[i * frame_size : (i + 1) * frame_size] for i in range(SOURCE_FRAMES)]
    cmd = [
        *BASE,
        *["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{WIDTH}x{HEIGHT}", "-r", str(FPS)],
        *["-blocksize", str(PIPE_SIZE), "-i", "pipe:0", *X264, out],
    ]
    with Timed() as timed:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, bufsize=0)
        assert proc.stdin is not None
        if set_capacity(proc.stdin.fileno(), PIPE_SIZE) < PIPE_SIZE:
            raise SystemExit("the raw-pipe floor needs a 1 MiB pipe (see /proc/sys/fs/pipe-max-size)")
        for index in range(FRAMES):
            proc.stdin.write(frames[index % SOURCE_FRAMES])
        proc.stdin.close()
        if proc.wait() != 0:
            raise SystemExit("ffmpeg failed")
    return timed.result()


def reencode(src: str, out: str) -> dict:
    with Timed() as timed:
        subprocess.run([*BASE, "-i", src, "-map", "0:v:0", "-an", *X264, out], check=True)
    return timed.result()


def main() -> None:
    kind = sys.argv[1]
    if kind == "lavfi":
        result = lavfi(_out("floor-lavfi.mp4"))
    elif kind == "pipe":
        result = pipe(_out("floor-pipe.mp4"))
    elif kind == "reencode":
        result = reencode(sys.argv[2], str(Path(sys.argv[3]) / "floor-reencode.mp4"))
    else:
        raise SystemExit(f"unknown floor {kind!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
