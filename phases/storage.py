"""Artifacts in Django's storage: local files by default, S3 when a bucket is set.

Names follow the seed's prefixes: `<prefix>/<video_id>/<file>`. Names are deterministic so
a re-run of a phase replaces its own output rather than adding copies.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

ANIMATIC_PREFIX = "animatic"
REFERENCES_PREFIX = "references"
CHUNKS_PREFIX = "chunks"
FINAL_PREFIX = "final"
PREFIXES = (ANIMATIC_PREFIX, REFERENCES_PREFIX, CHUNKS_PREFIX, FINAL_PREFIX)


def artifact_name(prefix: str, video_id: str, filename: str) -> str:
    return f"{prefix}/{video_id}/{filename}"


def store_file(local_path: Path, name: str) -> str:
    """Copy a finished local file into storage under `name`; returns the stored name."""
    with local_path.open("rb") as handle:
        return default_storage.save(name, File(handle, name=local_path.name))


def local_copy(name: str, workdir: Path) -> Path:
    """A local path holding the stored file `name`: the file itself on local storage,
    otherwise a download into `workdir`. Raises FileNotFoundError naming the file when it
    is not in storage, so a lost artifact fails the phase instead of being silently replaced."""
    try:
        path = Path(default_storage.path(name))
    except NotImplementedError:
        target = workdir / Path(name).name
        with default_storage.open(name, "rb") as source, target.open("wb") as sink:
            shutil.copyfileobj(source, sink, length=1024 * 1024)
        return target
    if not path.is_file():
        raise FileNotFoundError(f"stored file {name} is missing")
    return path


def upload_file(file_path: str | Path, key: str) -> str:
    """The seed's `upload_file`: store the file at `file_path` under `key`, replacing what
    was there, and return where it went: `s3://<bucket>/<key>` on S3, a `file://` URI on
    local storage."""
    name = store_file(Path(file_path), key)
    bucket = getattr(default_storage, "bucket_name", None)
    if bucket:
        return f"s3://{bucket}/{name}"
    return Path(default_storage.path(name)).resolve().as_uri()


def generate_presigned_url(key: str, expiration: int | None = None) -> str:
    """The seed's `generate_presigned_url`: a URL to download `key`, valid for `expiration`
    seconds (AWS_PRESIGNED_EXPIRY by default) on S3. Local storage URLs do not expire."""
    if getattr(default_storage, "bucket_name", None):
        return default_storage.url(key, expire=expiration or settings.AWS_PRESIGNED_EXPIRY)
    return default_storage.url(key)


def url_for(name: str | None) -> str | None:
    """A URL for a stored name (presigned, and so fresh on each call, on S3)."""
    return default_storage.url(name) if name else None


def delete_generation_files(video_id: str) -> None:
    """Delete every stored file of one generation, under every prefix."""
    for prefix in PREFIXES:
        folder = f"{prefix}/{video_id}"
        try:
            _dirs, files = default_storage.listdir(folder)
        except FileNotFoundError:
            continue
        for filename in files:
            default_storage.delete(f"{folder}/{filename}")
        try:
            Path(default_storage.path(folder)).rmdir()
        except (NotImplementedError, OSError):
            pass
