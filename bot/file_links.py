"""Signed, expiring links to stored files: how LINE (which needs a URL) shows a certificate image.

Files are never served publicly: a link names one file, carries an expiry and
an HMAC over both, and is only handed to the approver's chat.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from aiohttp import web

LINK_LIFETIME_SECONDS = 14 * 24 * 3600


class FileLinks:
    """Makes and checks signed file links."""

    def __init__(self, secret: str | None) -> None:
        # Without a configured secret the links work until the next restart only.
        self._key = (secret or secrets.token_hex(32)).encode()

    def _sign(self, sha256: str, expires: int) -> str:
        return hmac.new(self._key, f"{sha256}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]

    def path(self, sha256: str, now: float | None = None) -> str:
        """The URL path of a link valid for LINK_LIFETIME_SECONDS."""
        expires = int((now or time.time()) + LINK_LIFETIME_SECONDS)
        return f"/files/{sha256}/{expires}/{self._sign(sha256, expires)}"

    def valid(self, sha256: str, expires: str, signature: str) -> bool:
        """Whether a link is genuine and not expired."""
        if not expires.isdigit() or int(expires) < time.time():
            return False
        return hmac.compare_digest(self._sign(sha256, int(expires)), signature)


async def serve_file(request: web.Request) -> web.StreamResponse:
    """GET /files/{sha}/{expires}/{sig}: the file, only with a valid signature."""
    from bot.app import SERVICES

    services = request.app[SERVICES]
    sha, expires, sig = (request.match_info[k] for k in ("sha", "expires", "sig"))
    if not services.links.valid(sha, expires, sig):
        raise web.HTTPNotFound()
    try:
        path = services.files.path_for(sha)
    except ValueError:
        raise web.HTTPNotFound() from None
    if not path.exists():
        raise web.HTTPNotFound()
    return web.FileResponse(
        path, headers={"Cache-Control": "private, no-store", "Content-Type": "image/jpeg", "X-Robots-Tag": "noindex"}
    )
