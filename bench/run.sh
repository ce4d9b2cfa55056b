#!/usr/bin/env bash
# The benchmark in one command: install what it needs, then run bench/run.py (arguments
# are passed on, e.g. `bash bench/run.sh --rounds 5`). Needs the app's .venv (./run.sh or
# ./test.sh make it), ffmpeg and Redis on 127.0.0.1:6379; uses Postgres there when it
# answers, else SQLite. BENCH_BASELINE names the older revisions to compare with
# (comma-separated; empty for none).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    echo "no .venv: run ./test.sh (or ./run.sh) once first" >&2
    exit 1
fi
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
command -v ffmpeg >/dev/null || as_root apt-get install -y ffmpeg
command -v wrk >/dev/null || as_root apt-get install -y wrk || echo "(no wrk: the closed-loop load uses the Python client)" >&2
.venv/bin/python -c 'import redis; redis.Redis.from_url("redis://127.0.0.1:6379/8").ping()' 2>/dev/null || {
    echo "Redis does not answer on 127.0.0.1:6379 (./run.sh starts one)" >&2
    exit 1
}

.venv/bin/pip install -q -r bench/requirements.txt
# moviepy needs Pillow < 12 and the app pins 13: the peer gets its own virtualenv.
if [ ! -x bench/.peer-venv/bin/python ]; then
    "$(.venv/bin/python -c 'import sys; print(sys._base_executable)')" -m venv bench/.peer-venv
fi
bench/.peer-venv/bin/pip install -q -r bench/requirements-peer.txt

# The revisions the targets name: before the pipeline's restructure, before the subject library.
baseline="${BENCH_BASELINE-ddbe393,74838a7}"
exec .venv/bin/python bench/run.py ${baseline:+--baseline "$baseline"} "$@"
