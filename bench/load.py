"""The API under load: `/status/<id>` served by gunicorn, hit by 50 clients on 127.0.0.1.

Two shapes of load, both bounded in time and sent only to the loopback address:
- closed loop (wrk, or the Python client when wrk is missing): 50 connections each sending
  the next request as soon as the last one is answered, so it measures the most the
  server can answer; by Little's law its latency is 50 / throughput.
- paced: 50 clients each polling once every `interval` seconds (a progress page polls
  every few seconds), so latency is the time to answer one request while a video renders.
"""

from __future__ import annotations

import asyncio
import random
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
PROJECT = Path(__file__).resolve().parent.parent


@dataclass
class LoadResult:
    shape: str
    clients: int
    seconds: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Gunicorn:
    """The app under gunicorn on a free loopback port, the way a deployment serves it."""

    def __init__(self, env: dict[str, str], log: Path, *, workers: int = 2, threads: int = 4) -> None:
        self.port = free_port()
        self.cmd = [
            str(Path(sys.executable).parent / "gunicorn"),
            "videogen.wsgi:application",
            *["--bind", f"{HOST}:{self.port}", "--workers", str(workers)],
            *["--worker-class", "gthread", "--threads", str(threads), "--log-level", "warning"],
        ]
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        self.proc = subprocess.Popen(
            self.cmd, cwd=PROJECT, env=self.env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start; see {self.log}") from None
                time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, token: str, *, clients: int, seconds: int) -> LoadResult:
    out = subprocess.run(
        [
            "wrk",
            *["-t", "2", "-c", str(clients), "-d", f"{seconds}s", "--timeout", "10s", "--latency"],
            *["-H", f"Authorization: Token {token}", url],
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    percentile = dict(re.findall(r"^\s+(\d+)%\s+([\d.]+[a-z]+)", out, re.MULTILINE))
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return LoadResult(
        shape="closed loop (wrk)",
        clients=clients,
        seconds=seconds,
        requests=requests,
        errors=errors,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(percentile["50"]),
        p99_ms=_ms(percentile["99"]),
    )


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> bool:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
    await reader.readexactly(length)
    return head.startswith(b"HTTP/1.1 200")


async def _client(
    port: int,
    request: bytes,
    ready: asyncio.Barrier,
    seconds: float,
    interval: float,
    latencies: list[float],
    errors: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        # One unrecorded request per connection first: the clock starts once all 50 are
        # open and served, as they would be for pages that have been polling for a while.
        await _exchange(reader, writer, request)
        await ready.wait()
        deadline = time.monotonic() + seconds
        next_at = time.monotonic() + random.uniform(0, interval)
        while True:
            if interval:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval
            if time.monotonic() >= deadline:
                return
            sent = time.perf_counter()
            try:
                ok = await _exchange(reader, writer, request)
            except (asyncio.IncompleteReadError, ConnectionError):
                # gunicorn closes a connection idle for longer than its keep-alive (2 s), as
                # one may be while 50 first requests queue for a busy CPU; a browser opens a
                # new one and asks again, and so does this client, inside the request's time.
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port)
                ok = await _exchange(reader, writer, request)
            latencies.append(time.perf_counter() - sent)
            if not ok:
                errors.append(1)
    finally:
        writer.close()


def python_load(
    path: str, port: int, token: str, *, clients: int, seconds: float, interval: float
) -> LoadResult:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Token {token}\r\n"
        "Connection: keep-alive\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    errors: list[int] = []

    async def main() -> None:
        ready = asyncio.Barrier(clients)
        await asyncio.gather(
            *(_client(port, request, ready, seconds, interval, latencies, errors) for _ in range(clients))
        )

    asyncio.run(main())
    elapsed = seconds
    latencies.sort()

    def pct(p: float) -> float:
        return (
            1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")
        )

    shape = f"paced, 1 request / {interval:g} s each" if interval else "closed loop (python)"
    return LoadResult(
        shape, clients, seconds, len(latencies), len(errors), len(latencies) / elapsed, pct(0.5), pct(0.99)
    )


def closed_loop(path: str, port: int, token: str, *, clients: int, seconds: int) -> LoadResult:
    if shutil.which("wrk"):
        return wrk(f"http://{HOST}:{port}{path}", token, clients=clients, seconds=seconds)
    return python_load(path, port, token, clients=clients, seconds=seconds, interval=0)
