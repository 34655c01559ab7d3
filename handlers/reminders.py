"""Answers to reminder buttons: pausing the current round's reminders."""

from __future__ import annotations

from bot.routing import Router
from bot.turn import Turn
from storage import reminders

router = Router("reminders")

# The action name the reminder's button carries (scheduler.reminders builds it).
PAUSE_ACTION = "rm.pause"


@router.action(PAUSE_ACTION)
async def pause_reminders(turn: Turn, fy: str = "", round_number: str = "") -> None:
    """Stop this round's deadline reminders to the sender."""
    assert turn.person is not None
    if not (fy.isdigit() and round_number in ("1", "2")):
        turn.reply("common.button_expired")
        return
    await reminders.pause(turn.person, int(fy), int(round_number))
    turn.reply("reminder.paused", round=round_number)
