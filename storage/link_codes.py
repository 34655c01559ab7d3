"""One-time link codes: random, single-use, expiring, re-issuable; only their SHA-256 is stored.

Wrong guesses are logged in `LinkAttempt` (time and channel only, never the
code or who typed it), so that guessing is limited across all chats and
processes, not just per chat.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from storage.models import LinkAttempt, LinkCode, Staff

# No 0/O, 1/I/L: codes are read off paper and typed on phones.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
CODE_PATTERN = re.compile(rf"[{ALPHABET}]{{{CODE_LENGTH}}}")
GUESS_WINDOW_SECONDS = 3600.0


def normalise(text: str) -> str:
    """Upper-case and drop spaces and dashes people add when typing a code."""
    return re.sub(r"[\s\-]", "", text).upper()


def looks_like_code(text: str) -> bool:
    """Whether a message is plausibly a link code."""
    return CODE_PATTERN.fullmatch(normalise(text)) is not None


def _hash(code: str) -> str:
    return hashlib.sha256(normalise(code).encode("ascii")).hexdigest()


def new_code() -> str:
    """A fresh random code."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


async def issue(staff: list[Staff]) -> list[tuple[str, str]]:
    """Give each staff member a new code, revoking their unused ones; returns (employee_code, code)."""
    issued: list[tuple[str, str]] = []
    async with in_transaction():
        await LinkCode.filter(staff_id__in=[s.id for s in staff], used_at__isnull=True).update(
            revoked=True
        )
        rows = []
        for person in staff:
            code = new_code()
            rows.append(LinkCode(staff_id=person.id, code_hash=_hash(code)))
            issued.append((person.employee_code, code))
        await LinkCode.bulk_create(rows)
    return issued


async def redeem(code: str, ttl_days: float) -> Staff | None:
    """Use a code once: the staff member it belongs to, or None if unknown, used, revoked or expired."""
    if not looks_like_code(code):
        return None
    issued_after = datetime.now(UTC) - timedelta(days=ttl_days)
    row = await LinkCode.get_or_none(
        code_hash=_hash(code), used_at__isnull=True, revoked=False, created_at__gt=issued_after
    )
    if row is None:
        return None
    # Conditional update: two devices racing with one code cannot both win.
    won = await LinkCode.filter(id=row.id, used_at__isnull=True).update(used_at=datetime.now(UTC))
    if not won:
        return None
    return await Staff.get(id=row.staff_id).select_related("unit")


async def recent_failures(now: float | None = None) -> int:
    """Wrong guesses in the last hour, in every chat."""
    now = time.time() if now is None else now
    return await LinkAttempt.filter(at__gt=now - GUESS_WINDOW_SECONDS).count()


async def record_failure(channel: str, now: float | None = None) -> None:
    """Log one wrong guess (when and on which channel only)."""
    await LinkAttempt.create(at=time.time() if now is None else now, channel=channel)


async def prune_attempts(older_than: float, now: float | None = None) -> int:
    """Forget guesses older than `older_than` seconds; returns how many."""
    now = time.time() if now is None else now
    return await LinkAttempt.filter(at__lt=now - older_than).delete()
