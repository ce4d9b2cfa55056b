"""Baselines: the bench's 30 s generation made by the code of an older revision, so a run
shows whether this one got slower.

Each revision is checked out in a temporary `git worktree` and runs from there through its
own `manage.py`: its own migrations into a database of its own (a schema of `vg_bench_base`
on Postgres, a SQLite file otherwise), its own `rqworker` in the bench's Redis database,
its own `generate` command. Only the interpreter is shared: the app's .venv, so the
report names any package the old revision pins that the .venv lacks or has at another
version.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings

from bench import ours
from bench.procwatch import Watch

# Read back inside the old tree, with its own models, whatever its table names are.
READ_TIMES = (
    "import json; from generations.models import VideoGeneration as V; g = V.objects.get(id={id!r}); "
    "print(json.dumps([g.status, g.error_message, g.created_at.timestamp(), "
    "g.completed_at.timestamp() if g.completed_at else None]))"
)


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ours.PROJECT), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def venv_gaps(commit: str) -> list[str]:
    """The old revision's pinned requirements that this .venv lacks or has at another version."""
    gaps = []
    for line in _git("show", f"{commit}:requirements.txt").splitlines():
        pinned = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==(\S+)", line.split("#")[0].strip())
        if not pinned:
            continue
        name, wanted = re.sub(r"\[.*\]", "", pinned.group(1)), pinned.group(2)
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            gaps.append(f"{name}=={wanted} not installed")
            continue
        if have != wanted:
            gaps.append(f"{name} {have} installed, {wanted} pinned")
    return gaps


@dataclass
class About:
    rev: str  # as asked for
    commit: str
    subject: str
    venv_gaps: list[str]


class Baseline:
    """One older revision, checked out and migrated on entry, its worktree removed on exit.
    Its database is a schema of its own in the Postgres database at `postgres_url`, or a
    SQLite file when that is None."""

    def __init__(self, rev: str, tmp: Path, postgres_url: str | None) -> None:
        commit = _git("rev-parse", "--short", f"{rev}^{{commit}}")
        self.about = About(rev, commit, _git("log", "-1", "--format=%s", commit), venv_gaps(commit))
        self.tree = tmp / f"tree-{commit}"
        # Older revisions serve the queue named in RQ_QUEUE, newer ones django-rq's `default`,
        # which is free while a baseline runs: the bench's own workers run one row at a time.
        named = subprocess.run(
            ["git", "-C", str(ours.PROJECT), "grep", "--quiet", 'env("RQ_QUEUE"', commit, "--", "videogen"]
        )
        self.queue = f"vg-bench-{commit}" if named.returncode == 0 else "default"
        self.postgres_url = postgres_url
        if postgres_url:
            database_url = f"{postgres_url}?currentSchema=r_{commit}"
        else:
            database_url = f"sqlite:///{tmp / f'base-{commit}.sqlite3'}"
        self.env = ours.bench_environment(
            database_url=database_url, media_root=tmp / f"media-{commit}", work_root=tmp / f"work-{commit}"
        )
        self.env["RQ_QUEUE"] = self.queue
        # The icon library is not in git; revisions that draw subjects find it where this one does.
        self.env["ICON_LIBRARY_DIR"] = str(django_settings.ICON_LIBRARY_DIR)
        self.log_dir = tmp / "logs"

    def __enter__(self) -> Baseline:
        for name in ("MEDIA_ROOT", "WORK_ROOT"):
            Path(self.env[name]).mkdir(exist_ok=True)
        if self.postgres_url:
            import psycopg

            with psycopg.connect(self.postgres_url, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA r_{self.about.commit}")
        _git("worktree", "add", "--detach", str(self.tree), self.about.commit)
        try:
            self._manage("migrate", "--verbosity", "0")
        except RuntimeError:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        _git("worktree", "remove", "--force", str(self.tree))

    def _manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=self.tree,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            gaps = self.about.venv_gaps
            missing = f" (this .venv: {'; '.join(gaps)})" if gaps else ""
            raise RuntimeError(
                f"{self.about.rev}: manage.py {args[0]} failed{missing}:\n{done.stderr[-2000:]}"
            )
        return done.stdout

    def run(self) -> dict[str, Any]:
        """The 30 s generation with 1 worker of this revision, measured like ours: wall from
        its row's own timestamps, CPU and peak RSS of the worker's process tree."""
        with (
            ours.Workers(1, self.env, self.log_dir, tree=self.tree, queue=self.queue) as pool,
            Watch(pool.pids) as watch,
        ):
            video_id = ours.generate(self.tree, self.env)
            time.sleep(0.2)  # a last sample after the final horse has exited
        shell = self._manage("shell", "--command", READ_TIMES.format(id=video_id))
        status, error, created, completed = json.loads(shell.strip().splitlines()[-1])
        if status != "complete":
            raise RuntimeError(f"{self.about.rev}: generation {video_id} {status}: {error}")
        cpu, busy = watch.cpu_between(created, completed)
        return {
            "video_id": video_id,
            "wall": completed - created,
            "cpu": cpu,
            "others": (busy - cpu) / (completed - created),
            "python_peak_mib": watch.python_peak_kib / 1024,
            "ffmpeg_peak_mib": watch.ffmpeg_peak_kib / 1024,
        }
