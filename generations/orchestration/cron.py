"""Periodic jobs for `manage.py rqcron generations.orchestration.cron` (RQ's cron scheduler)."""

from django.conf import settings
from rq import cron

from generations.orchestration.jobs import reconcile

cron.register(reconcile, queue_name=settings.RQ_QUEUE, interval=60, job_timeout=120)
