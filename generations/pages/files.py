"""Stored files, for the people allowed to see them: the generation's owner, or staff with
the permission to view generations. Anyone else gets the 404 of a file that does not exist.

Every page, API body and webhook names the same link (`phases.storage.url_for`), so this view
is the one place that decides. Local files are streamed from here with byte ranges; on S3
the answer is a redirect to a presigned URL made now, valid AWS_PRESIGNED_EXPIRY seconds."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import IO

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_safe
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from generations import selectors
from phases.storage import generate_presigned_url, on_s3
from toolbox.byte_ranges import UnsatisfiableRange, requested_range

CHUNK_BYTES = 256 * 1024


@require_safe
def stored_file(request: HttpRequest, name: str) -> HttpResponseBase:
    """`?download=<file name>` asks for an attachment of that name (the download button)."""
    if selectors.generation_for_file(user=_requester(request), name=name) is None:
        raise Http404("No such file.")
    download_as = _attachment_name(request.GET["download"], name) if "download" in request.GET else ""
    response: HttpResponseBase
    if on_s3():
        response = HttpResponseRedirect(generate_presigned_url(name, download_as=download_as))
        # The link inside expires: a cached redirect would outlive it.
        patch_cache_control(response, private=True, no_store=True)
    else:
        response = _local_file(request, name, download_as)
        patch_cache_control(response, private=True)
    patch_vary_headers(response, ["Cookie", "Authorization"])
    return response


def _attachment_name(wanted: str, name: str) -> str:
    """A plain file name for Content-Disposition: no folders, no quotes; the stored file's
    own name when the one asked for has nothing left."""
    try:
        return get_valid_filename(PurePosixPath(wanted).name)
    except SuspiciousFileOperation:
        return PurePosixPath(name).name


def _requester(request: HttpRequest) -> AbstractBaseUser | AnonymousUser:
    """The page's session user, or the API token's owner: API bodies and webhooks hand out
    the same links, fetched with the token."""
    if request.user.is_authenticated:
        return request.user
    try:
        found = TokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        found = None
    return found[0] if found else AnonymousUser()


def _local_file(request: HttpRequest, name: str, download_as: str) -> HttpResponseBase:
    try:
        # Closed by the response once sent (or by the generator below).
        handle = open(default_storage.path(name), "rb")
    except (FileNotFoundError, IsADirectoryError):
        raise Http404("No such file.") from None
    size = os.fstat(handle.fileno()).st_size
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    try:
        wanted = requested_range(request.headers.get("Range"), size)
    except UnsatisfiableRange:
        handle.close()
        response: HttpResponseBase = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    else:
        if wanted is None:
            response = FileResponse(handle, content_type=content_type)
        else:
            first, last = wanted
            response = StreamingHttpResponse(
                _read(handle, first, last - first + 1), status=206, content_type=content_type
            )
            response["Content-Range"] = f"bytes {first}-{last}/{size}"
            response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    if download_as:
        response["Content-Disposition"] = content_disposition_header(True, download_as)
    return response


def _read(handle: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    # A generator, not the file itself: the WSGI server would send the file to its end.
    with handle:
        handle.seek(start)
        while length > 0:
            block = handle.read(min(CHUNK_BYTES, length))
            if not block:
                return
            length -= len(block)
            yield block
