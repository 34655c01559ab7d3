"""One-time links to a person's copy of their data, for chats that cannot carry a file (LINE).

The link's token is random and only its SHA-256 is stored: a database copy does not give the
links away. Redeeming is one conditional update, so of two simultaneous downloads one wins.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from storage.models import DataCopyLink, Staff

TOKEN_BYTES = 32


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


async def new_link(staff_id: int, lifetime_seconds: float, now: float | None = None) -> str:
    """A fresh token for `staff_id`'s copy, valid once within `lifetime_seconds`."""
    now = time.time() if now is None else now
    token = secrets.token_urlsafe(TOKEN_BYTES)
    await DataCopyLink.create(
        token_hash=_hash(token), staff_id=staff_id, created_at=now, expires_at=now + lifetime_seconds
    )
    return token


async def pending(token: str, now: float | None = None) -> bool:
    """Whether a token is unused and unexpired (looking does not use it up)."""
    now = time.time() if now is None else now
    return await DataCopyLink.filter(token_hash=_hash(token), used_at=None, expires_at__gt=now).exists()


async def redeem(token: str, now: float | None = None) -> Staff | None:
    """The person whose copy the token opens, marking it used; None if unknown, used or expired."""
    now = time.time() if now is None else now
    digest = _hash(token)
    taken = await DataCopyLink.filter(token_hash=digest, used_at=None, expires_at__gt=now).update(used_at=now)
    if not taken:
        return None
    link = await DataCopyLink.get(token_hash=digest)
    return await Staff.get_or_none(id=link.staff_id)
