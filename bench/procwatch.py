"""Peak memory and CPU time of process trees, sampled from /proc (Linux only).

A worker forks a work horse per job and the horse starts ffmpeg, so the tree is walked on
every tick. Peak RSS is each process's own high-water mark (VmHWM), split into Python
(worker, horse) and ffmpeg. CPU is the tree's total: every live process's own time plus
what it has reaped from children that already exited, so nothing is counted twice.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text()
            found += [int(child) for child in text.split()]
    except OSError:
        pass
    return found


def tree(roots: list[int]) -> list[int]:
    pids, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo += children(pid)
    return pids


def _status(pid: int) -> tuple[str, int]:
    """(command name, VmHWM in KiB) or ("", 0) once the process is gone."""
    name, hwm = "", 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Name:"):
                name = line.split()[1]
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except OSError:
        pass
    return name, hwm


def _cpu_seconds(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2 :].split()
    # utime, stime, cutime, cstime are fields 14-17 of stat; 11-14 after the command name.
    return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS


def system_busy_seconds() -> float:
    """CPU-seconds all cores have spent busy since boot (everyone's work, not just ours)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / CLOCK_TICKS


@dataclass
class Sample:
    at: float  # time.time()
    cpu: float  # tree CPU-seconds so far
    busy: float  # system busy CPU-seconds so far


@dataclass
class Watch:
    """Samples the trees under `roots` every `interval` seconds until stopped."""

    roots: list[int]
    interval: float = 0.05
    python_peak_kib: int = 0
    python_peak_at: float = 0.0  # when the Python peak was first seen (time.time())
    ffmpeg_peak_kib: int = 0
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _base_cpu: dict[int, float] = field(default_factory=dict)

    def __enter__(self) -> Watch:
        # Work done by the roots before the watch (their start-up) is not counted.
        self._base_cpu = {pid: _cpu_seconds(pid) for pid in self.roots}
        self._tick()
        self._thread = threading.Thread(target=self._run, name="procwatch", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()
        self._tick()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._tick()

    def _tick(self) -> None:
        cpu = 0.0
        for pid in tree(self.roots):
            name, hwm = _status(pid)
            if name == "ffmpeg":
                self.ffmpeg_peak_kib = max(self.ffmpeg_peak_kib, hwm)
            elif name and hwm > self.python_peak_kib:
                self.python_peak_kib, self.python_peak_at = hwm, time.time()
            cpu += _cpu_seconds(pid) - self._base_cpu.get(pid, 0.0)
        self.samples.append(Sample(time.time(), cpu, system_busy_seconds()))

    def cpu_between(self, start: float, end: float) -> tuple[float, float]:
        """(our tree's CPU-seconds, the whole machine's busy CPU-seconds) between two
        wall-clock times, interpolated between samples."""

        def at(when: float, attr: str) -> float:
            points = self.samples
            if when <= points[0].at:
                return getattr(points[0], attr)
            for before, after in zip(points, points[1:]):
                if before.at <= when <= after.at:
                    span = after.at - before.at or 1.0
                    share = (when - before.at) / span
                    return getattr(before, attr) + share * (getattr(after, attr) - getattr(before, attr))
            return getattr(points[-1], attr)

        return at(end, "cpu") - at(start, "cpu"), at(end, "busy") - at(start, "busy")
