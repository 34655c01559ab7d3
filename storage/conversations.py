"""Conversation state storage, keyed by (channel, platform user), as aiogram's FSM storage is."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tortoise.expressions import Q

from storage.models import ConversationState


async def load(channel: str, user: str) -> ConversationState | None:
    """The sender's saved state, if any."""
    return await ConversationState.get_or_none(channel=channel, user=user)


async def load_many(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], ConversationState]:
    """The saved states of many (channel, user) pairs in one query; those without one are left out."""
    users: dict[str, list[str]] = {}
    for channel, user in keys:
        users.setdefault(channel, []).append(user)
    if not users:
        return {}
    where = [Q(channel=channel, user__in=ids) for channel, ids in users.items()]
    return {(s.channel, s.user): s for s in await ConversationState.filter(Q(*where, join_type=Q.OR))}


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
