"""A pool of OCR worker processes for asyncio code, which survives its workers dying or hanging.

OCR takes about a second of CPU per file, so it never runs on the event loop:
``ReaderPool.read`` schedules the bytes on a ``pebble.ProcessPool`` and awaits
its future through ``asyncio.wrap_future``.  Pebble, unlike the standard
``ProcessPoolExecutor`` (which breaks for good when one worker dies), replaces a
dead worker and fails only the read that was running on it
(:class:`ReaderCrashed`), and kills and replaces a worker whose read runs past
the time limit (:class:`ReaderTimedOut`).  Either says nothing about the file
itself: callers must not treat it as the reader's verdict.

A worker killed while it holds the pool's channel lock (taking a task from the
pipe) leaves pebble's pool wedged: no worker can take a task again, and no
future fails (pebble issue #163).  So a pool that lost a worker is retired (its
running reads finish, new ones go to a fresh pool), and a read that no worker
has started while the pool made no progress for a read's time limit plus
``START_GRACE_SECONDS`` is taken back and scheduled on a fresh pool: no file
waits for ever on a dead worker's lock.

Like aiohttp-demos' moderator_bot, each worker warms up as it starts (modules
imported, catalog, Tesseract engines and the small models loaded, see
``warm_up.py``), so neither
the first user nor the one after a replacement waits for that.

Use it from an aiohttp ``cleanup_ctx``::

    async def reader_pool(app):
        async with ReaderPool() as pool:
            app[READER_POOL] = pool
            yield

Fault-injection seam (tests only): when the environment variable
``OCSC_TEST_POISON_SHA256`` is set in the workers, a worker reading a file with
that SHA-256 exits at once, as a worker the kernel kills for memory would.
Unset, as in production, it costs nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pebble import ProcessExpired, ProcessPool

from .extraction import Extraction
from .limits import ReaderLimits

logger = logging.getLogger(__name__)

POISON_ENV = "OCSC_TEST_POISON_SHA256"
DEFAULT_READ_TIMEOUT_SECONDS = 120.0
WARM_UP_WAIT_SECONDS = 120.0
# A queued read may wait for the reads ahead of it (each up to the time limit) and a
# worker's replacement (a spawn and a warm-up); past that, the pool is wedged.
START_GRACE_SECONDS = 45.0
START_POLL_SECONDS = 0.2


class ReaderCrashed(Exception):
    """The read did not finish because its worker process died; the file got no verdict."""

    outcome = "crashed"


class ReaderTimedOut(ReaderCrashed):
    """The read ran past the time limit; its worker was killed and replaced."""

    outcome = "timeout"


def _start_worker(ready: Any) -> None:
    """Pebble's initializer, run in every worker it starts, replacements included."""
    # One OpenMP thread, as each worker owns one core.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        _warm()
    except Exception:
        # A raising initializer makes the worker exit, and pebble treats an idle
        # worker's death as a broken pool; a cold worker still reads correctly.
        logger.exception("warming a certificate reader worker failed")
    ready.release()


def _warm() -> int:
    """Import the reader, load the catalog, engines and models and run Tesseract once; returns the worker's pid."""
    from .warm_up import warm_up

    warm_up()
    return os.getpid()


def _read(data: bytes, filename: str | None, catalog: Sequence[Any] | None, limits: ReaderLimits | None) -> Extraction:
    from .fingerprint import difference_hash
    from .stages import read_certificate

    poison = os.environ.get(POISON_ENV)
    if poison and hashlib.sha256(data).hexdigest() == poison:
        os._exit(1)
    extraction = read_certificate(data, filename, catalog=catalog, limits=limits)
    extraction.phash = difference_hash(data)
    return extraction


