"""The embedded engine: an ordered map over one process pool per pass, or in-process for small inputs."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from builder.config import EngineConfig

T = TypeVar("T")
R = TypeVar("R")


def workers(cfg: EngineConfig) -> int:
    return cfg.workers if cfg.workers > 0 else (os.cpu_count() or 1)


class Engine:
    """`map_ordered` calls of one pass share one process pool, started at the first call that is
    large enough and kept until `close`: the workers pay their start-up and `setup` once per
    pass, not once per window of documents.

    `setup` (picklable, no arguments) runs once in each worker, or once in this process when the
    work stays here; it is where a pass puts what every task shares (models, rules, templates),
    so tasks carry only their documents.
    """

    def __init__(self, cfg: EngineConfig, setup: Callable[[], None] | None = None):
        self.cfg, self.setup = cfg, setup
        self._pool: ProcessPoolExecutor | None = None
        self._local_ready = False

    def map_ordered(self, fn: Callable[[T], R], items: Sequence[T], docs: int | None = None) -> Iterator[R]:
        """fn over items, results in input order, whatever the number of workers (so every later
        step, and the release, is deterministic). `docs`: how many documents the work so far holds
        (default: one per item), for the in-process threshold."""
        n = workers(self.cfg)
        if self._pool is None and (n <= 1 or (len(items) if docs is None else docs) < self.cfg.min_parallel_docs):
            if self.setup is not None and not self._local_ready:
                self.setup()
                self._local_ready = True
            yield from map(fn, items)
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=n, initializer=self.setup)
        yield from self._pool.map(fn, items, chunksize=max(1, min(64, len(items) // (n * 8))))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
