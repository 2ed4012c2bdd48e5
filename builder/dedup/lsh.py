"""LSH banding: bands x rows from the threshold, band keys, and candidate pairs from shared keys.

A pair with Jaccard J agrees on one bin with probability J, so on all r rows of a band with J**r,
and becomes a candidate (agrees on at least one of b bands) with 1 - (1 - J**r)**b: the detection
curve. Candidates are only proposals (verification decides), so the split is chosen for recall:
the most selective rows count whose curve still reaches `recall` at the threshold. datasketch's
default instead balances false positives against false negatives and, for 0.8 at 128
permutations, detects only about 40% of the pairs sitting exactly at 0.8.
"""
from __future__ import annotations

import numpy as np

from builder.dedup.shingles import mix64


def detection_probability(j: float | np.ndarray, bands: int, rows: int) -> float | np.ndarray:
    """P(a pair at Jaccard j shares at least one band key)."""
    return 1.0 - (1.0 - np.asarray(j, dtype=float) ** rows) ** bands


def choose_bands(threshold: float, num_perm: int, recall: float = 0.98) -> tuple[int, int]:
    """(bands, rows) with bands * rows <= num_perm: the most rows that still detect `recall` at threshold."""
    best = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if detection_probability(threshold, bands, rows) >= recall:
            best = (bands, rows)
    return best


def detection_curve(bands: int, rows: int, points: int = 101) -> list[tuple[float, float]]:
    js = np.linspace(0.0, 1.0, points)
    return [(round(float(j), 4), round(float(p), 6)) for j, p in zip(js, detection_probability(js, bands, rows))]


def band_keys(sig: np.ndarray, bands: int, rows: int, seed: int = 1) -> np.ndarray:
    """uint32 [n_docs, bands]: one hash per band of `rows` signature values (band index mixed in).

    32 bits are enough: a chance collision only adds a candidate pair, which verification rejects.
    """
    n = sig.shape[0]
    x = sig[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    h = np.broadcast_to(mix64(np.arange(bands, dtype=np.uint64), seed + 11), (n, bands)).copy()
    for r in range(rows):
        h = mix64(h ^ x[:, :, r], r + 1)
    return (h >> np.uint64(32)).astype(np.uint32)


def candidate_pairs(keys: np.ndarray, max_bucket: int = 64) -> np.ndarray:
    """int64 [m, 2] unique (i, j), i < j, of rows sharing a key in some band column.

    A bucket holding more than `max_bucket` documents (a template page repeated everywhere) links
    each member only to its `max_bucket` next members in document order, not all pairs: the chain
    still joins what verification accepts, and the work stays linear in the bucket size.
    """
    n, bands = keys.shape
    found: list[np.ndarray] = []
    for b in range(bands):
        order = np.argsort(keys[:, b], kind="stable")
        k = keys[order, b]
        for d in range(1, min(max_bucket, n - 1) + 1):
            same = np.flatnonzero(k[d:] == k[:-d])
            if not len(same):
                break
            i, j = order[same], order[same + d]
            found.append(np.minimum(i, j) * n + np.maximum(i, j))
        if sum(len(f) for f in found) > 1_000_000:  # a pair recurs in many bands: fold repeats early
            found = [np.unique(np.concatenate(found))]
    if not found:
        return np.zeros((0, 2), np.int64)
    code = np.unique(np.concatenate(found))
    return np.stack([code // n, code % n], axis=1)
