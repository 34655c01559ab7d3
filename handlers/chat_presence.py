"""A chat blocking the bot: LINE's unfollow marks it, so broadcasts report the person unreachable.

Unblocking needs no handler: any later event from the chat, a follow included, clears the
mark as the processor looks the sender up (`storage.people.sender`).
"""

from __future__ import annotations

import time

from bot.routing import Router
from bot.turn import Turn
from storage import people

router = Router("chat_presence")


@router.unfollow()
async def unfollowed(turn: Turn) -> None:
    """Mark the chat blocked; nothing is answered (LINE would refuse it anyway)."""
    event = turn.incoming
    await people.mark_blocked(event.channel, event.user, event.received_at or time.time())
