"""Processes started together on an empty database (the scaled layout's first start) do not trip over each other."""

from __future__ import annotations

import asyncio

from storage.db import close_db, open_db
from storage.models import Course
from storage.seed import CATALOG_CSV, seed_courses


async def test_four_processes_seeding_an_empty_catalog_at_once_load_it_once(database_url):
    ctx = await open_db(database_url, run_migrations=False)
    try:
        await Course.all().delete()
        added = await asyncio.gather(*(seed_courses() for _ in range(4)))
        rows = len(CATALOG_CSV.read_text(encoding="utf-8").splitlines()) - 1
        assert await Course.all().count() == rows
        assert sorted(added) == [0, 0, 0, rows]  # one seeded it; the others found it done, without an error
    finally:
        await close_db(ctx)
