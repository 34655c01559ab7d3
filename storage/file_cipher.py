"""Encryption at rest for the file store: Fernet tokens, the first of FILE_ENCRYPTION_KEY's keys sealing.

FILE_ENCRYPTION_KEY is one Fernet key, or several separated by commas: the first
encrypts, every one decrypts (cryptography's MultiFernet), so a key can be rotated
while the service runs: put the new key first, restart, run `python -m bot rotate-file-key`,
then drop the old key.

Fernet seals a whole message in memory, not a stream. Stored files are bounded by
MAX_UPLOAD_BYTES (20 MB by default; notice attachments and rosters by the same or smaller
limits), so a file and its token fit in memory comfortably.
"""

from __future__ import annotations

import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# Every token starts with version byte 0x80 and a timestamp's zero high bytes, which base64url renders so.
TOKEN_START = b"gAAAAA"
# Version (1) + timestamp (8) + IV (16) + HMAC (32) around the padded ciphertext.
_TOKEN_OVERHEAD = 57
_BLOCK = 16


class FileKeyError(ValueError):
    """FILE_ENCRYPTION_KEY is not a comma-separated list of Fernet keys."""


class FileCipher:
    """Seals stored files with the first key and opens them with any key."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise FileKeyError("FILE_ENCRYPTION_KEY names no key")
        self._first = Fernet(keys[0])
        self._all = MultiFernet([Fernet(k) for k in keys])
        self.key_count = len(keys)

    @classmethod
    def from_setting(cls, value: str | None) -> FileCipher | None:
        """The cipher FILE_ENCRYPTION_KEY describes, or None when it is unset or empty."""
        if not value or not value.strip():
            return None
        keys = [part.strip().encode() for part in value.split(",") if part.strip()]
        try:
            return cls(keys)
        except ValueError as exc:  # cryptography's message names no key material
            raise FileKeyError(
                "FILE_ENCRYPTION_KEY must be Fernet keys separated by commas "
                "(make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
            ) from exc

    def seal(self, plain: bytes) -> bytes:
        """The token of `plain` under the first key."""
        return self._first.encrypt(plain)

    def open(self, token: bytes) -> bytes:
        """The plaintext of a token sealed under any of the keys; raises InvalidToken otherwise."""
        return self._all.decrypt(token)

    def is_current(self, token: bytes) -> bool:
        """Whether the first key alone opens the token (nothing to rotate)."""
        try:
            self._first.decrypt(token)
        except InvalidToken:
            return False
        return True

    def reseal(self, token: bytes) -> bytes:
        """The token re-encrypted under the first key (InvalidToken if no key opens it)."""
        return self._all.rotate(token)


def sealed_size(plain_size: int) -> int:
    """The length of a Fernet token of `plain_size` bytes (PKCS7 pads to whole blocks, base64 grows 4/3)."""
    raw = _TOKEN_OVERHEAD + (plain_size // _BLOCK + 1) * _BLOCK
    return 4 * -(-raw // 3)


def is_plain_copy(data: bytes, sha256: str) -> bool:
    """Whether `data` is the unencrypted content named `sha256` (a file stored before a key was set)."""
    return hashlib.sha256(data).hexdigest() == sha256


def generate_key() -> str:
    """A new random Fernet key, as FILE_ENCRYPTION_KEY takes it."""
    return Fernet.generate_key().decode()


__all__ = ["TOKEN_START", "FileCipher", "FileKeyError", "InvalidToken", "generate_key", "is_plain_copy", "sealed_size"]
