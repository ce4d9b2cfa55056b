"""S3 for tests: moto's server mode on 127.0.0.1, spoken to by the real boto3 and
django-storages over HTTP, with the storage settings built by the real settings module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from tests.conftest import PROJECT_DIR

S3_ACCESS_KEY = "fake-access-key"
S3_SECRET_KEY = "fake-secret-key"
S3_REGION = "us-east-2"


@dataclass(frozen=True)
class FakeS3:
    endpoint: str
    bucket: str

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=S3_REGION,
            aws_access_key_id=S3_ACCESS_KEY,
            aws_secret_access_key=S3_SECRET_KEY,
        )

    def keys(self, prefix: str = "") -> list[str]:
        listing = self.client().list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    @property
    def internal_endpoint(self) -> str:
        """The same server under another host name: where the app reaches the store, while
        browsers use `endpoint` (as with MinIO inside and outside docker compose)."""
        return self.endpoint.replace("127.0.0.1", "localhost")

    def storages(self, expiry: int = 3600, *, public_endpoint: str = "") -> dict[str, Any]:
        """STORAGES as videogen.settings builds them when S3_BUCKET is set, read from the real
        settings module in a fresh interpreter (settings read the environment at import).
        With `public_endpoint`, the app speaks to `internal_endpoint` and signs links for
        `public_endpoint`."""
        env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "S3_"))}
        env.update(
            S3_BUCKET=self.bucket,
            AWS_ACCESS_KEY_ID=S3_ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=S3_SECRET_KEY,
            AWS_REGION=S3_REGION,
            AWS_S3_ENDPOINT_URL=self.internal_endpoint if public_endpoint else self.endpoint,
            AWS_S3_PUBLIC_ENDPOINT_URL=public_endpoint,
            AWS_PRESIGNED_EXPIRY=str(expiry),
        )
        script = "import json; from videogen import settings; print(json.dumps(settings.STORAGES))"
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return json.loads(result.stdout)


@contextmanager
def running_s3(bucket: str) -> Iterator[FakeS3]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    s3 = FakeS3(endpoint=f"http://{host}:{port}", bucket=bucket)
    s3.client().create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": S3_REGION})
    try:
        yield s3
    finally:
        server.stop()
