"""Artifacts in Django's storage: local files by default, S3 when a bucket is set.

Names follow the seed's prefixes: `<prefix>/<video_id>/<file>`. Names are deterministic so
a re-run of a phase replaces its own output rather than adding copies.

Users never get a storage URL directly: `url_for` names the app's own link, whose view checks
who asks before it streams the file (local) or redirects to a presigned URL (S3).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils.http import content_disposition_header

ANIMATIC_PREFIX = "animatic"
REFERENCES_PREFIX = "references"
CHUNKS_PREFIX = "chunks"
FINAL_PREFIX = "final"
PREFIXES = (ANIMATIC_PREFIX, REFERENCES_PREFIX, CHUNKS_PREFIX, FINAL_PREFIX)


def artifact_name(prefix: str, video_id: str, filename: str) -> str:
    return f"{prefix}/{video_id}/{filename}"


def video_id_of(name: str) -> str | None:
    """The generation a stored name belongs to, or None for anything that is not exactly
    `<prefix>/<video_id>/<file>` (a path that climbs out, another folder, a bare prefix)."""
    parts = name.split("/")
    if len(parts) != 3 or parts[0] not in PREFIXES or not all(parts) or {"..", "."} & set(parts):
        return None
    return parts[1]


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
    if on_s3():
        return f"s3://{default_storage.bucket_name}/{name}"
    return Path(default_storage.path(name)).resolve().as_uri()


def on_s3() -> bool:
    return bool(getattr(default_storage, "bucket_name", None))


def generate_presigned_url(key: str, expiration: int | None = None, *, download_as: str = "") -> str:
    """The seed's `generate_presigned_url`: on S3 a URL anyone holding it may download `key`
    from, for `expiration` seconds (AWS_PRESIGNED_EXPIRY by default), as an attachment named
    `download_as` when given. On local storage, the app's own link (`url_for`)."""
    if not on_s3():
        return url_for(key) or ""
    parameters = (
        {"ResponseContentDisposition": content_disposition_header(True, download_as)} if download_as else {}
    )
    return default_storage.url(key, parameters=parameters, expire=expiration or settings.AWS_PRESIGNED_EXPIRY)


def url_for(name: str | None) -> str | None:
    """The app's link to a stored file: the same for everyone, answered only for the
    generation's owner (or staff allowed to see it) by the view at MEDIA_URL."""
    return f"{settings.MEDIA_URL}{quote(name)}" if name else None


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
