"""MinHash signatures: one-permutation hashing with optimal densification, vectorised.

Classic MinHash applies K hash functions to every shingle (K x n work per document); that is what
makes datasketch and per-token loops slow. One-permutation hashing (Li, Owen & Zhang 2012) hashes
each shingle once, splits the hash range into K bins and keeps the minimum per bin, so the work is
n + K. Bins that no shingle fell into are filled by optimal densification (Shrivastava 2017): an
empty bin borrows the minimum of the first non-empty bin on a fixed pseudo-random probe sequence
shared by all documents. For every bin, P(two documents agree) = their Jaccard similarity, the
same estimator and the same LSH banding theory as classic MinHash (a test checks the estimates
against datasketch's on the same shingle sets).
"""
from __future__ import annotations

import numpy as np

from builder.dedup.shingles import ShingleBatch, mix64

EMPTY = np.uint32(0xFFFFFFFF)
_MAX_PROBES = 64  # probes per empty bin before the deterministic fallback (next non-empty bin)


def _probes(num_perm: int, seed: int) -> np.ndarray:
    """[probe, bin] -> bin to borrow from; the same for every document (that is what makes it unbiased)."""
    grid = np.arange(_MAX_PROBES * num_perm, dtype=np.uint64)
    return (mix64(grid, seed + 7) % np.uint64(num_perm)).astype(np.int64).reshape(_MAX_PROBES, num_perm)


_PROBES: dict[tuple[int, int], np.ndarray] = {}


def signatures(batch: ShingleBatch, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """uint32 [n_docs, num_perm]; a document without shingles gets all bins EMPTY."""
    n_docs = len(batch.offsets) - 1
    h = batch.hashes  # already well mixed and seeded by shingle_hashes
    # the top bits pick the bin, the low 32 bits are the value
    if num_perm & (num_perm - 1) == 0:
        bins = h >> np.uint64(64 - num_perm.bit_length() + 1)
    else:  # multiply-shift range reduction of the top 32 bits
        bins = ((h >> np.uint64(32)) * np.uint64(num_perm)) >> np.uint64(32)
    index = bins.view(np.int64)
    index += np.repeat(np.arange(0, n_docs * num_perm, num_perm, dtype=np.int64), np.diff(batch.offsets))
    sig = np.full(n_docs * num_perm, EMPTY, np.uint32)
    np.minimum.at(sig, index, h.astype(np.uint32))
    sig = sig.reshape(n_docs, num_perm)
    _densify(sig, np.diff(batch.offsets) > 0, num_perm, seed)
    return sig


def _densify(sig: np.ndarray, has_shingles: np.ndarray, num_perm: int, seed: int) -> None:
    if (num_perm, seed) not in _PROBES:
        _PROBES.clear()
        _PROBES[num_perm, seed] = _probes(num_perm, seed)
    probes = _PROBES[num_perm, seed]
    empty = (sig == EMPTY) & has_shingles[:, None]
    rows, cols = np.nonzero(empty)
    if not len(rows):
        return
    filled = ~empty
    for t in range(_MAX_PROBES):
        src = probes[t, cols]
        hit = filled[rows, src]
        sig[rows[hit], cols[hit]] = sig[rows[hit], src[hit]]
        rows, cols = rows[~hit], cols[~hit]
        if not len(rows):
            return
    # very short documents: take the next non-empty bin to the right, cyclically
    for r, c in zip(rows.tolist(), cols.tolist()):
        nz = np.flatnonzero(filled[r])
        sig[r, c] = sig[r, nz[np.searchsorted(nz, c) % len(nz)]]


def jaccard_estimate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Share of agreeing bins, row-wise for [n, K] arrays (or one pair of [K] vectors)."""
    return (a == b).mean(axis=-1)
