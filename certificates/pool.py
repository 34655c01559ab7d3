"""A pool of OCR worker processes for asyncio code.

OCR takes about a second of CPU per file, so it never runs on the event loop:
``ReaderPool.read`` hands the bytes to a ``ProcessPoolExecutor`` through
``loop.run_in_executor``.  Like aiohttp-demos' moderator_bot, the workers are
warmed up when the pool starts (modules imported, catalog loaded, Tesseract
and its Thai model paged in), so the first user does not wait for that.

Use it from an aiohttp ``cleanup_ctx``::

    async def reader_pool(app):
        async with ReaderPool() as pool:
            app[READER_POOL] = pool
            yield
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from .extraction import Extraction
from .limits import ReaderLimits

logger = logging.getLogger(__name__)


def _init_worker() -> None:
    """Run in each worker at start: one OpenMP thread, as each worker owns one core."""
    os.environ["OMP_THREAD_LIMIT"] = "1"


def _warm() -> int:
    """Import the reader, load the catalog and run Tesseract once; returns the worker's pid."""
    import numpy as np

    from .catalog import default_catalog
    from .ocr import ocr_lines, tesseract_available

    default_catalog()
    if tesseract_available():
        ocr_lines(np.full((48, 96), 255, np.uint8))
    return os.getpid()


def _read(data: bytes, filename: str | None, catalog: Sequence[Any] | None, limits: ReaderLimits | None) -> Extraction:
    from .fingerprint import difference_hash
    from .reader import read_certificate

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
    ) -> None:
        """Create the pool (processes start on :meth:`start`)."""
        self.workers = workers or os.cpu_count() or 1
        self.limits = limits
        # "spawn": forking a process that runs an event loop and threads is unsafe.
        self._context = mp_context or multiprocessing.get_context("spawn")
        self._executor: ProcessPoolExecutor | None = None

    async def start(self) -> None:
        """Start the workers and wait until each has warmed up."""
        if self._executor is not None:
            return
        self._executor = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=self._context, initializer=_init_worker
        )
        loop = asyncio.get_running_loop()
        pids = await asyncio.gather(*(loop.run_in_executor(self._executor, _warm) for _ in range(self.workers)))
        logger.info("certificate reader pool ready: %d workers (%d warmed)", self.workers, len(set(pids)))

    async def read(
        self, data: bytes, filename: str | None = None, *, catalog: Sequence[Any] | None = None
    ) -> Extraction:
        """Read one certificate in a worker; raises the reader's CertificateError subclasses."""
        if self._executor is None:
            await self.start()
        assert self._executor is not None
        loop = asyncio.get_running_loop()
        catalog_arg = list(catalog) if catalog is not None else None
        return await loop.run_in_executor(self._executor, _read, data, filename, catalog_arg, self.limits)

    async def close(self) -> None:
        """Stop the workers (waits for running reads)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.get_running_loop().run_in_executor(None, executor.shutdown, True)

    async def __aenter__(self) -> ReaderPool:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
