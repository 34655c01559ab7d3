"""Looking inside the reader's worker pool: which worker processes exist and which one is reading."""

from __future__ import annotations

from certificates.pool import ReaderPool


def worker_pids(pool: ReaderPool) -> set[int]:
    """The pids of the pool's worker processes."""
    return set(pool._pool._pool_manager.worker_manager.workers) if pool._pool else set()


def busy_worker(pool: ReaderPool) -> int | None:
    """The pid of the worker running a read now (pebble's task table: worker_id is the pid)."""
    tasks = pool._pool._pool_manager.task_manager.tasks if pool._pool else {}
    return next((task.worker_id for task in list(tasks.values()) if task.worker_id), None)
