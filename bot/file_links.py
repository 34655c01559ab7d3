"""Signed, expiring links to stored files: how LINE (which needs a URL) shows a certificate image.

Files are never served publicly: a link names one file, carries an expiry and
an HMAC over both, and is only handed to the approver's chat.

The signing key is FILE_LINK_SECRET, or else a key generated once and kept in
the data directory, so links survive restarts and work across the web and
worker processes that share that directory.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import time
from pathlib import Path

from aiohttp import web

from config.texts import t
from storage.files import FileStore

logger = logging.getLogger(__name__)

DEFAULT_LIFETIME_SECONDS = 72 * 3600
# A notice's attachment is opened days after it was sent (and again before its reply deadline).
DOCUMENT_LIFETIME_SECONDS = 30 * 24 * 3600
SECRET_FILE = "file_link_secret"
SECRET_HEX_CHARS = 64
# Another process may have created the file a moment ago and not written it yet.
READ_ATTEMPTS = 50
READ_PAUSE_SECONDS = 0.02


def stored_secret(data_dir: Path) -> str:
    """The key kept in `data_dir`, created (readable by this user only) if there is none yet."""
    path = data_dir / SECRET_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    key = secrets.token_hex(SECRET_HEX_CHARS // 2)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
        fh.flush()
        os.fsync(fh.fileno())
    logger.info(
        "file links: created a signing key in %s; processes on other machines need FILE_LINK_SECRET", path
    )
    return key


def _read_secret(path: Path) -> str:
    for _ in range(READ_ATTEMPTS):
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= SECRET_HEX_CHARS:
            logger.info(
                "file links: signing key read from %s; processes on other machines need FILE_LINK_SECRET", path
            )
            return key
        time.sleep(READ_PAUSE_SECONDS)
    raise RuntimeError(f"{path} holds no signing key: delete it or set FILE_LINK_SECRET")


class FileLinks:
    """Makes and checks signed file links."""

    def __init__(self, secret: str, lifetime_seconds: float = DEFAULT_LIFETIME_SECONDS) -> None:
        self._key = secret.encode()
        self.lifetime_seconds = lifetime_seconds

    def _sign(self, sha256: str, expires: int) -> str:
        return hmac.new(self._key, f"{sha256}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]

    def path(self, sha256: str, now: float | None = None, lifetime: float | None = None) -> str:
        """The URL path of a link valid for `lifetime` seconds (default `lifetime_seconds`)."""
        expires = int((now or time.time()) + (self.lifetime_seconds if lifetime is None else lifetime))
        return f"/files/{sha256}/{expires}/{self._sign(sha256, expires)}"

    def valid(self, sha256: str, expires: str, signature: str) -> bool:
        """Whether a link is genuine and not expired."""
        if not expires.isdigit() or int(expires) < time.time():
            return False
        return hmac.compare_digest(self._sign(sha256, int(expires)), signature)


class FileRoute:
    """GET /files/{sha}/{expires}/{sig}: the file, only with a valid signature."""

    def __init__(self, links: FileLinks, files: FileStore) -> None:
        self.links = links
        self.files = files

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        """Serve one file, 404 for a bad or expired link, 410 with a polite word for a deleted file.

        The bytes always pass through this service (opened if the store is encrypted), never by
        a redirect to the object store: the bucket stays private. A file is at most
        MAX_UPLOAD_BYTES, so it is read whole.
        """
        sha, expires, sig = (request.match_info[k] for k in ("sha", "expires", "sig"))
        if not self.links.valid(sha, expires, sig):
            raise web.HTTPNotFound()
        try:
            data = await self.files.read(sha)
        except ValueError:
            raise web.HTTPNotFound() from None
        except FileNotFoundError:
            # The link is genuine, so the file was here: its retention period ended or its owner had it erased.
            return web.Response(
                status=410, text=t("file.gone"), content_type="text/plain", charset="utf-8",
                headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"},
            )
        return web.Response(
            body=data,
            headers={"Cache-Control": "private, no-store", "Content-Type": _content_type(data[:8]), "X-Robots-Tag": "noindex"},
        )


def _content_type(head: bytes) -> str:
    """What a stored file is, by its first bytes: a notice's PDF must open as one, not as a picture."""
    if head.startswith(b"%PDF"):
        return "application/pdf"
    if head.startswith(b"\x89PNG"):
        return "image/png"
    return "image/jpeg"
