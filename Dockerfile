FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core \
    espeak-ng fonts-wqy-microhei fonts-noto-ui-core nodejs npm \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
# The pictures the offline providers draw a prompt's subjects with (see THIRD_PARTY_NOTICES.md).
COPY scripts/icons/package.json scripts/icons/package-lock.json var/icons/
RUN npm ci --prefix var/icons --no-audit --no-fund --ignore-scripts
COPY . .
# With the settings production runs with, so WhiteNoise's manifest is written; a build-only
# key, never used at run time.
RUN ENVIRONMENT=production SECRET_KEY=build-only-not-a-secret python manage.py collectstatic --noinput

ENV PYTHONUNBUFFERED=1 HOST=0.0.0.0 PORT=8000
EXPOSE 8000
# Workers, threads and timeout: GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_TIMEOUT (gunicorn.conf.py).
CMD ["gunicorn", "--config", "gunicorn.conf.py", "videogen.wsgi:application"]
