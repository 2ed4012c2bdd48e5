"""The embedded engine: an ordered map over a process pool, or in-process for small inputs."""
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


def map_ordered(fn: Callable[[T], R], items: Sequence[T], cfg: EngineConfig,
                docs: int | None = None) -> Iterator[R]:
    """fn over items, results in input order; in-process when small or single-worker.

    Results come back in order so every later step (and the release) is deterministic whatever
    the number of workers. `docs`: how many documents the items hold (default: one each), for
    the in-process threshold.
    """
    n = workers(cfg)
    if n <= 1 or (len(items) if docs is None else docs) < cfg.min_parallel_docs:
        yield from map(fn, items)
        return
    chunk = max(1, min(64, len(items) // (n * 8)))
    with ProcessPoolExecutor(max_workers=n) as pool:
        yield from pool.map(fn, items, chunksize=chunk)


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
