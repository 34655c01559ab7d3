"""Last resort answers for anything no feature took."""

from __future__ import annotations

from bot.events import Action, Button
from bot.routing import Router
from bot.turn import Turn
from config.texts import t

router = Router("fallback")

# The only place the cancel words are written: a global command, so it ends any pending input.
CANCEL_WORDS = ("cancel", "ยกเลิก")


@router.command(*CANCEL_WORDS, global_=True)
async def cancel(turn: Turn) -> None:
    """Leave whatever multi-step exchange is going on (routing has already cleared it)."""
    turn.reply("common.cancelled")


@router.otherwise("text")
async def unknown_text(turn: Turn) -> None:
    """Text nobody understood: point to the menu."""
    turn.reply("common.unknown", quick=(Button(t("menu.title"), Action("menu.open")),))


@router.otherwise("action")
async def stale_button(turn: Turn) -> None:
    """A button from an old message, or one this user may not press."""
    turn.reply("common.button_expired")


@router.otherwise("file")
async def unhandled_file(turn: Turn) -> None:
    """A file before certificate reading exists."""
    turn.reply("file.not_supported_yet")
