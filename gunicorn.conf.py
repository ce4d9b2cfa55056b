"""gunicorn's settings, from the environment (the image's command reads this file).

Threaded workers: a long video download or a slow client holds one thread, not a whole
worker process, so a few downloads cannot stall every page."""

import os

bind = [f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"]
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Seconds a worker may stay silent before it is restarted; a thread streaming a file keeps
# its worker's heartbeat going, so this bounds a stuck request, not a download.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
accesslog = "-"
