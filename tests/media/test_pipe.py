"""media.pipe: a pipe's capacity, and buffers handed to it by reference."""

from __future__ import annotations

import os
import sys
import threading

import numpy as np
import pytest

from media import pipe

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="vmsplice is Linux's")


@pytest.fixture
def pipe_fds():
    read_fd, write_fd = os.pipe()
    yield read_fd, write_fd
    for fd in (read_fd, write_fd):
        try:
            os.close(fd)
        except OSError:
            pass


def read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, size)
        assert chunk, "the pipe closed early"
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


@linux_only
def test_a_pipe_takes_the_capacity_asked_for_and_says_what_it_has(pipe_fds):
    assert pipe.set_capacity(pipe_fds[1], 1 << 20) == 1 << 20
    assert pipe.can_splice(pipe_fds[1])


@linux_only
def test_a_spliced_buffer_larger_than_the_pipe_reads_back_whole(pipe_fds):
    read_fd, write_fd = pipe_fds
    capacity = pipe.set_capacity(write_fd, 1 << 16)
    # Not page-aligned, and four times what the pipe holds: several partial splices.
    buffer = np.random.default_rng(1).integers(0, 256, 4 * capacity + 123, dtype=np.uint8)[7:]
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(read_exactly(read_fd, buffer.nbytes)))
    reader.start()
    pipe.splice_all(write_fd, buffer)
    reader.join(timeout=10)
    assert received and received[0] == buffer.tobytes()


@linux_only
def test_splicing_into_a_pipe_nobody_reads_raises_broken_pipe(pipe_fds):
    read_fd, write_fd = pipe_fds
    os.close(read_fd)
    with pytest.raises(BrokenPipeError):
        pipe.splice_all(write_fd, np.zeros(4096, dtype=np.uint8))


def test_a_regular_file_is_written_not_spliced(tmp_path):
    with open(tmp_path / "file", "wb") as handle:
        assert not pipe.can_splice(handle.fileno())
