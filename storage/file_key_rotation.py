"""`python -m bot rotate-file-key`: every stored file re-encrypted under FILE_ENCRYPTION_KEY's first key.

Run it after putting a new key first (`NEW,OLD`) on every process: the running service keeps
reading throughout, since it holds both keys and each file is replaced atomically (a temp
file fsynced and renamed on disk, one PUT in S3), one file at a time. Files stored before any
key was set are sealed too. When it reports nothing left under the old key, drop that key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from storage.file_cipher import FileCipher, InvalidToken, is_plain_copy
from storage.files import FileStore

logger = logging.getLogger(__name__)

# A file written (or touched by a new upload of the same content) while it was being
# re-encrypted is simply read again.
ATTEMPTS = 3


@dataclass
class RotationReport:
    """What one rotation did."""

    rotated: int = 0  # sealed under an older key, now under the first
    sealed: int = 0  # stored in plaintext before a key was set, now sealed
    current: int = 0  # already under the first key
    unreadable: list[str] = field(default_factory=list)  # no key opens them: hashes, for the operator
    changing: list[str] = field(default_factory=list)  # rewritten under us each time: run again


async def rotate_file_key(store: FileStore) -> RotationReport:
    """Re-encrypt every stored file under the first key, one at a time."""
    cipher = store.cipher
    if cipher is None:
        raise ValueError("FILE_ENCRYPTION_KEY is not set: there is no key to encrypt under")
    report = RotationReport()
    for name, _ in await store.ages():
        await _rotate_one(store, cipher, name, report)
    logger.info(
        "file key rotation: %d re-encrypted, %d plaintext files sealed, %d already current, %d unreadable",
        report.rotated, report.sealed, report.current, len(report.unreadable),
    )
    return report


async def _rotate_one(store: FileStore, cipher: FileCipher, name: str, report: RotationReport) -> None:
    objects = store.objects
    for _ in range(ATTEMPTS):
        version = await objects.version(name)
        if version is None:
            return  # deleted meanwhile (erasure, the orphan sweep): nothing to keep
        try:
            stored = await objects.read(name)
        except FileNotFoundError:
            return
        if cipher.is_current(stored):
            report.current += 1
            return
        try:
            sealed, counter = cipher.reseal(stored), "rotated"
        except InvalidToken:
            if not is_plain_copy(stored, name):
                report.unreadable.append(name)
                return
            sealed, counter = cipher.seal(stored), "sealed"
        if await objects.replace(name, sealed, version):
            setattr(report, counter, getattr(report, counter) + 1)
            return
    report.changing.append(name)
