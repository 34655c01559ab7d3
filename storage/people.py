"""Queries about staff and their linked chat identities."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from tortoise.expressions import Q

from storage.models import ChatIdentity, ConversationState, Staff


async def by_identity(channel: str, platform_user_id: str) -> Staff | None:
    """The active staff member linked to a chat user, with unit and supervisor loaded."""
    identity = await ChatIdentity.get_or_none(
        channel=channel, platform_user_id=platform_user_id
    ).select_related("staff", "staff__unit", "staff__supervisor")
    if identity is None or not identity.staff.active:
        return None
    return identity.staff


async def sender(channel: str, platform_user_id: str) -> Staff | None:
    """`by_identity` for someone who just sent something: a chat marked blocked is reachable again.

    Only the staff row is loaded (every event pays for this lookup); a handler that
    shows the sender's unit or supervisor fetches them.

    The mark is read with the same query, so only a chat that was blocked costs a write.
    """
    identity = await ChatIdentity.get_or_none(
        channel=channel, platform_user_id=platform_user_id
    ).select_related("staff")
    if identity is None:
        return None
    if identity.blocked_at is not None:
        await mark_reachable(channel, platform_user_id)
    return identity.staff if identity.staff.active else None


async def by_identities(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Staff]:
    """`sender` for many (channel, platform user) pairs in one query; unlinked and inactive ones are left out."""
    users: dict[str, list[str]] = {}
    for channel, user in keys:
        users.setdefault(channel, []).append(user)
    if not users:
        return {}
    where = [Q(channel=channel, platform_user_id__in=ids) for channel, ids in users.items()]
    found = await ChatIdentity.filter(Q(*where, join_type=Q.OR)).select_related("staff")
    for identity in found:
        if identity.blocked_at is not None:  # they sent something: the chat works again
            await mark_reachable(identity.channel, identity.platform_user_id)
    return {(i.channel, i.platform_user_id): i.staff for i in found if i.staff.active}


async def identities_of(staff_id: int) -> list[ChatIdentity]:
    """Every chat account a staff member linked."""
    return await ChatIdentity.filter(staff_id=staff_id).order_by("id")


# PostgreSQL takes at most 32,767 parameters a query: a notice to a whole agency is looked up in parts.
IDS_PER_QUERY = 10_000


async def identities_of_many(staff_ids: list[int]) -> dict[int, list[ChatIdentity]]:
    """Every chat account of each of these staff members: one query per 10,000 people."""
    found: dict[int, list[ChatIdentity]] = {}
    wanted = sorted(set(staff_ids))
    for start in range(0, len(wanted), IDS_PER_QUERY):
        part = wanted[start : start + IDS_PER_QUERY]
        for identity in await ChatIdentity.filter(staff_id__in=part).order_by("id"):
            found.setdefault(identity.staff_id, []).append(identity)
    return found


async def link(channel: str, platform_user_id: str, staff: Staff) -> ChatIdentity:
    """Bind a chat account to a staff member (one staff may link LINE and Telegram)."""
    identity, created = await ChatIdentity.get_or_create(
        channel=channel, platform_user_id=platform_user_id, defaults={"staff": staff}
    )
    if not created and identity.staff_id != staff.id:
        identity.staff = staff
        identity.linked_at = datetime.now(UTC)  # linked to this person now, whatever it was before
        await identity.save(update_fields=["staff_id", "linked_at"])
    return identity


async def identity_by_id(identity_id: int) -> ChatIdentity | None:
    """One linked chat account."""
    return await ChatIdentity.get_or_none(id=identity_id)


async def unlink(identity: ChatIdentity) -> None:
    """Remove a chat account's link and whatever conversation it was in."""
    await ConversationState.filter(channel=identity.channel, user=identity.platform_user_id).delete()
    await ChatIdentity.filter(id=identity.id).delete()


async def by_code(employee_code: str) -> Staff | None:
    """A staff member by employee code."""
    return await Staff.get_or_none(employee_code=employee_code)


async def mark_blocked(channel: str, platform_user_id: str, at: float) -> None:
    """The person blocked the bot in this chat (LINE unfollow, Telegram 403): broadcasts skip it."""
    await ChatIdentity.filter(channel=channel, platform_user_id=platform_user_id).update(blocked_at=at)


async def mark_reachable(channel: str, platform_user_id: str) -> None:
    """The chat works again (a follow, or anything the person sent): clear its block mark."""
    await ChatIdentity.filter(
        channel=channel, platform_user_id=platform_user_id, blocked_at__isnull=False
    ).update(blocked_at=None)
