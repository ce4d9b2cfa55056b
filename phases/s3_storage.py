"""The S3 storage class, in a module of its own: django-storages' S3 backend brings boto3
(about 20 MB in every web and worker process), which only a deployment on S3 imports,
through settings.STORAGES."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from storages.backends import s3
from storages.utils import clean_name


class S3Storage(s3.S3Storage):
    """S3 whose presigned links are signed for the address browsers reach
    (`public_endpoint_url`), which may differ from the one the app and workers use
    (`endpoint_url`, e.g. a host name inside a private network)."""

    def get_default_settings(self) -> dict[str, Any]:
        return {**super().get_default_settings(), "public_endpoint_url": None}

    @cached_property
    def _public_client(self) -> Any:
        # A signature covers the host, so the link must be signed for the host it names.
        return self._create_session().client(
            "s3",
            region_name=self.region_name,
            use_ssl=self.use_ssl,
            endpoint_url=self.public_endpoint_url or self.endpoint_url,
            config=self.client_config,
            verify=self.verify,
        )

    def url(
        self,
        name: str,
        parameters: dict[str, Any] | None = None,
        expire: int | None = None,
        http_method: str | None = None,
    ) -> str:
        params = {
            **(parameters or {}),
            "Bucket": self.bucket_name,
            "Key": self._normalize_name(clean_name(name)),
        }
        return self._public_client.generate_presigned_url(
            "get_object",
            Params=params,
            ExpiresIn=self.querystring_expire if expire is None else expire,
            HttpMethod=http_method,
        )
