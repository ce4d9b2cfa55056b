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
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput

ENV PYTHONUNBUFFERED=1
EXPOSE 8000
CMD ["gunicorn", "videogen.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
