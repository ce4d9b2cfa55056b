"""The benchmark's report: the tables of `bench/run.py`'s results, medians of the rounds and
ratios taken inside each round. The targets it checks are in bench/targets.py."""

from __future__ import annotations

import os
from typing import Any

from bench.rounds import Rounds, table
from bench.targets import targets

PHASES = ("plan", "animatic", "references", "chunks", "refine", "export")
OURS = (
    ("ours1", "ours, 1 worker"),
    ("ours2", "ours, 2 workers"),
    ("ours2every", "ours, 2 workers, every core"),
)


def subject(base: dict[str, Any], width: int = 50) -> str:
    text = base["subject"]
    return f"“{text}”" if len(text) <= width else f"“{text[: width - 1]}…”"


def summary(results: dict[str, Any], r: Rounds) -> list[str]:
    """The main table: every 30 s row against the raw-pipe floor, then HEAD against each baseline."""
    jobs = [
        ("floor: ffmpeg testsrc2 → x264, one process", "lavfi"),
        (
            "floor: testsrc2 frames piped raw (yuv420p, 1 MiB pipe) from Python → x264 = the raw-pipe floor",
            "pipe",
        ),
        ("floor: our own finished video decoded → x264 (content-matched)", "reencode"),
        ("ours, 1 worker, end to end (6 phases, queue, DB, storage)", "ours1"),
        ("ours, 2 workers, end to end", "ours2"),
        ("ours, 2 workers, every encoder on every core (as before the share)", "ours2every"),
        *(
            (f"baseline {base['commit']} ({subject(base)}), 1 worker, end to end", key)
            for key, base in results["baselines"].items()
        ),
        ("peer: moviepy 2.2.1, same scenes, moves, captions, music, codec", "peer"),
    ]
    rows = []
    for name, key in jobs:
        walls = r.each(key)
        if not walls:
            rows.append([name, "-", "-", "-", "-", "-"])
            continue
        rows.append(
            [
                name,
                f"{r.med(walls):.2f}",
                " ".join(f"{v:.1f}" for v in walls),
                f"{r.ratio(key, 'pipe'):.2f}×",
                f"{r.med(r.each(key, 'cpu')):.1f}",
                f"{r.med(r.each(key, 'others')):.2f}",
            ]
        )
    header = [
        "900 frames, 1920×1080 @ 30 fps, x264 veryfast crf 23",
        "wall s",
        "each round",
        "× raw-pipe floor",
        "CPU s",
        "others' cores",
    ]
    out = [table(rows, header)]
    for key, base in results["baselines"].items():
        out.append(
            f"HEAD vs {base['rev']}: {r.ratio('ours1', key):.2f}× wall, {r.ratio('ours1', key, 'cpu'):.2f}× CPU "
            "(1 worker each; median of the per-round ratios)"
        )
        if base["venv_gaps"]:
            out.append(
                f"  ({base['rev']} ran in this .venv, which differs from its pins: {'; '.join(base['venv_gaps'])})"
            )
    return out


def phases(r: Rounds) -> str:
    rows = []
    for phase in PHASES:
        cells = [phase]
        for key in ("ours1", "ours2"):
            cells += [
                f"{r.med([rnd[key]['phases'][phase] for rnd in r.rounds]):.2f}",
                f"{100 * r.med([rnd[key]['phases'][phase] / rnd[key]['wall'] for rnd in r.rounds]):.1f} %",
            ]
        cells.append(f"{r.med([rnd['ours1']['phase_cpu'][phase] for rnd in r.rounds]):.2f}")
        rows.append(cells)
    cells = ["orchestration overhead (wall not inside a phase or a chunk)"]
    for key in ("ours1", "ours2"):
        cells += [f"{r.med(r.each(key, 'overhead')):.2f}", f"{100 * r.overhead(key):.1f} %"]
    cells.append(f"{r.med(r.each('ours1', 'overhead_cpu')):.2f}")
    rows.append(cells)
    rows.append(
        [
            "end to end",
            f"{r.med(r.each('ours1')):.2f}",
            "100 %",
            f"{r.med(r.each('ours2')):.2f}",
            "100 %",
            f"{r.med(r.each('ours1', 'cpu')):.2f}",
        ]
    )
    header = ["phase (PhaseRun rows)", "1 worker s", "share", "2 workers s", "share", "1 worker CPU s"]
    return table(rows, header)


