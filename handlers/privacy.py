"""The privacy notice: what the agency keeps about a person, why, how long, who sees it, how to ask.

It is sent on first contact (a LINE follow, the simulator opening, Telegram's /start) and on
request under `ความเป็นส่วนตัว` or `/privacy`; the retention periods are read from the settings
the retention sweeps use, so the notice always states the periods in force.
"""

from __future__ import annotations

from bot.routing import Router
from bot.turn import Turn

router = Router("privacy")


def send_privacy_notice(turn: Turn) -> None:
    """Answer with the two-part privacy notice (one part would not fit a phone screen)."""
    settings = turn.settings
    turn.reply("privacy.notice", image_days=settings.cert_image_retention_days, event_days=settings.event_retention_days)
    turn.reply("privacy.notice_more")


@router.command("privacy", "ความเป็นส่วนตัว", "นโยบายความเป็นส่วนตัว", public=True, global_=True)
async def privacy(turn: Turn) -> None:
    """The privacy notice, for anyone, linked or not."""
    send_privacy_notice(turn)
