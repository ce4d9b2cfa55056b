"""Putting pipeline work on the RQ queue.

Job functions are referenced by dotted path (`generations.orchestration.jobs.*`) and take ids only. Job ids
are deterministic so a job enqueued twice for the same work is one job in Redis. With
django-rq's `on_db_commit` mode, an enqueue inside a transaction happens only once the
transaction commits, so a worker never sees a row that is not there yet.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar

import django_rq
from django.conf import settings
from django_rq.connection_utils import get_redis_connection
from redis import Redis
from rq import Callback, Retry, get_current_job
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation
from rq.job import Job, JobStatus
from rq.registry import DeferredJobRegistry, ScheduledJobRegistry, StartedJobRegistry

logger = logging.getLogger(__name__)

# Jobs that only look up and start work (batch releases); refreshes and re-voicing add their renders.
SHORT_JOB_TIMEOUT = 60
# Longer than any job may run, so a key left by a killed job expires by itself.
REMOTE_WORK_TTL = 24 * 3600
# A stopped job's horse is killed before its `finally` blocks run; this removes its scratch files.
CLEAN_WORKDIRS = Callback("generations.orchestration.jobs.clean_workdirs")
RUN_PART = "generations.orchestration.jobs.run_part"
# The job a thread works for when the job started that thread: RQ knows only its own.
_job_of_thread: ContextVar[Job | None] = ContextVar("job_of_thread", default=None)
R = TypeVar("R")


def get_queue(name: str | None = None) -> Any:
    """The pipeline's queue (django-rq's `default`, served by a bare `rqworker`), or `name`."""
    name = name or "default"
    return django_rq.get_queue(name, connection=_redis(settings.RQ_QUEUES[name]["URL"]))


@functools.cache
def _redis(url: str) -> Redis:
    """One client, and so one connection pool, per Redis URL and process. django-rq makes a
    new client on every call, and each a new connection: a TCP handshake and a few commands
    before the first real one. redis-py's pool starts afresh in a forked work horse."""
    return get_redis_connection({"URL": url})


def _enqueue(
    func: str,
    *args: Any,
    job_id: str,
    timeout: int,
    description: str,
    retry: Retry | None = None,
    on_stopped: Callback | None = None,
    queue: str | None = None,
) -> None:
    get_queue(queue).enqueue_call(
        func,
        args=args,
        job_id=job_id,
        timeout=timeout,
        description=description,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
        retry=retry,
        on_stopped=on_stopped,
    )


def enqueue_storyboard_refresh(video_id: str) -> None:
    _enqueue(
        "generations.orchestration.jobs.refresh_storyboard",
        video_id,
        job_id=f"{_job_prefix(video_id)}storyboard-{uuid.uuid4().hex[:8]}",
        timeout=SHORT_JOB_TIMEOUT + 240,
        description=f"storyboard refresh {video_id}",
        on_stopped=CLEAN_WORKDIRS,
    )


def enqueue_phase(video_id: str, phase: str, *, attempt: int, timeout: int) -> None:
    _enqueue(
        "generations.orchestration.jobs.run_phase",
        video_id,
        phase,
        job_id=f"{_job_prefix(video_id)}{phase}-{attempt}",
        timeout=timeout,
        description=f"{phase} {video_id}",
        on_stopped=CLEAN_WORKDIRS,
    )


def enqueue_part(
    video_id: str, phase: str, index: int, *, attempt: int, timeout: int, then: Sequence[str] = ()
) -> None:
    """Enqueue one part's job, unless this attempt's job already waits in the queue (a part
    started early is enqueued again by its phase's turn). `then` names the phases whose
    same-index part the job may go on to render, for the job's description."""
    job_id = f"{_job_prefix(video_id)}{phase}-{index}-{attempt}"
    if _is_waiting(job_id):
        return
    _enqueue(
        RUN_PART,
        video_id,
        phase,
        index,
        job_id=job_id,
        timeout=timeout,
        description=" then ".join(f"{name}[{index}]" for name in (phase, *then)) + f" {video_id}",
        on_stopped=CLEAN_WORKDIRS,
    )


def _is_waiting(job_id: str) -> bool:
    job = get_queue().fetch_job(job_id)
    if job is None:
        return False
    status = job.get_status(refresh=False)
    return status in (JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED) or (
        status == JobStatus.QUEUED and job.get_position() is not None
    )


def take_next_part_job(video_id: str, fits: Callable[[str], bool]) -> tuple[str, int] | None:
    """Take the job at the head of the queue off it when it is a part job of this generation
    whose phase `fits`, and return its (phase, index) for the caller to do its work instead.

    Only the head: the one job a free worker would run next anyway, so no other generation's
    job waits longer. LREM is atomic, so of this call and a worker dequeuing the job at the
    same moment exactly one gets it."""
    queue = get_queue()
    head = queue.get_job_ids(0, 1)
    if not head or not head[0].startswith(_job_prefix(video_id)):
        return None
    job = queue.fetch_job(head[0])
    if job is None or job.func_name != RUN_PART or not fits(job.args[1]):
        return None
    if not queue.remove(job.id):
        return None
    job.delete(remove_from_queue=False)
    logger.info("job %s taken over by job %s", job.id, getattr(current_job(), "id", None))
    return job.args[1], job.args[2]


