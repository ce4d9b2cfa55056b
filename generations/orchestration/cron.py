"""Periodic jobs for `manage.py rqcron generations.orchestration.cron` (RQ's cron scheduler)."""

from rq import cron

from generations.orchestration.jobs import reconcile, release_all_batches

cron.register(reconcile, queue_name="default", interval=60, job_timeout=120)
# Batch items a limit put off (the start rate, a slot taken by another path) start here.
cron.register(release_all_batches, queue_name="default", interval=60, job_timeout=120)
