"""Content-addressed file store under the data directory: what users send, kept durably and privately."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TEMP_PREFIX = ".incoming-"
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file in the store, named by the SHA-256 of its bytes."""

    sha256: str
    size: int
    path: Path

    async def head(self, size: int) -> bytes:
        """The first `size` bytes (to tell its type by), read off the event loop."""
        return await asyncio.to_thread(_read_head, self.path, size)


class FileStore:
    """Writes each distinct content once, fsynced before it is acknowledged."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        """Where the content with this hash lives (two-level fan-out keeps folders small)."""
        if not _is_digest(sha256):
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
            # Make it young again: the orphan sweep spares recent files, and this
            # content is about to be referenced by a new submission.
            os.utime(target)
            return StoredFile(digest, len(data), target)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Write-then-rename so a crash never leaves a truncated file under the final name.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX)
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

    def stored(self, now: float | None = None) -> Iterator[tuple[str, float]]:
        """Every stored hash with its age in seconds (since last written); temp files are skipped."""
        now = time.time() if now is None else now
        if not self.root.is_dir():
            return
        for first in self.root.iterdir():
            for second in first.iterdir() if first.is_dir() else ():
                for entry in second.iterdir() if second.is_dir() else ():
                    if not _is_digest(entry.name):
                        continue
                    try:
                        yield entry.name, now - entry.stat().st_mtime
                    except FileNotFoundError:
                        continue  # deleted meanwhile

    def age_of(self, sha256: str, now: float | None = None) -> float | None:
        """Seconds since a stored file was last written, or None if it is not there."""
        now = time.time() if now is None else now
        try:
            return now - self.path_for(sha256).stat().st_mtime
        except FileNotFoundError:
            return None

    def remove_stale_temp_files(self, older_than: float, now: float | None = None) -> int:
        """Delete half-written uploads a crash left behind; returns how many."""
        now = time.time() if now is None else now
        removed = 0
        if not self.root.is_dir():
            return 0
        for temp in self.root.glob(f"*/*/{TEMP_PREFIX}*"):
            try:
                if now - temp.stat().st_mtime > older_than:
                    temp.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def free_bytes(self) -> int:
        """Free space on the file system that holds the store."""
        place = self.root
        while not place.exists() and place != place.parent:
            place = place.parent  # the store is created lazily; its data directory may be too
        return shutil.disk_usage(place).free


def _is_digest(name: str) -> bool:
    return len(name) == 64 and all(c in _HEX for c in name)


def _read_head(path: Path, size: int) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(size)
