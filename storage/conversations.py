"""Conversation state storage, keyed by (channel, platform user), as aiogram's FSM storage is."""

from __future__ import annotations

from typing import Any

from storage.models import ConversationState


async def load(channel: str, user: str) -> ConversationState | None:
    """The sender's saved state, if any."""
    return await ConversationState.get_or_none(channel=channel, user=user)


async def save(channel: str, user: str, state: str | None, data: dict[str, Any]) -> None:
    """Persist the state, or forget it when `state` is None."""
    if state is None:
        await ConversationState.filter(channel=channel, user=user).delete()
        return
    updated = await ConversationState.filter(channel=channel, user=user).update(
        state=state, data=data
    )
    if not updated:
        await ConversationState.create(channel=channel, user=user, state=state, data=data)