def current_job() -> Job | None:
    """The RQ job this code runs in, from its own thread or one it started (`in_job`)."""
    return get_current_job() or _job_of_thread.get()


def in_job(job: Job | None, work: Callable[..., R]) -> Callable[..., R]:
    """`work` to run in another thread as part of `job`: what asks for the job's time
    left there (`seconds_left_in_job`) gets the job's."""

    def run(*args: Any, **kwargs: Any) -> R:
        _job_of_thread.set(job)  # a new thread starts with a context of its own
        return work(*args, **kwargs)

    return run


def seconds_left_in_job() -> float | None:
    """How long the RQ job running this code may still run before its timeout kills it;
    None outside a job (a web request, a management command)."""
    job = current_job()
    if job is None or job.started_at is None or not job.timeout or job.timeout < 0:
        return None
    started = job.started_at if job.started_at.tzinfo else job.started_at.replace(tzinfo=UTC)
    return job.timeout - (datetime.now(UTC) - started).total_seconds()


def enqueue_webhook(video_id: str, event: str, cycle: int) -> None:
    """Enqueue the POST announcing that the generation reached the final status `event`
    in its attempt `cycle`; a failed delivery is retried with the configured backoff.

    On a queue of its own, so a slow or dead receiver holds only webhook workers, never a
    pipeline worker; and out of `cancel_jobs`' reach, which leaves the "canceled"
    notification alone."""
    intervals = settings.WEBHOOK_RETRY_INTERVALS
    _enqueue(
        "generations.orchestration.webhooks.deliver",
        video_id,
        event,
        cycle,
        job_id=f"webhook-{video_id}-{cycle}-{event}",
        timeout=settings.WEBHOOK_TIMEOUT + 30,
        description=f"webhook {event} {video_id}",
        retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
        queue=settings.WEBHOOK_QUEUE,
    )


def enqueue_revoice(video_id: str) -> None:
    _enqueue(
        "generations.orchestration.jobs.revoice",
        video_id,
        job_id=f"{_job_prefix(video_id)}revoice-{uuid.uuid4().hex[:8]}",
        timeout=SHORT_JOB_TIMEOUT + 240,
        description=f"re-voice {video_id}",
        on_stopped=CLEAN_WORKDIRS,
    )


def enqueue_batch_release(user_id: int) -> None:
    """Enqueue the job that starts the user's waiting batch items that now have a slot. One
    job id per user: releases asked for while one waits are that one."""
    _enqueue(
        "generations.orchestration.jobs.release_batches",
        user_id,
        job_id=f"batch-release-{user_id}",
        timeout=SHORT_JOB_TIMEOUT,
        description=f"release batch items of user {user_id}",
    )


def cancel_jobs(video_id: str) -> None:
    """Drop the generation's jobs still waiting in the queue and stop the ones running:
    RQ's stop-job command kills the work horse, whose `on_stopped` callback then removes
    its scratch files."""
    queue = get_queue()
    prefix = _job_prefix(video_id)
    for job_id in queue.get_job_ids():
        if job_id.startswith(prefix):
            job = queue.fetch_job(job_id)
            if job is not None:
                job.cancel()
    for job_id in StartedJobRegistry(queue=queue).get_job_ids():
        if job_id.startswith(prefix):
            try:
                send_stop_job_command(queue.connection, job_id)
            except InvalidJobOperation:
                pass  # it finished between the listing and the command
    # A killed job cannot cancel the predictions it was waiting for: do it from here.
    cancel_remote_work(video_id)


def track_remote_work(video_id: str, provider: str, work_id: str, running: bool) -> None:
    """Remember (or forget) paid remote work in flight for a generation, in Redis where the
    web process can find it when the user cancels."""
    key, member = _remote_key(video_id), f"{provider}:{work_id}"
    connection = get_queue().connection
    if running:
        connection.sadd(key, member)
        connection.expire(key, REMOTE_WORK_TTL)
    else:
        connection.srem(key, member)


def cancel_remote_work(video_id: str) -> None:
    """Cancel, on the provider's side, every piece of remote work still in flight."""
    from providers.registry import cancel_remote_work as cancel_at_provider

    connection = get_queue().connection
    for member in connection.smembers(_remote_key(video_id)):
        provider, _, work_id = member.decode().partition(":")
        cancel_at_provider(provider, work_id)
    connection.delete(_remote_key(video_id))


def _remote_key(video_id: str) -> str:
    return f"videogen:remote-work:{video_id}"


def waiting_video_ids() -> set[str]:
    """Ids of generations that have a job waiting in Redis (queued, scheduled for a retry,
    or deferred): work that a worker will pick up without help."""
    queue = get_queue()
    job_ids = [
        *queue.get_job_ids(),
        *ScheduledJobRegistry(queue=queue).get_job_ids(),
        *DeferredJobRegistry(queue=queue).get_job_ids(),
    ]
    return {job_id.split("-")[1] for job_id in job_ids if job_id.startswith("vg-")}


def _job_prefix(video_id: str) -> str:
    return f"vg-{video_id}-"
