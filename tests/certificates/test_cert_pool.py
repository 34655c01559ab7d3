"""The reader's worker pool on its own: a killed worker takes neither the pool nor a later read down."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from certificates.errors import UnsupportedFile
from certificates.pool import ReaderCrashed, ReaderPool
from tests.builders.paths import SAMPLE_CERTIFICATE
from tests.builders.reader_pool import busy_worker, worker_pids


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


@pytest.mark.skipif(not SAMPLE_CERTIFICATE.exists(), reason="shared sample certificate not found")
async def test_a_worker_killed_holding_the_task_lock_does_not_wedge_the_pool() -> None:
    # A worker killed while taking a task from the pipe never releases pebble's channel
    # lock (pebble issue #163): its replacement waits on it for ever. Here the test holds
    # the lock, as the dead worker would, and kills the worker mid-read.
    async with ReaderPool(workers=1, timeout=60) as pool:
        reading = asyncio.create_task(pool.read(SAMPLE_CERTIFICATE.read_bytes(), "sample.png"))
        for _ in range(3000):
            victim = busy_worker(pool)
            if victim:
                break
            await asyncio.sleep(0.01)
        mutex = pool._pool._pool_manager.worker_manager.workers_channel.mutex
        held = (mutex.reader_mutex, mutex.writer_mutex)  # pebble drops its references on close
        assert mutex.acquire(timeout=30)
        try:
            os.kill(victim, signal.SIGKILL)
            with pytest.raises(ReaderCrashed):
                await reading
            with pytest.raises(UnsupportedFile):
                await asyncio.wait_for(pool.read(b"not an image at all", "x.bin"), timeout=60)
        finally:
            for lock in held:
                lock.release()
