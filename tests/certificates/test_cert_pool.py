"""The reader's worker pool on its own: a worker killed between reads does not take the pool down."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from certificates.errors import UnsupportedFile
from certificates.pool import ReaderPool
from tests.builders.reader_pool import worker_pids


async def test_the_pool_outlives_an_idle_worker_killed_between_reads() -> None:
    # Pebble gives up a pool whose worker dies with no read running; ReaderPool starts a new one.
    async with ReaderPool(workers=1, timeout=60) as pool:
        for pid in worker_pids(pool):
            os.kill(pid, signal.SIGKILL)
        for _ in range(500):
            if not pool._pool.active:
                break
            await asyncio.sleep(0.01)
        with pytest.raises(UnsupportedFile):
            await pool.read(b"not an image at all", "x.bin")
