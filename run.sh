#!/usr/bin/env bash
# Set everything up and run videogen: web server + one RQ worker, until Ctrl-C.
source "$(dirname "$0")/scripts/setup.sh" app

python manage.py migrate --noinput
python manage.py ensure_admin

PORT=${PORT:-8000}
# Development settings (DEBUG on) are for this machine only: listen on loopback unless told.
HOST=${HOST:-127.0.0.1}
# Work lost while the app was down (a killed worker, a restarted Redis) is put back first;
# RQ's cron scheduler then runs the same reconcile every minute.
python manage.py reconcile
# Under nice 19: rendering takes every core it is given, and the web must answer first
# (at nice 10 x264 still delayed /status polls past 25 ms at their 99th percentile).
nice -n 19 python manage.py rqworker --with-scheduler &
worker=$!
# Webhook deliveries have their own queue and worker, so a slow receiver never holds the pipeline.
python manage.py rqworker --with-scheduler "${WEBHOOK_QUEUE:-videogen-webhooks}" &
webhooks=$!
python manage.py rqcron generations.orchestration.cron &
cron=$!
trap 'kill $worker $webhooks $cron 2>/dev/null; wait $worker $webhooks $cron 2>/dev/null' EXIT INT TERM

cat <<MSG

  videogen is starting on http://$HOST:$PORT/  (admin: http://$HOST:$PORT/admin/)
  Make a first video from another terminal:
    .venv/bin/python manage.py generate "A calm ocean at night under the stars, waves rolling in"

MSG
python manage.py runserver "$HOST:$PORT"
