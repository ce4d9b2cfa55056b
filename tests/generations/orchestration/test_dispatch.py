"""Putting pipeline work on the real queue: deterministic job ids, the seed's timeouts, and
cancel dropping what waits."""

from __future__ import annotations

from generations.orchestration import dispatch
from phases.registry import PHASES


def test_a_phase_job_carries_its_phases_timeout_and_a_deterministic_id(queue):
    for phase in PHASES:
        dispatch.enqueue_phase("abc123", phase.name, attempt=2, timeout=phase.timeout)
        job = queue.fetch_job(f"vg-abc123-{phase.name}-2")
        assert job is not None and job.timeout == phase.timeout
        assert job.args == ("abc123", phase.name)


def test_waiting_work_is_found_by_generation(queue):
    dispatch.enqueue_next("abc123")
    dispatch.enqueue_phase("def456", "plan", attempt=1, timeout=60)
    assert dispatch.waiting_video_ids() == {"abc123", "def456"}


def test_cancel_drops_only_that_generations_waiting_jobs(queue):
    dispatch.enqueue_next("abc123")
    dispatch.enqueue_part("abc123", "chunks", 0, attempt=1, timeout=600)
    dispatch.enqueue_next("def456")
    dispatch.cancel_jobs("abc123")
    assert dispatch.waiting_video_ids() == {"def456"}


def test_remote_work_in_flight_is_remembered_until_it_ends(queue):
    dispatch.track_remote_work("abc123", "replicate", "p-1", True)
    dispatch.track_remote_work("abc123", "replicate", "p-2", True)
    dispatch.track_remote_work("abc123", "replicate", "p-1", False)
    assert queue.connection.smembers("videogen:remote-work:abc123") == {b"replicate:p-2"}
