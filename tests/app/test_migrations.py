"""The migrations on disk match the models, so a deploy never runs with an unmigrated table."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.builders.paths import REPO

CHECK = """
import asyncio
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector
from storage.migration_config import TORTOISE_ORM

async def main():
    async with tortoise_cli_context(TORTOISE_ORM) as ctx:
        writers = await MigrationAutodetector(ctx.apps, TORTOISE_ORM["apps"]).changes()
    print("changes:", [w.name for w in writers])

asyncio.run(main())
"""


def test_models_need_no_new_migration(tmp_path):
    env = {**os.environ, "DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    result = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "changes: []" in result.stdout, result.stdout
