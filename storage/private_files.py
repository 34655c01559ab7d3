"""Output files only their owner can read, from the first byte: reports, link codes, PDPA exports.

A file opened the usual way is created with the umask's permissions (often world-readable) and
could only be narrowed afterwards, leaving a window in which anyone on the machine may open it.
Here the file is created 0600 (mkstemp) beside its destination, written, and renamed into place,
so a reader never sees wider permissions nor a half-written file, even when the name existed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

PRIVATE_MODE = 0o600


@contextmanager
def private_output(path: Path, mode: str = "w", **open_args: Any) -> Iterator[IO[Any]]:
    """Open a new file for `path` with mode 0600; it replaces `path` when the block ends without error."""
    if "w" not in mode:
        raise ValueError("private_output only writes")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        os.fchmod(fd, PRIVATE_MODE)  # mkstemp already uses 0600; say so rather than rely on it
        with os.fdopen(fd, mode, **open_args) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
