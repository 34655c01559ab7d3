"""Content-addressed file store: what users send, kept durably and privately, on disk or in S3.

Every file is named by the SHA-256 of its plaintext, so the same content is stored once and
the hashes in the database mean the same whatever the backend or key. Where the bytes rest
is a backend (`files_on_disk.DiskObjects` under DATA_DIR/files, or `files_in_s3.S3Objects`
for FILE_STORE_URL=s3://…); with FILE_ENCRYPTION_KEY set, they rest as Fernet tokens
(`file_cipher`) and nothing is written in plaintext.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from storage.file_cipher import TOKEN_START, FileCipher, InvalidToken, is_plain_copy, sealed_size
from storage.files_in_s3 import FileStoreUnavailable, S3Objects, parse_store_url
from storage.files_on_disk import TEMP_PREFIX, DiskObjects, is_digest

OFF_LOOP_BYTES = 256 * 1024  # sealed or opened in a thread from this size on

if TYPE_CHECKING:
    from collections.abc import Iterator

    from config.settings import Settings

logger = logging.getLogger(__name__)

__all__ = [
    "TEMP_PREFIX", "FileStore", "FileStoreUnavailable", "FileUnreadable", "ObjectBackend", "StoredFile", "file_store",
]


class FileUnreadable(OSError):
    """A stored file no configured key opens (FILE_ENCRYPTION_KEY is missing the key it was sealed with)."""


class ObjectBackend(Protocol):
    """Where stored bytes rest: objects named by a sha256 hex digest."""

    def describe(self) -> str: ...
    async def write(self, name: str, data: bytes) -> None: ...
    async def read(self, name: str) -> bytes: ...
    async def read_head(self, name: str, size: int) -> bytes: ...
    async def size(self, name: str) -> int | None: ...
    async def touch(self, name: str) -> None: ...
    async def delete(self, name: str) -> None: ...
    async def ages(self, now: float) -> list[tuple[str, float]]: ...
    async def age(self, name: str, now: float) -> float | None: ...
    async def version(self, name: str) -> str | None: ...
    async def replace(self, name: str, data: bytes, version: str) -> bool: ...
    async def remove_stale_temp_files(self, older_than: float, now: float) -> int: ...
    async def free_bytes(self) -> int | None: ...
    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file in the store, named by the SHA-256 of its bytes."""

    sha256: str
    size: int
    store: FileStore = field(repr=False, compare=False)

    async def head(self, size: int) -> bytes:
        """The first `size` bytes (to tell its type by), read off the event loop."""
        return await self.store.head(self.sha256, size)

    async def read(self) -> bytes:
        """All of its bytes."""
        return await self.store.read(self.sha256)

    @property
    def path(self) -> Path:
        """Where it rests on the local disk (a store in S3 has no path)."""
        return self.store.path_for(self.sha256)


