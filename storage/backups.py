"""Backups of a running service and their restore into an empty place: database, stored files, a manifest.

A backup is a folder (owner-only) holding:

- the database: `bot.sqlite3`, taken with SQLite's online backup API, or `database.dump`,
  `pg_dump`'s custom format (one snapshot, taken while the service writes);
- `files/`: the file store, in its own layout;
- `file_link_secret`, when the data directory holds one, so links handed out before still open;
- `manifest.json`, written last: when it was taken, the database kind, the migrations applied,
  the database copy's SHA-256 and the stored files' hashes. A folder without one is incomplete.

Restore refuses anything but an empty data directory (and, on PostgreSQL, a database with no
tables), checks every hash before it counts, and leaves the target as it found it on failure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from storage.files import TEMP_PREFIX, FileStore
from storage.private_files import private_output

MANIFEST = "manifest.json"
SQLITE_COPY = "bot.sqlite3"
POSTGRES_DUMP = "database.dump"
FILES = "files"
LINK_SECRET = "file_link_secret"  # bot.file_links keeps its generated key under this name
FORMAT = 1
APP_LABEL = "models"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why, for the operator."""


@dataclass(frozen=True, slots=True)
class Database:
    """Where the database lives, as the backup needs to know it."""

    kind: str  # "sqlite" or "postgres"
    path: Path | None = None  # SQLite file
    env: dict[str, str] | None = None  # libpq variables for pg_dump / pg_restore (the password stays off argv)

    @classmethod
    def from_url(cls, url: str) -> Database:
        """Parse the service's DATABASE_URL (sqlite://PATH or postgres://user:pass@host:port/db)."""
        if url.startswith("sqlite://"):
            path = url.removeprefix("sqlite://")
            if path == ":memory:":
                raise BackupError("an in-memory database cannot be backed up")
            return cls("sqlite", path=Path(path))
        parts = urlsplit(url)
        if parts.scheme not in ("postgres", "postgresql", "asyncpg"):
            raise BackupError(f"unsupported database kind {parts.scheme!r}")
        env = {
            "PGHOST": parts.hostname or "localhost",
            "PGPORT": str(parts.port or 5432),
            "PGUSER": unquote(parts.username or ""),
            "PGPASSWORD": unquote(parts.password or ""),
            "PGDATABASE": unquote(parts.path.lstrip("/")),
        }
        return cls("postgres", env={k: v for k, v in env.items() if v})

    def connect_kwargs(self) -> dict[str, Any]:
        """asyncpg's arguments for the same database."""
        env = self.env or {}
        return {
            "host": env.get("PGHOST"), "port": int(env.get("PGPORT", "5432")), "user": env.get("PGUSER"),
            "password": env.get("PGPASSWORD"), "database": env.get("PGDATABASE"),
        }


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a backup holds (`manifest.json`)."""

    created_at: str
    database: str
    database_file: str
    database_sha256: str
    migrations: list[str]
    files: list[str]
    file_link_secret: bool

    @property
    def migration(self) -> str | None:
        """The latest migration applied to the copied database."""
        return self.migrations[-1] if self.migrations else None

    def to_json(self) -> str:
        """The manifest as written to disk."""
        return json.dumps(
            {
                "format": FORMAT, "created_at": self.created_at, "database": self.database,
                "database_file": self.database_file, "database_sha256": self.database_sha256,
                "migration": self.migration, "migrations": self.migrations, "file_count": len(self.files),
                "files": self.files, "file_link_secret": self.file_link_secret,
            },
            indent=1,
        )

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """The manifest of a backup folder, or BackupError for a folder that is not a complete backup."""
        try:
            raw = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BackupError(f"{folder} holds no {MANIFEST}: not a backup, or one that did not finish") from None
        except (OSError, ValueError) as exc:
            raise BackupError(f"cannot read {folder / MANIFEST}: {exc}") from None
        if raw.get("format") != FORMAT:
            raise BackupError(f"{folder} has backup format {raw.get('format')!r}; this version reads {FORMAT}")
        return cls(
            raw["created_at"], raw["database"], raw["database_file"], raw["database_sha256"],
            list(raw["migrations"]), list(raw["files"]), bool(raw["file_link_secret"]),
        )


# --- backup ---------------------------------------------------------------------------------------


async def backup(database_url: str, data_dir: Path, out: Path, store: FileStore | None = None) -> Manifest:
    """Copy the database, then the stored files, into `out` (new or empty), while the service runs.

    `store` is the service's file store (default: DATA_DIR/files on the local disk); the copy is
    sealed with the same key, so an encrypted store gives an encrypted backup.
    """
    db = Database.from_url(database_url)
    await asyncio.to_thread(_new_private_folder, out)
    if db.kind == "sqlite":
        assert db.path is not None
        if not db.path.exists():
            raise BackupError(f"no database at {db.path}")
        database_file = SQLITE_COPY
        migrations = await asyncio.to_thread(_sqlite_backup, db.path, out / SQLITE_COPY)
    else:
        database_file = POSTGRES_DUMP
        migrations = await _postgres_migrations(db)
        await _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={out / POSTGRES_DUMP}"], db)
        os.chmod(out / POSTGRES_DUMP, 0o600)
    # The files are copied after the database on purpose. Stored files are named by the SHA-256 of
    # their bytes and never change once written (write-then-rename), so every file the copied
    # database refers to already existed, whole, when the database was copied, and is still there
    # now, unless an erasure or a retention sweep removed it in between, which is what the live
    # service would show too. Files written after the database copy are extra and harmless: nothing
    # in the copy refers to them, and the hourly orphan sweep removes them after a restore.
    source = store or FileStore(data_dir / FILES)
    digests = await _copy_store(source, FileStore(out / FILES, source.cipher))
    secret = data_dir / LINK_SECRET
    has_secret = await asyncio.to_thread(_copy_private, secret, out / LINK_SECRET)
    manifest = Manifest(
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        database=db.kind,
        database_file=database_file,
        database_sha256=await asyncio.to_thread(_sha256_of, out / database_file),
        migrations=migrations,
        files=sorted(digests),
        file_link_secret=has_secret,
    )
    await asyncio.to_thread(_write_private_atomically, out / MANIFEST, manifest.to_json().encode())
    return manifest


def _new_private_folder(path: Path) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BackupError(f"{path} is not an empty folder: choose a new one for each backup")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)  # a backup holds everything the service holds: owner-only


def _sqlite_backup(source: Path, target: Path) -> list[str]:
    """SQLite's online backup, all pages in one step, and the migrations the copy has applied.

    In WAL mode a reader holds a snapshot without blocking writers, so copying every page
    in one step gives one consistent moment without stalling the running service.
    """
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            return _sqlite_migrations(dst)
        finally:
            dst.close()
    finally:
        src.close()
        os.chmod(target, 0o600)


def _sqlite_migrations(conn: sqlite3.Connection) -> list[str]:
    try:
        rows = conn.execute(
            "SELECT name FROM tortoise_migrations WHERE app = ? ORDER BY applied_at, name", (APP_LABEL,)
        ).fetchall()
    except sqlite3.OperationalError:
        return []
    return [r[0] for r in rows]


async def _postgres_migrations(db: Database) -> list[str]:
    import asyncpg

    conn = await asyncpg.connect(**db.connect_kwargs(), timeout=10)
    try:
        exists = await conn.fetchval("SELECT to_regclass('tortoise_migrations') IS NOT NULL")
        if not exists:
            return []
        rows = await conn.fetch(
            "SELECT name FROM tortoise_migrations WHERE app = $1 ORDER BY applied_at, name", APP_LABEL
        )
        return [r["name"] for r in rows]
    finally:
        await conn.close()


async def _postgres_table_count(db: Database) -> int:
    import asyncpg

    conn = await asyncpg.connect(**db.connect_kwargs(), timeout=10)
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    finally:
        await conn.close()


async def _run(argv: list[str], db: Database) -> None:
    """pg_dump / pg_restore with the connection in libpq's variables (never on the command line)."""
    if shutil.which(argv[0]) is None:
        raise BackupError(f"{argv[0]} not found: install the Debian package postgresql-client")
    process = await asyncio.create_subprocess_exec(
        *argv, env={**os.environ, **(db.env or {})},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    if process.returncode != 0:
        raise BackupError(f"{argv[0]} failed ({process.returncode}): {err.decode(errors='replace').strip()[-800:]}")


async def _copy_store(source: FileStore, target: FileStore) -> list[str]:
    """Copy every stored file through the store (disk or object store, opened and sealed again),
    checking each against its name; returns the digests copied."""
    copied = []
    for digest, _age in await source.ages():
        try:
            data = await source.read(digest)
        except FileNotFoundError:
            continue  # removed meanwhile (erasure, retention, orphan sweep): so is every reference to it
        if hashlib.sha256(data).hexdigest() != digest:
            raise BackupError(f"stored file {digest[:12]}… does not match its name: the file store is damaged")
        await target.put(data)
        copied.append(digest)
    return copied


def _copy_private(source: Path, target: Path) -> bool:
    if not source.exists():
        return False
    _write_private_atomically(target, source.read_bytes())
    return True


def _write_private_atomically(path: Path, data: bytes) -> None:
    with private_output(path, "wb") as fh:
        fh.write(data)


def _sha256_of(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


# --- restore --------------------------------------------------------------------------------------


async def restore(source: Path, database_url: str, data_dir: Path, store: FileStore | None = None) -> Manifest:
    """Restore a backup into an empty data directory and an empty database; BackupError says why not.

    `store` is where the service keeps files (default: DATA_DIR/files); the backup's files are
    opened with its key, so the backup and the service must share FILE_ENCRYPTION_KEY.
    """
    manifest = await asyncio.to_thread(Manifest.read, source)
    db = Database.from_url(database_url)
    if manifest.database != db.kind:
        raise BackupError(
            f"the backup holds a {manifest.database} database but DATABASE_URL names {db.kind}: "
            "restore into the same kind"
        )
    await _refuse_unless_empty(db, data_dir)
    dump = source / manifest.database_file
    if not dump.exists() or await asyncio.to_thread(_sha256_of, dump) != manifest.database_sha256:
        raise BackupError(f"{dump} is missing or does not match the manifest: the backup is damaged")
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Files first, into a staging folder in the data directory, renamed into place only once the
    # database is in: a damaged backup leaves the target empty, so a second attempt is not refused.
    target = store or FileStore(data_dir / FILES)
    backed_up = FileStore(source / FILES, target.cipher)
    staging = Path(await asyncio.to_thread(tempfile.mkdtemp, dir=data_dir, prefix=".restore-"))
    try:
        if target.root is not None:
            await _restore_files(backed_up, FileStore(staging, target.cipher), manifest.files)
        if db.kind == "sqlite":
            assert db.path is not None
            await asyncio.to_thread(_restore_sqlite, dump, db.path)
        else:
            # One transaction: a failure leaves the database as empty as it was.
            await _run(
                ["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
                 f"--dbname={(db.env or {}).get('PGDATABASE', '')}", str(dump)],
                db,
            )
        if target.root is not None:
            await asyncio.to_thread(_put_in_place, staging, target.root)
        else:  # an object store: nothing to rename, so the files go in once the database is
            await _restore_files(backed_up, target, manifest.files)
    finally:
        await asyncio.to_thread(shutil.rmtree, staging, True)
    if manifest.file_link_secret:
        await asyncio.to_thread(_copy_private, source / LINK_SECRET, data_dir / LINK_SECRET)
    return manifest


async def _refuse_unless_empty(db: Database, data_dir: Path) -> None:
    if await asyncio.to_thread(_has_entries, data_dir):
        raise BackupError(f"{data_dir} is not empty: restore only into an empty data directory (DATA_DIR)")
    if db.kind == "sqlite":
        assert db.path is not None
        if db.path.exists():
            raise BackupError(f"{db.path} already exists: restore only into a new database")
    else:
        try:
            tables = await _postgres_table_count(db)
        except Exception as exc:
            raise BackupError(f"cannot reach the database to restore into: {type(exc).__name__}: {exc}") from None
        if tables:
            raise BackupError(
                f"database {(db.env or {}).get('PGDATABASE')} already has {tables} table(s): "
                "restore only into a new, empty database (createdb)"
            )


def _has_entries(path: Path) -> bool:
    return path.exists() and (not path.is_dir() or any(path.iterdir()))


async def _restore_files(source: FileStore, target: FileStore, digests: list[str]) -> None:
    for digest in digests:
        try:
            data = await source.read(digest)
        except FileNotFoundError:
            raise BackupError(f"stored file {digest[:12]}… is listed in the manifest but missing: the backup is damaged") from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise BackupError(f"stored file {digest[:12]}… does not match its name: the backup is damaged")
        await target.put(data)


def _restore_sqlite(dump: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX)
    os.close(fd)
    try:
        src = sqlite3.connect(dump)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _put_in_place(staging: Path, files_dir: Path) -> None:
    if any(staging.iterdir()):
        os.replace(staging, files_dir)
