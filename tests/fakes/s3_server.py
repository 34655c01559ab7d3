"""A local S3-compatible server for the object-store tests: moto's server mode on a free port.

    server = LocalS3(); server.start(); bucket = server.new_bucket(); ...; server.stop()

The service reaches it through its real client (aiobotocore) at `server.url`, as it would
reach MinIO; tests look into a bucket with `objects(bucket)` (botocore, blocking).
"""

from __future__ import annotations

import uuid
from typing import Any

import botocore.session
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"


class LocalS3:
    """moto's S3 in a thread of this process, on 127.0.0.1."""

    def __init__(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.url = ""
        self._client: Any = None

    def start(self) -> None:
        """Serve; `url` is where."""
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        self._client = botocore.session.get_session().create_client(
            "s3", endpoint_url=self.url, region_name=REGION,
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        )

    def stop(self) -> None:
        """Stop serving."""
        if self._client is not None:
            self._client.close()
        self._server.stop()

    def new_bucket(self) -> str:
        """A new empty bucket (one per test, so tests never see each other's files)."""
        name = f"bot-files-{uuid.uuid4().hex[:12]}"
        self._client.create_bucket(Bucket=name)
        return name

    def settings(self, bucket: str, prefix: str = "files") -> dict[str, str]:
        """The settings that point the service at `bucket`."""
        return {
            "file_store_url": f"s3://{bucket}/{prefix}",
            "s3_endpoint_url": self.url,
            "s3_region": REGION,
            "s3_access_key_id": ACCESS_KEY,
            "s3_secret_access_key": SECRET_KEY,
        }

    def objects(self, bucket: str) -> dict[str, bytes]:
        """Every object in the bucket: key -> bytes as stored."""
        found: dict[str, bytes] = {}
        for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                found[item["Key"]] = self._client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        return found
