"""รับทราบ: a recipient acknowledges a circular notice with one tap, recorded once."""

from __future__ import annotations

import time

from bot.routing import Router
from bot.turn import Turn
from handlers.notice_card import ACK_ACTION
from storage import notices

router = Router("notice_ack")

MAX_ID_DIGITS = 9


@router.action(ACK_ACTION)
async def acknowledge(turn: Turn, notice_id: str = "", *_: str) -> None:
    """Record the press (the first one counts, on whichever channel) and say so."""
    assert turn.person is not None  # actions are for linked staff; routing answers strangers
    if not notice_id.isdigit() or len(notice_id) > MAX_ID_DIGITS:
        turn.reply("notice.ack_not_addressed")
        return
    at = turn.incoming.received_at or time.time()
    result = await notices.acknowledge(int(notice_id), turn.person.id, turn.incoming.channel, at)
    turn.reply(f"notice.ack_{result}")
