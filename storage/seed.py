"""Start-up seeding: the OCSC course catalog, and a fictional demo roster for trying the bot."""

from __future__ import annotations

import asyncio
import csv
import logging
from pathlib import Path

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from storage import roster
from storage.models import Course, Staff

logger = logging.getLogger(__name__)

SEEDS = Path(__file__).with_name("seeds")
CATALOG_CSV = SEEDS / "ocsc_catalog.csv"
DEMO_ROSTER_CSV = SEEDS / "demo_roster.csv"


async def seed_courses() -> int:
    """Load the OCSC catalog into an empty course table; returns how many were added."""
    if await Course.exists():
        return 0
    with CATALOG_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    try:
        async with in_transaction():
            await Course.bulk_create(
                [
                    Course(
                        code=r["code"] or None,
                        name=r["name"],
                        kind=r["kind"] or "course",
                        category=r["category"],
                        portal_id=int(r["portal_id"]) if r.get("portal_id") else None,
                    )
                    for r in rows
                ]
            )
    except IntegrityError:
        # Several processes started at once on an empty database: another one seeded it first.
        return 0
    logger.info("seeded %d catalog courses", len(rows))
    return len(rows)


async def seed_demo_roster() -> int:
    """Load the fictional demo roster into an empty staff table, marked as demo rows."""
    if await Staff.exists():
        return 0
    data = await asyncio.to_thread(DEMO_ROSTER_CSV.read_bytes)
    rows, errors = roster.parse(roster.read_table(data, DEMO_ROSTER_CSV.name))
    result = await roster.import_roster(rows, errors, demo=True)
    logger.info(
        "loaded the fictional demo roster (%d people, admins among them); the first real roster import removes it",
        result.created,
    )
    return result.created


async def seed_defaults(*, load_demo_roster: bool) -> None:
    """Everything an empty database needs to be useful."""
    await seed_courses()
    if load_demo_roster:
        await seed_demo_roster()
