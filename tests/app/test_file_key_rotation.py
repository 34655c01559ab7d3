"""`rotate-file-key`: files sealed under key A (or stored before any key) end up under key B, on disk and in
S3, while a reader holding both keys reads every file throughout."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from storage.file_cipher import FileCipher
from storage.file_key_rotation import rotate_file_key
from storage.files import FileStore, FileUnreadable
from storage.files_in_s3 import S3Objects
from tests.builders.paths import REPO
from tests.fakes.s3_server import ACCESS_KEY, REGION, SECRET_KEY, LocalS3

KEY_A, KEY_B = Fernet.generate_key().decode(), Fernet.generate_key().decode()
CONTENTS = [b"\xff\xd8\xff\xe0 certificate %d " % i + os.urandom(2000) for i in range(12)]


@pytest.fixture(params=("disk", "s3"))
async def make_store(request, tmp_path: Path):
    """`make_store(key_setting)`: a store over the same files, holding the keys named."""
    made: list[FileStore] = []
    bucket = request.getfixturevalue("s3_server").new_bucket() if request.param == "s3" else None

    def make(keys: str | None) -> FileStore:
        if bucket is None:
            where: Path | S3Objects = tmp_path / "files"
        else:
            server: LocalS3 = request.getfixturevalue("s3_server")
            where = S3Objects(
                bucket, "files", endpoint_url=server.url, region=REGION,
                access_key_id=ACCESS_KEY, secret_access_key=SECRET_KEY,
            )
        store = FileStore(where, FileCipher.from_setting(keys))
        made.append(store)
        return store

    yield make
    for store in made:
        await store.close()


async def test_rotation_moves_every_file_to_the_new_key_while_reads_go_on(make_store):
    under_a, before_any_key = make_store(KEY_A), make_store(None)
    hashes = [(await under_a.put(data)).sha256 for data in CONTENTS[:-1]]
    hashes.append((await before_any_key.put(CONTENTS[-1])).sha256)  # stored before encryption was turned on
    both = make_store(f"{KEY_B},{KEY_A}")

    reads = 0

    async def keep_reading(done: asyncio.Event) -> None:
        nonlocal reads
        while not done.is_set():
            for sha, data in zip(hashes, CONTENTS):
                assert await both.read(sha) == data
                reads += 1

    done = asyncio.Event()
    reader = asyncio.create_task(keep_reading(done))
    await asyncio.sleep(0)
    report = await rotate_file_key(both)
    done.set()
    await reader
    assert reads > len(CONTENTS)  # reads ran while files were being replaced
    assert (report.rotated, report.sealed, report.current, report.unreadable) == (len(CONTENTS) - 1, 1, 0, [])

    only_b, only_a = make_store(KEY_B), make_store(KEY_A)
    for sha, data in zip(hashes, CONTENTS):
        assert await only_b.read(sha) == data
        with pytest.raises(FileUnreadable):
            await only_a.read(sha)
    again = await rotate_file_key(both)
    assert (again.rotated, again.sealed, again.current) == (0, 0, len(CONTENTS))


def test_the_command_rotates_the_configured_store(tmp_path):
    data_dir = tmp_path / "data"
    store = FileStore(data_dir / "files", FileCipher.from_setting(KEY_A))
    stored = store.put_sync(CONTENTS[0])
    env = {**os.environ, "DATA_DIR": str(data_dir), "FILE_ENCRYPTION_KEY": f"{KEY_B},{KEY_A}"}
    env.pop("FILE_STORE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "rotate-file-key"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "1 file(s) re-encrypted under the first key" in done.stdout
    assert FileCipher.from_setting(KEY_B).open(stored.path.read_bytes()) == CONTENTS[0]

    env.pop("FILE_ENCRYPTION_KEY")
    refused = subprocess.run(
        [sys.executable, "-m", "bot", "rotate-file-key"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 2 and "set FILE_ENCRYPTION_KEY" in refused.stderr


async def test_a_process_without_the_key_refuses_sealed_files_rather_than_misread_them(make_store):
    sealed = await make_store(KEY_A).put(CONTENTS[0])
    keyless = make_store(None)
    with pytest.raises(FileUnreadable):
        await keyless.read(sealed.sha256)
    with pytest.raises(FileUnreadable):
        await keyless.head(sealed.sha256, 8)  # not "a file that is no picture", which would get it deleted
