"""Where a scheduled message to a person goes: the channel they chose for reminders, else every chat they linked."""

from __future__ import annotations

from bot.sending import Chat
from storage import people
from storage import reminders as store


async def reminder_chats(staff_ids: list[int]) -> dict[int, list[Chat]]:
    """The chats each of these people gets reminders on (two queries for everyone); people without a chat are left out.

    Someone who chose a channel gets them there only; if they have since unlinked
    that channel, every chat they still have (a reminder that reaches nobody helps nobody).
    """
    chosen = await store.choices()
    found = await people.identities_of_many(staff_ids)
    chats: dict[int, list[Chat]] = {}
    for staff_id, identities in found.items():
        linked = [Chat(i.channel, i.platform_user_id) for i in identities]
        picked = [c for c in linked if c.channel == chosen.get(staff_id)]
        if linked:
            chats[staff_id] = picked or linked
    return chats