class FileStore:
    """Writes each distinct content once, durably, sealed when a key is set; reads open it again."""

    def __init__(self, where: Path | ObjectBackend, cipher: FileCipher | None = None) -> None:
        self.objects: ObjectBackend = DiskObjects(where) if isinstance(where, Path) else where
        self.cipher = cipher

    @property
    def root(self) -> Path | None:
        """The folder of a store on the local disk (None for an object store)."""
        return self.objects.root if isinstance(self.objects, DiskObjects) else None

    def describe(self) -> str:
        """Where files rest and whether encrypted, for logs and the CLI (no secrets)."""
        sealed = f"encrypted ({self.cipher.key_count} key(s))" if self.cipher else "NOT encrypted"
        return f"{self.objects.describe()}, {sealed}"

    # What the service uses, on either backend.

    async def put(self, data: bytes) -> StoredFile:
        """Store bytes durably (sealed if a key is set) and return their address."""
        digest = hashlib.sha256(data).hexdigest()
        # A copy of the right length is this content already (a crash never leaves half a
        # file under its name): make it young again, since the orphan sweep spares recent files
        # and this content is about to be referenced by a new submission. A plaintext copy
        # from before a key was set has the wrong length and is replaced by a sealed one.
        if await self.objects.size(digest) == self._stored_size(len(data)):
            await self.objects.touch(digest)
        else:
            await self.objects.write(digest, await self._off_loop(self._seal, data))
        return StoredFile(digest, len(data), self)

    async def read(self, sha256: str) -> bytes:
        """The bytes stored under a hash (FileNotFoundError if there are none)."""
        stored = await self.objects.read(_checked(sha256))
        return await self._off_loop(self._open, sha256, stored)

    async def head(self, sha256: str, size: int) -> bytes:
        """The first `size` bytes of a stored file."""
        if self.cipher is None:
            head = await self.objects.read_head(_checked(sha256), max(size, len(TOKEN_START)))
            if not head.startswith(TOKEN_START):
                return head[:size]
        return (await self.read(sha256))[:size]  # a token opens only whole

    async def exists(self, sha256: str) -> bool:
        """Whether the store holds this hash."""
        return await self.objects.size(_checked(sha256)) is not None

    async def delete(self, sha256: str) -> None:
        """Remove a stored file (PDPA erasure, unreadable uploads, orphans)."""
        await self.objects.delete(_checked(sha256))

    async def ages(self, now: float | None = None) -> list[tuple[str, float]]:
        """Every stored hash with its age in seconds (since last written); temp files are skipped."""
        return await self.objects.ages(time.time() if now is None else now)

    async def age(self, sha256: str, now: float | None = None) -> float | None:
        """Seconds since a stored file was last written, or None if it is not there."""
        return await self.objects.age(_checked(sha256), time.time() if now is None else now)

    async def remove_stale_temp_files(self, older_than: float, now: float | None = None) -> int:
        """Delete half-written uploads a crash left behind; returns how many."""
        return await self.objects.remove_stale_temp_files(older_than, time.time() if now is None else now)

    async def free_bytes(self) -> int | None:
        """Free space where files are written, or None where no disk floor applies (an object store)."""
        return await self.objects.free_bytes()

    async def close(self) -> None:
        """Release the backend's connections."""
        await self.objects.close()

    # Sealing.

    def _stored_size(self, plain_size: int) -> int:
        return sealed_size(plain_size) if self.cipher else plain_size

    async def _off_loop(self, work: Any, *args: Any) -> bytes:
        """Run sealing or opening in a thread when a key makes it CPU work on a large file.

        Fernet (AES and HMAC over the whole file, then base64) takes tens of milliseconds on
        a 20 MB upload: too long for the event loop, too short to matter for a small one.
        """
        if self.cipher is None or len(args[-1]) < OFF_LOOP_BYTES:
            return work(*args)
        return await asyncio.to_thread(work, *args)

    def _seal(self, data: bytes) -> bytes:
        return self.cipher.seal(data) if self.cipher else data

    def _open(self, sha256: str, stored: bytes) -> bytes:
        if self.cipher is None:
            # A process started without the key must not take a token for the file: the reader
            # would call it unreadable and the file would be deleted.
            if stored.startswith(TOKEN_START) and not is_plain_copy(stored, sha256):
                raise FileUnreadable("a stored file is encrypted and FILE_ENCRYPTION_KEY is not set")
            return stored
        try:
            return self.cipher.open(stored)
        except InvalidToken:
            # Stored before a key was set: still its own content (the hash proves it) until
            # `rotate-file-key` seals it.
            if is_plain_copy(stored, sha256):
                return stored
            raise FileUnreadable("a stored file opens with none of FILE_ENCRYPTION_KEY's keys") from None

    # The local disk's blocking helpers: the CLI's and tests' direct view of DATA_DIR/files.

    def _disk(self) -> DiskObjects:
        if not isinstance(self.objects, DiskObjects):
            raise TypeError("this file store is not on the local disk")
        return self.objects

    def path_for(self, sha256: str) -> Path:
        """Where the content with this hash lives on disk (two-level fan-out keeps folders small)."""
        return self._disk().path_for(_checked(sha256))

    def put_sync(self, data: bytes) -> StoredFile:
        """Blocking `put` on the local disk, for worker threads and the CLI."""
        disk = self._disk()
        digest = hashlib.sha256(data).hexdigest()
        target = disk.path_for(digest)
        if disk.size_sync(digest) == self._stored_size(len(data)):
            target.touch()
        else:
            disk.write_sync(digest, self._seal(data))
        return StoredFile(digest, len(data), self)

    def stored(self, now: float | None = None) -> Iterator[tuple[str, float]]:
        """Blocking `ages` on the local disk, as a generator."""
        return self._disk().ages_sync(time.time() if now is None else now)

    def age_of(self, sha256: str, now: float | None = None) -> float | None:
        """Blocking `age` on the local disk."""
        return self._disk().age_sync(_checked(sha256), time.time() if now is None else now)


def _checked(sha256: str) -> str:
    if not is_digest(sha256):
        raise ValueError("not a sha256 hex digest")
    return sha256


def file_store(settings: Settings) -> FileStore:
    """The store the settings describe: DATA_DIR/files, or FILE_STORE_URL; sealed with FILE_ENCRYPTION_KEY."""
    cipher = FileCipher.from_setting(settings.file_encryption_key)
    if not settings.file_store_url:
        return FileStore(settings.data_dir / "files", cipher)
    bucket, prefix = parse_store_url(settings.file_store_url)
    objects = S3Objects(
        bucket, prefix,
        endpoint_url=settings.s3_endpoint_url, region=settings.s3_region,
        access_key_id=settings.s3_access_key_id, secret_access_key=settings.s3_secret_access_key,
    )
    return FileStore(objects, cipher)
