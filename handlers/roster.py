"""Admins send the staff roster (CSV or XLSX) in chat to import it."""

from __future__ import annotations

import asyncio

from bot.routing import Router
from bot.turn import Turn
from storage import roster as roster_store

router = Router("roster")

ROSTER_SUFFIXES = (".csv", ".xlsx")
MAX_ERRORS_SHOWN = 10


@router.file(roles=("admin",), suffixes=ROSTER_SUFFIXES)
async def import_roster_file(turn: Turn) -> None:
    """Import a roster spreadsheet sent by an admin."""
    ref = turn.incoming.file
    assert ref is not None
    name = (ref.name or "").lower()
    # Rosters get their own cap, smaller than certificates': the whole table is parsed in this process.
    limit = turn.settings.roster_max_bytes
    sizes = (ref.size, turn.file.size if turn.file else None)
    if turn.file_error == "too_large" or any(size is not None and size > limit for size in sizes):
        turn.reply("roster.too_large", limit=_megabytes(limit))
        return
    if turn.file is None:
        turn.reply("roster.download_failed")
        return
    data = await turn.file.read()
    try:
        table = await asyncio.to_thread(roster_store.read_table, data, name)
    except roster_store.RosterError as exc:
        turn.reply(f"roster.{exc.reason}", **exc.values)
        return
    rows, errors = roster_store.parse(table)
    result = await roster_store.import_roster(rows, errors)
    if not result.ok:
        shown = "\n".join(result.errors[:MAX_ERRORS_SHOWN])
        if len(result.errors) > MAX_ERRORS_SHOWN:
            shown += f"\n… (+{len(result.errors) - MAX_ERRORS_SHOWN})"
        turn.reply("roster.rejected", count=len(result.errors), errors=shown)
        return
    turn.signal("menus")  # roles may have changed: channels with role menus update them
    turn.reply("roster.imported", created=result.created, updated=result.updated)


def _megabytes(size: int) -> str:
    """A byte count as MB for people: "5", "2.5"."""
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")
