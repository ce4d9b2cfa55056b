"""The pipeline's worker loads what the jobs run before it forks a work horse per job."""

from __future__ import annotations

import pytest
from django_rq.workers import get_worker_class

from generations.orchestration.worker import Worker


def test_rqworker_runs_the_pipelines_worker():
    assert get_worker_class() is Worker


@pytest.mark.django_db(transaction=True)
def test_a_work_horse_starts_with_the_job_code_loaded(queue, run_burst_worker):
    job = queue.enqueue("tests.generations.orchestration.horse_probe.loaded")
    run_burst_worker()
    assert job.return_value() == {
        "job functions": True,
        "video provider": True,
        "icon library": True,
        "frozen": True,
        "S3 backend": False,  # storage is local here
    }
