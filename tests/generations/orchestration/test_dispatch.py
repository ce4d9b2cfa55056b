"""Putting pipeline work on the real queue: deterministic job ids, the seed's timeouts, and
cancel dropping what waits."""

from __future__ import annotations

import threading

from generations.orchestration import dispatch
from phases.registry import PHASES


def test_a_phase_job_carries_its_phases_timeout_and_a_deterministic_id(queue):
    for phase in PHASES:
        dispatch.enqueue_phase("abc123", phase.name, attempt=2, timeout=phase.timeout)
        job = queue.fetch_job(f"vg-abc123-{phase.name}-2")
        assert job is not None and job.timeout == phase.timeout
        assert job.args == ("abc123", phase.name)


def test_waiting_work_is_found_by_generation(queue):
    dispatch.enqueue_part("abc123", "chunks", 0, attempt=1, timeout=600)
    dispatch.enqueue_phase("def456", "plan", attempt=1, timeout=60)
    assert dispatch.waiting_video_ids() == {"abc123", "def456"}


def test_cancel_drops_only_that_generations_waiting_jobs(queue):
    dispatch.enqueue_phase("abc123", "plan", attempt=1, timeout=60)
    dispatch.enqueue_part("abc123", "chunks", 0, attempt=1, timeout=600)
    dispatch.enqueue_phase("def456", "plan", attempt=1, timeout=60)
    dispatch.cancel_jobs("abc123")
    assert dispatch.waiting_video_ids() == {"def456"}


def test_remote_work_in_flight_is_remembered_until_it_ends(queue):
    dispatch.track_remote_work("abc123", "replicate", "p-1", True)
    dispatch.track_remote_work("abc123", "replicate", "p-2", True)
    dispatch.track_remote_work("abc123", "replicate", "p-1", False)
    assert queue.connection.smembers("videogen:remote-work:abc123") == {b"replicate:p-2"}


def test_a_part_already_waiting_is_not_enqueued_twice(queue):
    dispatch.enqueue_part("abc123", "chunks", 0, attempt=1, timeout=600)
    dispatch.enqueue_part("abc123", "chunks", 0, attempt=1, timeout=600)
    assert queue.get_job_ids() == ["vg-abc123-chunks-0-1"]
    # A new attempt is a new job.
    dispatch.enqueue_part("abc123", "chunks", 0, attempt=2, timeout=600)
    assert queue.count == 2


def test_outside_a_job_there_is_no_time_limit_to_fit_in():
    assert dispatch.seconds_left_in_job() is None


def test_inside_a_job_the_time_left_counts_down_from_its_timeout(queue, work_queue):
    queue.enqueue_call("tests.generations.orchestration.test_dispatch.remember_time_left", timeout=90)
    work_queue()
    assert 80 < float(queue.connection.get("time-left")) <= 90


def remember_time_left() -> None:
    dispatch.get_queue().connection.set("time-left", dispatch.seconds_left_in_job())


def test_a_thread_the_job_starts_for_its_work_has_the_jobs_time(queue, work_queue):
    queue.enqueue_call(
        "tests.generations.orchestration.test_dispatch.remember_time_left_in_threads", timeout=90
    )
    work_queue()
    assert 80 < float(queue.connection.get("time-left")) <= 90
    assert queue.connection.get("time-left-elsewhere") == b"none"  # a thread of its own has none


def remember_time_left_in_threads() -> None:
    for work in (dispatch.in_job(dispatch.current_job(), remember_time_left), remember_time_left_elsewhere):
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()


def remember_time_left_elsewhere() -> None:
    dispatch.get_queue().connection.set("time-left-elsewhere", str(dispatch.seconds_left_in_job()).lower())


def test_the_queue_keeps_one_connection_per_redis(queue, settings):
    assert dispatch.get_queue().connection is dispatch.get_queue().connection
    url = settings.RQ_QUEUES["default"]["URL"]
    settings.RQ_QUEUES = {**settings.RQ_QUEUES, "default": {"URL": url.rsplit("/", 1)[0] + "/15"}}
    other = dispatch.get_queue().connection
    assert other.connection_pool.connection_kwargs["db"] == 15


def everything_fits(phase_name: str) -> bool:
    return True


def test_a_waiting_part_job_is_taken_off_the_queue_when_it_is_next(queue):
    dispatch.enqueue_part("abc123", "references", 1, attempt=1, timeout=1800, then=["chunks"])
    dispatch.enqueue_part("abc123", "refine", 0, attempt=1, timeout=600)
    assert dispatch.take_next_part_job("abc123", everything_fits) == ("references", 1)
    assert queue.get_job_ids() == ["vg-abc123-refine-0-1"]
    assert queue.fetch_job("vg-abc123-references-1-1") is None  # gone, not left "queued"
    assert dispatch.take_next_part_job("abc123", lambda phase: phase != "refine") is None
    assert queue.get_job_ids() == ["vg-abc123-refine-0-1"]


def test_only_the_job_a_worker_would_run_next_is_taken(queue):
    # Another generation's job is first in line: taking ours would make it wait longer.
    dispatch.enqueue_phase("def456", "plan", attempt=1, timeout=60)
    dispatch.enqueue_part("abc123", "references", 1, attempt=1, timeout=1800)
    assert dispatch.take_next_part_job("abc123", everything_fits) is None
    # A phase job is not a part job.
    queue.empty()
    dispatch.enqueue_phase("abc123", "export", attempt=1, timeout=180)
    assert dispatch.take_next_part_job("abc123", everything_fits) is None
    assert queue.get_job_ids() == ["vg-abc123-export-1"]
