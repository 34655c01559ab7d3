"""The migrations on disk match the models, so a deploy never runs with an unmigrated table.

Two checks: Tortoise's autodetector finds no change to write, and every migration applied
from the first to an empty database (SQLite or PostgreSQL, as the run uses) gives the same
tables, columns, indexes and foreign keys as a schema generated straight from the models.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys

import asyncpg
from tortoise import Tortoise

from storage.db import close_db, migrate_schema, migrations_on_disk, tortoise_config
from tests.builders.databases import drop_database, empty_database
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


# --- every migration from the first, on the database the run uses, against the models ------------

INTERNAL = {"tortoise_migrations"}
# Differences the migrations are known to leave: none since 0009 created the two outbox indexes
# 0007 declared (Tortoise 1.1.9's AddField with db_index=True records an index and creates none).
KNOWN_GAPS: set[tuple[object, ...]] = set()


def _sqlite_schema(path: str) -> dict[str, object]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        schema: dict[str, object] = {}
        for table in sorted(t for t in tables if not t.startswith("sqlite_") and t not in INTERNAL):
            columns = {
                (name, kind.upper(), bool(notnull), bool(pk))
                for _, name, kind, notnull, _default, pk in conn.execute(f'PRAGMA table_info("{table}")')
            }
            indexes = set()
            for _, index, unique, _origin, _partial in conn.execute(f'PRAGMA index_list("{table}")'):
                cols = tuple(r[2] for r in conn.execute(f'PRAGMA index_info("{index}")'))
                indexes.add((cols, bool(unique)))
            keys = {
                (r[3], r[2], r[4], r[6]) for r in conn.execute(f'PRAGMA foreign_key_list("{table}")')
            }  # (column, table, column, on delete)
            schema[table] = {"columns": columns, "indexes": indexes, "foreign_keys": keys}
        return schema
    finally:
        conn.close()


async def _postgres_schema(url: str) -> dict[str, object]:
    conn = await asyncpg.connect(url)
    try:
        schema: dict[str, dict[str, set]] = {}
        for r in await conn.fetch(
            "SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision, "
            "numeric_scale, is_nullable FROM information_schema.columns WHERE table_schema = 'public'"
        ):
            if r["table_name"] in INTERNAL:
                continue
            table = schema.setdefault(r["table_name"], {"columns": set(), "indexes": set(), "foreign_keys": set()})
            table["columns"].add(tuple(r.values())[1:])
        for r in await conn.fetch(
            """SELECT t.relname AS tbl, i.indisunique AS uniq, array_agg(a.attname ORDER BY k.ord) AS cols
               FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
               JOIN pg_namespace n ON n.oid = t.relnamespace
               CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
               WHERE n.nspname = 'public' GROUP BY t.relname, i.indexrelid, i.indisunique"""
        ):
            if r["tbl"] not in INTERNAL:
                schema[r["tbl"]]["indexes"].add((tuple(r["cols"]), r["uniq"]))
        for r in await conn.fetch(
            """SELECT c.conrelid::regclass::text AS tbl, a.attname AS col, c.confrelid::regclass::text AS ref,
                      c.confdeltype AS on_delete
               FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
               WHERE c.contype = 'f'"""
        ):
            schema[r["tbl"]]["foreign_keys"].add((r["col"], r["ref"], r["on_delete"]))
        return schema
    finally:
        await conn.close()


async def _schema(url: str) -> dict[str, object]:
    if url.startswith("sqlite://"):
        return await asyncio.to_thread(_sqlite_schema, url.removeprefix("sqlite://"))
    return await _postgres_schema(url)


async def test_every_migration_from_the_first_gives_the_models_schema(database_url, tmp_path):
    migrated_url, migrated_db = await empty_database(database_url, tmp_path, "migrated")
    generated_url, generated_db = await empty_database(database_url, tmp_path, "generated")
    try:
        applied = await migrate_schema(migrated_url)
        assert applied == migrations_on_disk()
        assert applied[0] == "0001_initial" and len(applied) >= 7
        assert await migrate_schema(migrated_url) == []  # a second run has nothing to apply
        # The schema the models describe, created straight from them (no migration involved).
        ctx = await Tortoise.init(config=tortoise_config(generated_url))
        try:
            await Tortoise.generate_schemas()
        finally:
            await close_db(ctx)
        migrated, generated = await _schema(migrated_url), await _schema(generated_url)
        assert sorted(migrated) == sorted(generated)
        gaps = {
            (table, part, item, "missing" if item in generated[table][part] else "extra")
            for table in generated
            for part in ("columns", "indexes", "foreign_keys")
            for item in migrated[table][part] ^ generated[table][part]
        }
        assert gaps == KNOWN_GAPS, sorted(gaps ^ KNOWN_GAPS)
    finally:
        for name in (migrated_db, generated_db):
            if name:
                await drop_database(database_url, name)
