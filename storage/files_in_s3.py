"""Stored files in an S3-compatible object store (AWS S3, MinIO, Ceph RGW…), shared by every machine.

FILE_STORE_URL=s3://bucket/prefix names the place; S3_ENDPOINT_URL, S3_REGION,
S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY say how to reach it. Credentials left unset
come from botocore's usual chain (AWS_ACCESS_KEY_ID…, ~/.aws, an instance role).

Objects use the same names as on disk (`prefix/ab/cd/<sha256>`), so a local store can be
copied in with `aws s3 sync DATA_DIR/files s3://bucket/prefix --exclude '*/.incoming-*'`.
The client is aiobotocore's: async, on the aiohttp the service already runs.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import urlsplit

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

CONNECT_TIMEOUT_SECONDS = 10
# A 20 MB upload over a slow office link still finishes.
READ_TIMEOUT_SECONDS = 120
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


class FileStoreUnavailable(OSError):
    """The object store could not be reached or refused a request (an OSError, as a full disk would be)."""


def parse_store_url(url: str) -> tuple[str, str]:
    """"s3://bucket/some/prefix" -> ("bucket", "some/prefix"); anything else raises ValueError."""
    parts = urlsplit(url.strip())
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"FILE_STORE_URL must look like s3://bucket/prefix (got {url!r})")
    return parts.netloc, parts.path.strip("/")


class S3Objects:
    """Objects named by digest under `prefix` in one bucket."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client_args: dict[str, Any] = {
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "aws_access_key_id": access_key_id or None,
            "aws_secret_access_key": secret_access_key or None,
            "config": AioConfig(
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                read_timeout=READ_TIMEOUT_SECONDS,
                retries={"mode": "standard", "max_attempts": 3},
                # MinIO and most self-hosted stores answer on one host name, bucket in the path.
                s3={"addressing_style": "path" if endpoint_url else "auto"},
            ),
        }
        self._stack: AsyncExitStack | None = None
        self._client: Any = None
        self._opening = asyncio.Lock()

    def describe(self) -> str:
        """Where files live, for logs and the CLI (no credentials)."""
        return f"S3 bucket {self.bucket}" + (f", prefix {self.prefix}" if self.prefix else "")

    def key_for(self, name: str) -> str:
        """The object key of a stored file."""
        path = f"{name[:2]}/{name[2:4]}/{name}"
        return f"{self.prefix}/{path}" if self.prefix else path

    async def _s3(self) -> Any:
        """The client, opened on first use (on the event loop that uses it)."""
        if self._client is None:
            async with self._opening:
                if self._client is None:
                    stack = AsyncExitStack()
                    self._client = await stack.enter_async_context(
                        get_session().create_client("s3", **self._client_args)
                    )
                    self._stack = stack
        return self._client

    async def close(self) -> None:
        """Close the client's connections."""
        if self._stack is not None:
            stack, self._stack, self._client = self._stack, None, None
            await stack.aclose()

    async def _call(self, operation: str, **params: Any) -> Any:
        client = await self._s3()
        try:
            return await getattr(client, operation)(Bucket=self.bucket, **params)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _MISSING:
                raise FileNotFoundError(params.get("Key", "")) from None
            raise FileStoreUnavailable(f"object store: {operation} answered {code}") from exc
        except BotoCoreError as exc:
            raise FileStoreUnavailable(f"object store: {operation} failed: {type(exc).__name__}") from exc

    async def write(self, name: str, data: bytes) -> None:
        """Store `data` under `name` (an object appears whole or not at all)."""
        await self._call("put_object", Key=self.key_for(name), Body=data)

    async def read(self, name: str) -> bytes:
        """The object's bytes; FileNotFoundError if it is not there."""
        response = await self._call("get_object", Key=self.key_for(name))
        async with response["Body"] as body:
            return await body.read()

    async def read_head(self, name: str, size: int) -> bytes:
        """The object's first `size` bytes (one ranged GET)."""
        if size <= 0:
            return b""
        try:
            response = await self._call("get_object", Key=self.key_for(name), Range=f"bytes=0-{size - 1}")
        except FileStoreUnavailable:
            if await self.size(name) == 0:
                return b""  # a range of an empty object is "not satisfiable"
            raise
        async with response["Body"] as body:
            return await body.read()

    async def _head(self, name: str) -> dict[str, Any] | None:
        try:
            return await self._call("head_object", Key=self.key_for(name))
        except FileNotFoundError:
            return None

    async def size(self, name: str) -> int | None:
        """The object's length in bytes, or None if it is not there."""
        head = await self._head(name)
        return None if head is None else int(head["ContentLength"])

    async def touch(self, name: str) -> None:
        """Make the object young again: S3 has no utime, but a copy onto itself renews LastModified."""
        key = self.key_for(name)
        await self._call(
            "copy_object", Key=key, CopySource={"Bucket": self.bucket, "Key": key},
            MetadataDirective="REPLACE", Metadata={"touched": str(int(time.time()))},
        )

    async def delete(self, name: str) -> None:
        """Remove the object if it is there."""
        await self._call("delete_object", Key=self.key_for(name))

    async def ages(self, now: float) -> list[tuple[str, float]]:
        """Every object's name and seconds since it was last written."""
        client = await self._s3()
        found: list[tuple[str, float]] = []
        try:
            pages = client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else ""
            )
            async for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"].rsplit("/", 1)[-1]
                    if item["Key"] == self.key_for(name):  # only objects this store named
                        found.append((name, now - item["LastModified"].timestamp()))
        except (ClientError, BotoCoreError) as exc:
            raise FileStoreUnavailable(f"object store: listing failed: {type(exc).__name__}") from exc
        return found

    async def age(self, name: str, now: float) -> float | None:
        """Seconds since the object was last written, or None if it is not there."""
        head = await self._head(name)
        return None if head is None else now - head["LastModified"].timestamp()

    async def version(self, name: str) -> str | None:
        """The object's ETag (None: not there)."""
        head = await self._head(name)
        return None if head is None else str(head["ETag"])

    async def replace(self, name: str, data: bytes, version: str) -> bool:
        """Write `data` over the object if it is still at `version`; False (nothing written) otherwise.

        The PUT carries If-Match, so a store that knows conditional writes (AWS, MinIO) refuses it
        when the object changed or was deleted meanwhile; the HEAD before it covers stores that do not.
        """
        if await self.version(name) != version:
            return False
        try:
            await self._call("put_object", Key=self.key_for(name), Body=data, IfMatch=version)
        except FileNotFoundError:
            return False
        except FileStoreUnavailable as exc:
            if "PreconditionFailed" in str(exc) or "ConditionalRequestConflict" in str(exc):
                return False
            raise
        return True

    async def remove_stale_temp_files(self, older_than: float, now: float) -> int:
        """None to remove: a PUT leaves no half-written object behind."""
        return 0

    async def free_bytes(self) -> int | None:
        """None: an object store has no disk floor of ours to keep."""
        return None
