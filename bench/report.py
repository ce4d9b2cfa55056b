"""The benchmark's report: the tables of `bench/run.py`'s results, medians of the rounds and
ratios taken inside each round."""

from __future__ import annotations

import os
import statistics
from typing import Any

PHASES = ("plan", "animatic", "references", "chunks", "refine", "export")


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def report(results: dict[str, Any]) -> str:
    rounds = results["rounds"]

    def each(key: str, field: str = "wall") -> list[float]:
        return [rnd[key][field] for rnd in rounds if key in rnd]

    def ratio(top: str, bottom: str, field: str = "wall") -> float:
        return med([rnd[top][field] / rnd[bottom][field] for rnd in rounds if top in rnd and bottom in rnd])

    def chunks(key: str) -> list[float]:
        return [rnd[key]["phases"]["chunks"] for rnd in rounds]

    out = [
        f"videogen bench: {results['started']}, {os.cpu_count()} cores, database {results['database']}, "
        f"FFMPEG_THREADS with 2 workers: {results['threads_2w'] or 'unset (x264 picks)'}",
        f"load average (1/5/15 min): {results['load_before']} before, {results['load_after']} after",
        f"{len(rounds)} interleaved rounds; medians; ratios are taken inside each round, then the median",
        "",
    ]
    jobs = [
        ("floor: ffmpeg testsrc2 → x264, one process", "lavfi"),
        (
            "floor: testsrc2 frames piped raw (yuv420p, 1 MiB pipe) from Python → x264 = the raw-pipe floor",
            "pipe",
        ),
        ("floor: our own finished video decoded → x264 (content-matched)", "reencode"),
        ("ours, 1 worker, end to end (6 phases, queue, DB, storage)", "ours1"),
        ("ours, 2 workers, end to end", "ours2"),
        ("ours, 2 workers, FFMPEG_THREADS=1 (x264 pinned to one thread each)", "ours2t1"),
        ("peer: moviepy 2.2.1, same scenes, moves, captions, music, codec", "peer"),
    ]
    rows = []
    for name, key in jobs:
        walls = each(key)
        if not walls:
            rows.append([name, "-", "-", "-", "-", "-"])
            continue
        rows.append(
            [
                name,
                f"{med(walls):.2f}",
                " ".join(f"{v:.1f}" for v in walls),
                f"{ratio(key, 'pipe'):.2f}×",
                f"{med(each(key, 'cpu')):.1f}",
                f"{med(each(key, 'others')):.2f}",
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
    out += [table(rows, header), ""]

    phase_rows = []
    for phase in PHASES:
        cells = [phase]
        for key in ("ours1", "ours2"):
            cells += [
                f"{med([rnd[key]['phases'][phase] for rnd in rounds]):.2f}",
                f"{100 * med([rnd[key]['phases'][phase] / rnd[key]['wall'] for rnd in rounds]):.1f} %",
            ]
        cells.append(f"{med([rnd['ours1']['phase_cpu'][phase] for rnd in rounds]):.2f}")
        phase_rows.append(cells)
    cells = ["orchestration overhead (wall not inside a phase or a chunk)"]
    for key in ("ours1", "ours2"):
        cells += [
            f"{med(each(key, 'overhead')):.2f}",
            f"{100 * med([rnd[key]['overhead'] / rnd[key]['wall'] for rnd in rounds]):.1f} %",
        ]
    cells.append(
        f"{med([rnd['ours1']['cpu'] - sum(rnd['ours1']['phase_cpu'].values()) for rnd in rounds]):.2f}"
    )
    phase_rows.append(cells)
    phase_rows.append(
        [
            "end to end",
            f"{med(each('ours1')):.2f}",
            "100 %",
            f"{med(each('ours2')):.2f}",
            "100 %",
            f"{med(each('ours1', 'cpu')):.2f}",
        ]
    )
    header = ["phase (PhaseRun rows)", "1 worker s", "share", "2 workers s", "share", "1 worker CPU s"]
    out += [table(phase_rows, header), ""]

    def util(rnd: dict[str, Any], key: str) -> float:
        return rnd[key]["chunks_cpu"] / rnd[key]["phases"]["chunks"]

    def others(rnd: dict[str, Any], key: str) -> float:
        return (rnd[key]["chunks_machine_busy"] - rnd[key]["chunks_cpu"]) / rnd[key]["phases"]["chunks"]

    res_rows = []
    for key, name in (
        ("ours1", "ours, 1 worker"),
        ("ours2", "ours, 2 workers"),
        ("ours2t1", "ours, 2 workers, 1 thread"),
    ):
        res_rows.append(
            [
                name,
                f"{max(each(key, 'python_peak_mib')):.0f} "
                f"({max(rounds, key=lambda rnd: rnd[key]['python_peak_mib'])[key]['python_peak_phase']})",
                f"{max(each(key, 'ffmpeg_peak_mib')):.0f}",
                f"{med([util(rnd, key) for rnd in rounds]):.2f} / {med([others(rnd, key) for rnd in rounds]):.2f}",
                f"{med(each(key, 'size_bytes')) / 2**20:.2f}",
                f"{med(each(key, 'bit_rate')) / 1000:.0f}",
            ]
        )
    peer_round = next((rnd for rnd in rounds if "peer" in rnd), None)
    if peer_round:
        p = peer_round["peer"]
        res_rows.append(
            [
                "peer: moviepy",
                f"{p['python_peak_mib']:.0f}",
                f"{p['ffmpeg_peak_mib']:.0f}",
                "-",
                f"{p['size_bytes'] / 2**20:.2f}",
                f"{p['bit_rate'] / 1000:.0f}",
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
    out += [table(res_rows, header), ""]

    load_rows = [
        [
            r["shape"],
            str(r["clients"]),
            f"{r['seconds']:g}",
            str(r["requests"]),
            str(r["errors"]),
            f"{r['rps']:.0f}",
            f"{r['p50_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
        ]
        for r in results.get("load", [])
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
    out += [table(load_rows, header), ""]

    util1 = med([util(rnd, "ours1") for rnd in rounds])
    others1 = med([others(rnd, "ours1") for rnd in rounds])
    overhead = med([rnd["ours1"]["overhead"] / rnd["ours1"]["wall"] for rnd in rounds])
    rss_mb = max(max(each(key, "python_peak_mib")) for key in ("ours1", "ours2", "ours2t1")) * 1.048576
    speedup = med([a / b for a, b in zip(chunks("ours1"), chunks("ours2"))])
    speedup_t1 = med([a / b for a, b in zip(chunks("ours1"), chunks("ours2t1"))])
    targets = [
        [
            "end to end, 1 worker ≤ 1.3× raw-pipe floor",
            f"{ratio('ours1', 'pipe'):.2f}× wall, {ratio('ours1', 'pipe', 'cpu'):.2f}× CPU "
            f"(2 workers {ratio('ours2', 'pipe'):.2f}×; vs testsrc2 inside ffmpeg {ratio('ours1', 'lavfi'):.2f}×)",
            ratio("ours1", "pipe") <= 1.3,
        ],
        [
            "2 workers: chunks phase ≥ 1.7× faster than 1 worker",
            f"{speedup:.2f}× (end to end {ratio('ours1', 'ours2'):.2f}×; FFMPEG_THREADS=1: {speedup_t1:.2f}×); "
            f"1 worker already keeps {util1:.2f} of the {2 - others1:.2f} cores the neighbours left "
            f"free in that phase, so 2 workers can gain at most {(2 - others1) / util1:.2f}×",
            speedup >= 1.7,
        ],
        ["orchestration overhead < 3 % (1 worker)", f"{100 * overhead:.1f} %", overhead < 0.03],
        ["worker peak RSS < 400 MB", f"{rss_mb:.0f} MB", rss_mb < 400],
    ]
    if peer_round:
        faster = peer_round["peer"]["wall"] / peer_round["ours1"]["wall"]
        targets.insert(1, ["≥ 3× faster than moviepy", f"{faster:.1f}× (same round)", faster >= 3])
    paced = next((r for r in results.get("load", []) if r["shape"].startswith("paced")), None)
    niced = next((r for r in results.get("load", []) if "nice 10" in r["shape"]), None)
    closed = next((r for r in results.get("load", []) if r["shape"].startswith("closed")), None)
    if paced and closed:
        targets.append(
            [
                "/status p99 < 25 ms at 50 clients",
                f"paced: {paced['p99_ms']:.1f} ms at {paced['rps']:.0f} req/s"
                + (f" (worker at nice 10: {niced['p99_ms']:.1f} ms)" if niced else "")
                + f"; closed loop: {closed['p99_ms']:.1f} ms at {closed['rps']:.0f} req/s",
                paced["p99_ms"] < 25,
            ]
        )
    out.append(
        table([[t[0], t[1], "met" if t[2] else "MISSED"] for t in targets], ["target", "measured", ""])
    )
    return "\n".join(out)
