"""The agency's own days off, added by admins on top of Thailand's public holidays."""

from __future__ import annotations

import datetime as dt

from fiscal.days_off import DaysOff
from storage.models import DayOff, Staff


async def calendar() -> DaysOff:
    """Today's calendar of days off: weekends, Thai public holidays and every day the agency added."""
    rows = await DayOff.all().values_list("day", "name")
    return DaysOff(dict(rows))


async def add(day: dt.date, name: str, by: Staff | None = None) -> bool:
    """Add a day off; False when the agency already has that day (its name is then updated)."""
    row, created = await DayOff.get_or_create(day=day, defaults={"name": name, "added_by": by})
    if not created and row.name != name:
        row.name = name
        await row.save(update_fields=["name"])
    return created


async def remove(day: dt.date) -> bool:
    """Remove an agency day off; False when there was none on that day."""
    return bool(await DayOff.filter(day=day).delete())


async def upcoming(since: dt.date, limit: int = 20) -> list[DayOff]:
    """The agency's days off from `since` on, earliest first."""
    return await DayOff.filter(day__gte=since).order_by("day").limit(limit)
