"""Stored files on the local disk under DATA_DIR/files: durable writes, owner-only permissions.

The blocking work is done here; `FileStore` calls it in a worker thread (the `*_sync`
methods are also what the CLI and tests use directly).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

TEMP_PREFIX = ".incoming-"
_HEX = frozenset("0123456789abcdef")
T = TypeVar("T")


def is_digest(name: str) -> bool:
    """Whether `name` is a lowercase sha256 hex digest (the only names the store uses)."""
    return len(name) == 64 and all(c in _HEX for c in name)


class DiskObjects:
    """Objects named by digest in a two-level fan-out under `root` (folders stay small)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        """Where files live, for logs and the CLI."""
        return f"local disk ({self.root})"

    def path_for(self, name: str) -> Path:
        """Where the object with this name lives."""
        return self.root / name[:2] / name[2:4] / name

    # The async face: the same operations off the event loop.

    async def write(self, name: str, data: bytes) -> None:
        """Store `data` under `name` durably (write, fsync, rename)."""
        await _off_loop(self.write_sync, name, data)

    async def read(self, name: str) -> bytes:
        """The object's bytes; FileNotFoundError if it is not there."""
        return await _off_loop(self.path_for(name).read_bytes)

    async def read_head(self, name: str, size: int) -> bytes:
        """The object's first `size` bytes."""
        return await _off_loop(self.read_head_sync, name, size)

    async def size(self, name: str) -> int | None:
        """The object's length in bytes, or None if it is not there."""
        return await _off_loop(self.size_sync, name)

    async def touch(self, name: str) -> None:
        """Make the object young again (the orphan sweep spares recent objects)."""
        await _off_loop(os.utime, self.path_for(name))

    async def delete(self, name: str) -> None:
        """Remove the object if it is there."""
        await _off_loop(self.delete_sync, name)

    async def ages(self, now: float) -> list[tuple[str, float]]:
        """Every object's name and seconds since it was last written."""
        return await _off_loop(lambda: list(self.ages_sync(now)))

    async def age(self, name: str, now: float) -> float | None:
        """Seconds since the object was last written, or None if it is not there."""
        return await _off_loop(self.age_sync, name, now)

    async def version(self, name: str) -> str | None:
        """What changes whenever the object is written or removed (None: not there)."""
        return await _off_loop(self.version_sync, name)

    async def replace(self, name: str, data: bytes, version: str) -> bool:
        """Write `data` over the object if it is still at `version`; False (nothing written) otherwise."""
        return await _off_loop(self.replace_sync, name, data, version)

    async def remove_stale_temp_files(self, older_than: float, now: float) -> int:
        """Delete half-written uploads a crash left behind; returns how many."""
        return await _off_loop(self.remove_stale_temp_sync, older_than, now)

    async def free_bytes(self) -> int | None:
        """Free space on the file system that holds the store."""
        return await _off_loop(self.free_bytes_sync)

    async def close(self) -> None:
        """Nothing held open."""

    # The blocking work.

    def write_sync(self, name: str, data: bytes, *, mtime: float | None = None) -> None:
        """Store `data` under `name` durably; with `mtime`, the file keeps that modification time."""
        target = self.path_for(name)
        tmp = self._temp_copy(target, data, mtime)
        try:
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._sync_folder(target.parent)

    def replace_sync(self, name: str, data: bytes, version: str) -> bool:
        """Blocking `replace`: the new file keeps the old one's age, so key rotation spares the orphan sweep's clock."""
        target = self.path_for(name)
        try:
            mtime = target.stat().st_mtime
        except FileNotFoundError:
            return False
        tmp = self._temp_copy(target, data, mtime)
        # Checked again just before the rename: a file erased meanwhile must not come back.
        # The window left is the rename itself; the hourly orphan sweep removes a file nothing refers to.
        if self.version_sync(name) != version:
            tmp.unlink(missing_ok=True)
            return False
        os.replace(tmp, target)
        self._sync_folder(target.parent)
        return True

    def _temp_copy(self, target: Path, data: bytes, mtime: float | None) -> Path:
        """`data` in an fsynced, owner-only temp file beside `target` (so a crash never leaves half a file under its name)."""
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX)
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            if mtime is not None:
                os.utime(tmp, (time.time(), mtime))
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp

    @staticmethod
    def _sync_folder(folder: Path) -> None:
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def read_head_sync(self, name: str, size: int) -> bytes:
        """Blocking `read_head`."""
        with open(self.path_for(name), "rb") as fh:
            return fh.read(size)

    def size_sync(self, name: str) -> int | None:
        """Blocking `size`."""
        try:
            return self.path_for(name).stat().st_size
        except FileNotFoundError:
            return None

    def delete_sync(self, name: str) -> None:
        """Blocking `delete`."""
        self.path_for(name).unlink(missing_ok=True)

    def ages_sync(self, now: float) -> Iterator[tuple[str, float]]:
        """Blocking `ages`, as a generator; temp files are skipped."""
        if not self.root.is_dir():
            return
        for first in self.root.iterdir():
            for second in first.iterdir() if first.is_dir() else ():
                for entry in second.iterdir() if second.is_dir() else ():
                    if not is_digest(entry.name):
                        continue
                    try:
                        yield entry.name, now - entry.stat().st_mtime
                    except FileNotFoundError:
                        continue  # deleted meanwhile

    def age_sync(self, name: str, now: float) -> float | None:
        """Blocking `age`."""
        try:
            return now - self.path_for(name).stat().st_mtime
        except FileNotFoundError:
            return None

    def version_sync(self, name: str) -> str | None:
        """Blocking `version`: modification time, size and inode (a rename puts a new inode in place)."""
        try:
            stat = self.path_for(name).stat()
        except FileNotFoundError:
            return None
        return f"{stat.st_mtime_ns}:{stat.st_size}:{stat.st_ino}"

    def remove_stale_temp_sync(self, older_than: float, now: float) -> int:
        """Blocking `remove_stale_temp_files`."""
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

    def free_bytes_sync(self) -> int:
        """Blocking `free_bytes`."""
        place = self.root
        while not place.exists() and place != place.parent:
            place = place.parent  # the store is created lazily; its data directory may be too
        return shutil.disk_usage(place).free


async def _off_loop(func: Callable[..., T], *args: object) -> T:
    return await asyncio.to_thread(func, *args)
