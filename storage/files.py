"""Content-addressed file store under the data directory: what users send, kept durably and privately."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file in the store, named by the SHA-256 of its bytes."""

    sha256: str
    size: int
    path: Path


class FileStore:
    """Writes each distinct content once, fsynced before it is acknowledged."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        """Where the content with this hash lives (two-level fan-out keeps folders small)."""
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def put(self, data: bytes) -> StoredFile:
        """Store bytes durably (off the event loop) and return their address."""
        return await asyncio.to_thread(self.put_sync, data)

    def put_sync(self, data: bytes) -> StoredFile:
        """Blocking variant of `put`, for worker threads and the CLI."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        if target.exists() and target.stat().st_size == len(data):
            return StoredFile(digest, len(data), target)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Write-then-rename so a crash never leaves a truncated file under the final name.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return StoredFile(digest, len(data), target)

    async def read(self, sha256: str) -> bytes:
        """The bytes stored under a hash."""
        return await asyncio.to_thread(self.path_for(sha256).read_bytes)

    def delete(self, sha256: str) -> None:
        """Remove a stored file (for PDPA erasure)."""
        self.path_for(sha256).unlink(missing_ok=True)