def resources(results: dict[str, Any], r: Rounds) -> str:
    def util(rnd: dict[str, Any], key: str) -> float:
        return rnd[key]["chunks_cpu"] / rnd[key]["phases"]["chunks"]

    def others(rnd: dict[str, Any], key: str) -> float:
        return (rnd[key]["chunks_machine_busy"] - rnd[key]["chunks_cpu"]) / rnd[key]["phases"]["chunks"]

    rows = []
    for key, name in OURS:
        rows.append(
            [
                name,
                f"{r.peak(key, 'python_peak_mib'):.0f} "
                f"({max(r.rounds, key=lambda rnd: rnd[key]['python_peak_mib'])[key]['python_peak_phase']})",
                f"{r.peak(key, 'ffmpeg_peak_mib'):.0f}",
                f"{r.med([util(rnd, key) for rnd in r.rounds]):.2f} / "
                f"{r.med([others(rnd, key) for rnd in r.rounds]):.2f}",
                f"{r.med(r.each(key, 'size_bytes')) / 2**20:.2f}",
                f"{r.med(r.each(key, 'bit_rate')) / 1000:.0f}",
            ]
        )
    for key, base in results["baselines"].items():
        rows.append(
            [
                f"baseline {base['commit']}",
                f"{r.peak(key, 'python_peak_mib'):.0f}",
                f"{r.peak(key, 'ffmpeg_peak_mib'):.0f}",
                "-",
                "-",
                "-",
            ]
        )
    if r.peer:
        rows.append(
            [
                "peer: moviepy",
                f"{r.peer['python_peak_mib']:.0f}",
                f"{r.peer['ffmpeg_peak_mib']:.0f}",
                "-",
                f"{r.peer['size_bytes'] / 2**20:.2f}",
                f"{r.peer['bit_rate'] / 1000:.0f}",
            ]
        )
    header = [
        "",
        "peak RSS, Python (worker/horse) MiB (in phase)",
        "peak RSS, ffmpeg MiB",
        "chunks phase: cores used by us / by others",
        "output MiB",
        "kbit/s",
    ]
    return table(rows, header)


def scaling(r: Rounds) -> str:
    rows = []
    for seconds, key in r.lengths():
        walls = r.each(key)
        rows.append(
            [
                f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds} s",
                str(30 * seconds),
                str(len(walls)),
                f"{r.med(walls):.1f}",
                f"{r.med(r.each(key, 'cpu')):.1f}",
                f"{r.ratio(key, 'pipe', scale=seconds / 30):.2f}×",
                f"{r.ratio(key, 'ours1', scale=seconds / 30):.2f}×",
                f"{r.peak(key, 'python_peak_mib'):.0f}",
                f"{r.peak(key, 'ffmpeg_peak_mib'):.0f}",
            ]
        )
    header = [
        "length (1 worker, 1920×1080 @ 30 fps, 16:9)",
        "frames",
        "rounds",
        "wall s",
        "CPU s",
        "× raw-pipe floor × frames / 900 (same round)",
        "× the 30 s video × length / 30 s (same round)",
        "peak RSS worker/horse MiB",
        "peak RSS ffmpeg MiB",
    ]
    return table(rows, header)


def api(results: dict[str, Any]) -> str:
    rows = [
        [
            row["shape"],
            str(row["clients"]),
            f"{row['seconds']:g}",
            str(row["requests"]),
            str(row["errors"]),
            f"{row['rps']:.0f}",
            f"{row['p50_ms']:.1f}",
            f"{row['p99_ms']:.1f}",
        ]
        for row in results.get("load", [])
    ]
    header = [
        "GET /status/<id>, gunicorn, while a video renders",
        "clients",
        "s",
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p99 ms",
    ]
    return table(rows, header)


def report(results: dict[str, Any]) -> str:
    r = Rounds(results)
    out = [
        f"videogen bench: {results['started']}, {os.cpu_count()} cores, database {results['database']}, "
        f"FFMPEG_THREADS with 2 workers: {results['threads_2w'] or 'unset (each clip on its worker’s share of the cores)'}",
        f"load average (1/5/15 min): {results['load_before']} before, {results['load_after']} after",
        f"{len(r.rounds)} interleaved rounds; medians; ratios are taken inside each round, then the median",
        "",
        *summary(results, r),
        "",
        phases(r),
        "",
        resources(results, r),
        "",
        scaling(r),
        "",
        api(results),
        "",
        table(
            [[name, measured, "met" if ok else "MISSED"] for name, measured, ok in targets(results, r)],
            ["target", "measured", ""],
        ),
    ]
    return "\n".join(out)
