"""videogen's benchmark: ours against the floor and the peer, side by side in one run.

    bash bench/run.sh                  # sets up what it needs, then runs this
    .venv/bin/python bench/run.py --rounds 3 --load-seconds 10

Each round runs every job once, in an order rotated from round to round, so a noisy
neighbour slows all of them alike; ratios are taken inside a round and the median of the
rounds is reported. The jobs: the floors, ours with 1 and 2 workers, each `--baseline`
revision with 1 worker, and the longer videos of the scaling table; the peer (moviepy,
about ten times slower) and videos longer than 2 minutes run once, in the middle round.
Then the API is loaded while another video renders. Uses its own Postgres database
`vg_bench` (and `vg_bench_base` for the baselines; SQLite files when no Postgres answers),
Redis database 8 and a temporary MEDIA_ROOT.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, suppress
from dataclasses import asdict
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
sys.path.insert(0, str(PROJECT))

from bench import load, ours  # noqa: E402
from bench.baseline import Baseline  # noqa: E402
from bench.procwatch import Watch, system_busy_seconds  # noqa: E402
from bench.report import report  # noqa: E402

PEER_PYTHON = BENCH / ".peer-venv" / "bin" / "python"
POSTGRES_ADMIN = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH_DB = "vg_bench"
BASE_DB = "vg_bench_base"
SCALING = (120, 600)  # seconds of video besides the 30 s one every round makes
ONCE_OVER = 120  # longer videos run in one round only: a 10-minute one takes 5 minutes or more
# The thread count x264 picks for itself (1.5 per core), named, so that two workers can be
# made to encode as they did before each clip took its worker's share of the cores.
X264_OWN = len(os.sched_getaffinity(0)) * 3 // 2


# --- set-up --------------------------------------------------------------------------------


def fresh_postgres(name: str) -> str:
    """The database `name` on the local Postgres, dropped and created again; its URL."""
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def database_url(tmp: Path) -> str:
    """A fresh `vg_bench` on the local Postgres, or a SQLite file when there is none."""
    try:
        return fresh_postgres(BENCH_DB)
    except Exception as exc:  # no server, no rights: the bench still runs, on SQLite
        print(f"(no Postgres at {POSTGRES_ADMIN}: {exc}; using SQLite)", file=sys.stderr)
        return f"sqlite:///{tmp / 'bench.sqlite3'}"


def revisions(values: list[str]) -> list[str]:
    """`--baseline` values, each one revision or several separated by commas."""
    return [rev for value in values for rev in value.split(",") if rev]


def lengths(value: str) -> tuple[int, ...]:
    """`--scaling 120,600`: video lengths in seconds; the 30 s one is ours, 1 worker."""
    return tuple(sorted({int(seconds) for seconds in value.split(",") if seconds} - {30}))


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    db = int(settings.REDIS_URL.rsplit("/", 1)[1])
    if db not in (7, 8):
        raise SystemExit(f"refusing to flush Redis database {db}: the bench uses 8")
    from generations.orchestration.dispatch import get_queue

    get_queue().connection.flushdb()


def load_average() -> str:
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


# --- the jobs ------------------------------------------------------------------------------


def floor(kind: str, *args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, str(BENCH / "floors.py"), kind, *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def peer(media: dict[str, Any], tmp: Path) -> dict[str, Any]:
    spec = media["spec"]
    fonts = glob.glob("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf") or glob.glob(
        "/usr/share/fonts/**/*.ttf", recursive=True
    )
    job = {
        "width": spec["width"],
        "height": spec["height"],
        "fps": spec["fps"],
        "font": fonts[0],
        "music": media["music"],
        "scenes": [
            {
                "image": image,
                "camera": scene["camera"],
                "frames": scene["frames"],
                "caption": scene["caption"],
            }
            for image, scene in zip(media["references"], spec["scenes"], strict=True)
        ],
    }
    job_path, out = tmp / "peer-job.json", tmp / "peer.mp4"
    job_path.write_text(json.dumps(job))
    env = {**os.environ, "IMAGEIO_FFMPEG_EXE": shutil.which("ffmpeg") or "/usr/bin/ffmpeg"}
    proc = subprocess.Popen(
        [str(PEER_PYTHON), str(BENCH / "peer_moviepy.py"), str(job_path), str(out)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp,
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = system_busy_seconds()
    with Watch([proc.pid]) as watch:
        stdout, _ = proc.communicate(timeout=1800)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = system_busy_seconds() - busy
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if proc.returncode != 0:
        raise RuntimeError("moviepy peer failed")
    from media.probe import probe

    probed = probe(out)
    wall = float(json.loads(stdout.strip().splitlines()[-1])["wall"])
    return {
        "wall": wall,
        "cpu": cpu,
        "others": (busy - cpu) / wall,
        "python_peak_mib": watch.python_peak_kib / 1024,
        "ffmpeg_peak_mib": watch.ffmpeg_peak_kib / 1024,
        "size_bytes": probed.size_bytes,
        "bit_rate": probed.bit_rate or 0,
        "frames": probed.video.frames if probed.video else None,
        "duration": probed.duration,
    }


def api_load(env: dict[str, str], tmp: Path, seconds: int, clients: int) -> list[load.LoadResult]:
    """`/status` of a generation while it renders (1 worker, a clip rendering from start to
    end: a 2-minute video, canceled afterwards): 50 clients polling once a second each, with
    the worker at normal priority and under the `nice` that run.sh and compose start it
    with; then 50 connections flat out (wrk)."""
    from rest_framework.authtoken.models import Token

    from generations import services
    from generations.models import VideoGeneration

    token = Token.objects.get_or_create(user=ours.bench_user())[0].key
    results = []
    with load.Gunicorn(env, tmp / "gunicorn.log") as server:
        shapes = (("paced", 0), ("paced", ours.worker_niceness()), ("closed", 0))
        for number, (shape, nice) in enumerate(shapes):
            with ours.Workers(1, env, tmp / "logs", nice=nice):
                video_id = ours.start_generation(seed=ours.SEED + number + 1, duration=120)
                path = f"/status/{video_id}"
                # Warm-up, unrecorded: gunicorn's workers load the app and open their
                # database connections on their first requests.
                load.python_load(path, server.port, token, clients=clients, seconds=1, interval=0.1)
                ours.wait_for_a_clip(video_id)
                if shape == "closed":
                    result = load.closed_loop(path, server.port, token, clients=clients, seconds=seconds)
                else:
                    result = load.python_load(
                        path, server.port, token, clients=clients, seconds=seconds, interval=1.0
                    )
                status = VideoGeneration.objects.values_list("status", flat=True).get(id=video_id)
                clip = ours.rendering_clip(video_id)
                rendering = f"clip {clip + 1} rendering" if clip is not None else "no clip rendering"
                result.shape += f"; worker at nice {nice}; video {status}, {rendering} at the end"
                results.append(result)
                with suppress(services.InvalidTransition):  # it may have finished
                    services.generation_cancel(video_id=video_id)
                ours.wait_until(video_id, set())
    return results


# --- main ------------------------------------------------------------------------------------


def one_round(
    number: int,
    middle: bool,
    args: argparse.Namespace,
    env: dict[str, str],
    tmp: Path,
    baselines: dict[str, Baseline],
) -> dict[str, Any]:
    """Every job once, in an order rotated by the round's number; in the middle round also
    the videos longer than ONCE_OVER and the peer."""
    rnd: dict[str, Any] = {}
    scaling = [f"len{seconds}" for seconds in args.scaling if seconds <= ONCE_OVER]
    jobs = ["lavfi", "pipe", "ours1", "ours2", "ours2every", *baselines, *scaling]
    shift = number % len(jobs)
    jobs = jobs[shift:] + jobs[:shift]
    if middle:
        jobs += [f"len{seconds}" for seconds in args.scaling if seconds > ONCE_OVER]
    for job in jobs:
        print(f"round {number + 1}/{args.rounds}: {job} (load {load_average()})", file=sys.stderr)
        if job in ("lavfi", "pipe"):
            rnd[job] = floor(job, str(tmp))
        elif job in baselines:
            rnd[job] = baselines[job].run()
        elif job.startswith("len"):
            rnd[job] = asdict(ours.run_generation(job, 1, env, tmp / "logs", duration=int(job[3:])))
        else:
            ours_jobs = {"ours1": (1, 0), "ours2": (2, args.threads_2w), "ours2every": (2, X264_OWN)}
            workers, threads = ours_jobs[job]
            rnd[job] = asdict(ours.run_generation(job, workers, env, tmp / "logs", ffmpeg_threads=threads))
    media = ours.media_paths(rnd["ours1"]["video_id"])
    rnd["reencode"] = floor("reencode", media["final"], str(tmp))
    if middle and not args.no_peer and PEER_PYTHON.exists():
        print(f"round {number + 1}: peer (moviepy) (load {load_average()})", file=sys.stderr)
        rnd["peer"] = peer(media, tmp)
    return rnd


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-peer", action="store_true", help="skip moviepy (about 3 minutes)")
    parser.add_argument("--load-seconds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--threads-2w",
        type=int,
        default=int(os.environ.get("BENCH_THREADS_2W", "0")),
        help="FFMPEG_THREADS for each of the 2 workers (0 = x264's own choice)",
    )
    parser.add_argument(
        "--baseline",
        action="append",
        default=[],
        metavar="REV[,REV]",
        help="also make the 30 s video with the code of this git revision (repeatable)",
    )
    parser.add_argument(
        "--scaling",
        type=lengths,
        nargs="?",
        const=SCALING,
        default=SCALING,
        metavar="SECONDS[,SECONDS]",
        help=f"video lengths for the scaling table besides 30 s (default {','.join(map(str, SCALING))}); "
        f"those over {ONCE_OVER} s run in the middle round only",
    )
    parser.add_argument("--no-scaling", dest="scaling", action="store_const", const=())
    parser.add_argument("--json", type=Path, default=BENCH / "results" / "latest.json")
    parser.add_argument("--keep", action="store_true", help="keep the temporary MEDIA_ROOT")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="vg-bench-"))
    (tmp / "logs").mkdir()
    (tmp / "media").mkdir()
    (tmp / "work").mkdir()
    db_url = database_url(tmp)
    env = ours.bench_environment(database_url=db_url, media_root=tmp / "media", work_root=tmp / "work")
    setup_django(env)
    base_url = None if db_url.startswith("sqlite") else fresh_postgres(BASE_DB)
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "database": db_url.split("://")[0],
        "load_before": load_average(),
        "threads_2w": args.threads_2w,
        "baselines": {},
        "scaling": list(args.scaling),
        "rounds": [],
    }
    middle = args.rounds // 2
    if not args.no_peer and not PEER_PYTHON.exists():
        print(f"(no {PEER_PYTHON}: run bench/run.sh to set up the peer; skipping it)", file=sys.stderr)
    try:
        with ExitStack() as stack:
            baselines: dict[str, Baseline] = {}
            for rev in revisions(args.baseline):
                print(f"baseline {rev}: worktree and migrations", file=sys.stderr)
                base = Baseline(rev, tmp, base_url)
                key = f"base:{base.about.commit}"
                if key not in baselines:
                    baselines[key] = stack.enter_context(base)
                    results["baselines"][key] = asdict(base.about)
            for number in range(args.rounds):
                results["rounds"].append(one_round(number, number == middle, args, env, tmp, baselines))
            print(f"API load (load {load_average()})", file=sys.stderr)
            results["load"] = [asdict(r) for r in api_load(env, tmp, args.load_seconds, args.clients)]
    finally:
        results["load_after"] = load_average()
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1, default=str))
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(report(results))
    print(f"\n(raw numbers: {args.json})")


if __name__ == "__main__":
    main()
