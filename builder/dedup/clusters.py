"""Clusters from verified edges (union-find) and the deterministic choice of the kept document.

Documents of an earlier release are anchors: an anchor is always the kept document of its
cluster (a published story is never replaced by a later copy) and two anchors are never joined,
because both were already published as different stories.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np


class UnionFind:
    def __init__(self, n: int, anchored: np.ndarray):
        self.parent = list(range(n))
        self.anchored = [bool(x) for x in anchored]

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb or (self.anchored[ra] and self.anchored[rb]):
            return False
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.anchored[ra] = self.anchored[ra] or self.anchored[rb]
        return True


def components(n: int, edges: list[tuple[int, int, float]], anchored: np.ndarray) -> np.ndarray:
    """Root per node. Strongest edges first, so an anchor conflict drops the weaker link."""
    uf = UnionFind(n, anchored)
    for i, j, _ in sorted(edges, key=lambda e: (-e[2], e[0], e[1])):
        uf.union(i, j)
    return np.array([uf.find(x) for x in range(n)], dtype=np.int64)


@dataclass
class Member:
    """What the keep policy looks at for one document."""

    order: int                 # input position (anchors: before every input)
    length: int                # words of the dedup key
    published: float | None    # POSIX seconds, None when unknown or unparsable
    anchored: bool


def parse_time(value: str | None) -> float | None:
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.timestamp()


def keep_rank(m: Member, policy: str) -> tuple:
    """Sort key: the smallest is kept. Anchors first; ties always fall back to input order."""
    if policy == "longest":
        return (not m.anchored, -m.length, m.order)
    if policy == "earliest":
        return (not m.anchored, m.published is None, m.published or 0.0, m.order)
    return (not m.anchored, m.order)