class ReaderPool:
    """Reads certificates in worker processes; one worker per core by default."""

    def __init__(
        self,
        workers: int | None = None,
        *,
        limits: ReaderLimits | None = None,
        mp_context: multiprocessing.context.BaseContext | None = None,
        timeout: float | None = DEFAULT_READ_TIMEOUT_SECONDS,
    ) -> None:
        """Create the pool (processes start on :meth:`start`); `timeout` bounds each read, in seconds."""
        self.workers = workers or os.cpu_count() or 1
        self.limits = limits
        self.timeout = timeout
        # "spawn": forking a process that runs an event loop and threads is unsafe.
        self._context = mp_context or multiprocessing.get_context("spawn")
        self._pool: ProcessPool | None = None
        self._ready: Any = None
        self._lock = threading.Lock()
        # When a read last started or ended in the current pool (monotonic seconds).
        self._moved_at = time.monotonic()

    def _new_pool(self) -> ProcessPool:
        """A running pebble pool whose workers signal `self._ready` once warm."""
        self._ready = self._context.Semaphore(0)
        pool = ProcessPool(
            max_workers=self.workers, context=self._context, initializer=_start_worker, initargs=(self._ready,)
        )
        pool.active  # noqa: B018 - pebble starts its workers on first use; start them now
        return pool

    def _running_pool(self) -> ProcessPool:
        """The pool, rebuilt if pebble gave it up (it does when a worker dies with no read running)."""
        with self._lock:
            if self._pool is None or not self._pool.active:
                broken, self._pool = self._pool, self._new_pool()
                if broken is not None:
                    logger.warning("certificate reader pool was broken; started a new one")
                    self._dispose(broken, graceful=False)
            return self._pool

    def _retire(self, pool: ProcessPool, why: str) -> None:
        """Send new reads to a fresh pool; `pool`'s running reads may still finish."""
        with self._lock:
            if self._pool is not pool:
                return  # another read retired it already
            self._pool = self._new_pool()
            self._moved_at = time.monotonic()
        logger.warning("certificate reader pool retired (%s); started a new one", why)
        self._dispose(pool, graceful=True)

    def _dispose(self, pool: ProcessPool, *, graceful: bool) -> None:
        """Stop a pool off the loop; a graceful one first gets a read's time limit to finish."""
        grace = (self.timeout or DEFAULT_READ_TIMEOUT_SECONDS) + 5 if graceful else 0

        def finish() -> None:
            pool.close() if grace else pool.stop()
            try:
                pool.join(timeout=grace or None)
            except TimeoutError:  # wedged: its workers wait on a dead worker's lock
                pool.stop()
                pool.join()

        threading.Thread(target=finish, name="reader-pool-dispose", daemon=True).start()

    async def start(self) -> None:
        """Start the workers and wait until each has warmed up."""
        if self._pool is not None:
            return
        pool = self._running_pool()
        ready = self._ready

        def wait_warm() -> int:
            warmed, deadline = 0, time.monotonic() + WARM_UP_WAIT_SECONDS
            # Give up early if the workers die while starting: reads rebuild the pool.
            while warmed < self.workers and time.monotonic() < deadline and pool.active:
                warmed += bool(ready.acquire(timeout=0.5))
            return warmed

        warmed = await asyncio.get_running_loop().run_in_executor(None, wait_warm)
        logger.info("certificate reader pool ready: %d workers (%d warmed)", self.workers, warmed)

    async def read(
        self, data: bytes, filename: str | None = None, *, catalog: Sequence[Any] | None = None
    ) -> Extraction:
        """Read one certificate in a worker.

        Raises the reader's CertificateError subclasses (verdicts on the file), and
        ReaderCrashed / ReaderTimedOut when the read ended without a verdict.
        """
        if self._pool is None:
            await self.start()
        args = (data, filename, list(catalog) if catalog is not None else None, self.limits)
        while True:
            pool = self._running_pool()
            try:
                future = pool.schedule(_read, args=args, timeout=self.timeout)
            except RuntimeError:  # closed or broken between the check and the call
                future = self._running_pool().schedule(_read, args=args, timeout=self.timeout)
            future.add_done_callback(self._moved)
            if await self._started(future, pool):
                break
        try:
            return await asyncio.wrap_future(future)
        except TimeoutError as exc:
            raise ReaderTimedOut(f"read exceeded {self.timeout} s") from exc
        except (ProcessExpired, BrokenProcessPool) as exc:
            # A dead worker may have held the channel lock: later reads go to a fresh pool.
            self._retire(pool, "a worker died")
            raise ReaderCrashed(str(exc)) from exc

    def _moved(self, _future: Any) -> None:
        self._moved_at = time.monotonic()

    async def _started(self, future: Any, pool: ProcessPool) -> bool:
        """Wait until a worker took the read (True), or take it back from a wedged pool (False)."""
        limit = (self.timeout or DEFAULT_READ_TIMEOUT_SECONDS) + START_GRACE_SECONDS
        while not (future.running() or future.done()):
            stalled = time.monotonic() - self._moved_at
            if (stalled > limit or self._pool is not pool) and future.cancel():
                # Not started, so nothing happened to the file: schedule it again.
                self._retire(pool, f"no read started or ended in {stalled:.0f} s")
                return False
            await asyncio.sleep(START_POLL_SECONDS)
        self._moved_at = time.monotonic()
        return True

    async def close(self) -> None:
        """Stop the workers (waits for running reads)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
            await asyncio.get_running_loop().run_in_executor(None, pool.join)

    async def __aenter__(self) -> ReaderPool:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
