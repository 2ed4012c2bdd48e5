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
# Shingles per pass of the bin-minimum loop. The kernel is bound by memory traffic: a pass over
# the whole batch streams each temporary through RAM, a pass over ~1 MB of hashes keeps them in
# the L2 cache.
_CHUNK = 1 << 17
_CELLS = 1 << 12  # empty bins densified per step: bounds the [cells, probes] temporaries to ~2 MB


def _probes(num_perm: int, seed: int) -> np.ndarray:
    """[bin, probe] -> bin to borrow from; the same for every document (that is what makes it unbiased)."""
    grid = np.arange(_MAX_PROBES * num_perm, dtype=np.uint64)
    probes = (mix64(grid, seed + 7) % np.uint64(num_perm)).astype(np.int64).reshape(_MAX_PROBES, num_perm)
    return np.ascontiguousarray(probes.T)


_PROBES: dict[tuple[int, int], np.ndarray] = {}


def signatures(batch: ShingleBatch, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """uint32 [n_docs, num_perm]; a document without shingles gets all bins EMPTY."""
    offsets = batch.offsets
    n_docs = len(offsets) - 1
    counts = np.diff(offsets)
    h = batch.hashes  # already well mixed and seeded by shingle_hashes
    # the top bits pick the bin, the low 32 bits are the value (a view: no copy of the batch)
    low = h.view(np.uint32)[0::2] if np.little_endian else h.astype(np.uint32)
    base = np.arange(0, n_docs * num_perm, num_perm, dtype=np.int64)
    sig = np.full(n_docs * num_perm, EMPTY, np.uint32)
    # chunk boundaries at documents: the document holding each _CHUNK-th shingle starts a chunk
    cuts = np.unique(np.r_[np.searchsorted(offsets, np.arange(0, offsets[-1], _CHUNK), "right") - 1, n_docs])
    for d0, d1 in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
        start, stop = offsets[d0], offsets[d1]
        index = _bins(h[start:stop], num_perm)
        index += np.repeat(base[d0:d1], counts[d0:d1])
        np.minimum.at(sig, index, low[start:stop])
    sig = sig.reshape(n_docs, num_perm)
    _densify(sig, counts > 0, num_perm, seed)
    return sig


def _bins(h: np.ndarray, num_perm: int) -> np.ndarray:
    """int64 bin of each hash from its top bits."""
    if num_perm & (num_perm - 1) == 0:
        bins = h >> np.uint64(64 - num_perm.bit_length() + 1)
    else:  # multiply-shift range reduction of the top 32 bits
        bins = h >> np.uint64(32)
        bins *= np.uint64(num_perm)
        bins >>= np.uint64(32)
    return bins.view(np.int64)


def _densify(sig: np.ndarray, has_shingles: np.ndarray, num_perm: int, seed: int) -> None:
    rows = np.flatnonzero((sig == EMPTY).any(axis=1) & has_shingles)
    if not len(rows):
        return
    if (num_perm, seed) not in _PROBES:
        _PROBES.clear()
        _PROBES[num_perm, seed] = _probes(num_perm, seed)
    probes = _PROBES[num_perm, seed]
    sub = sig[rows]
    flat = sub.ravel()
    filled = flat != EMPTY
    empty = np.flatnonzero(~filled)
    col = empty % num_perm
    row_start = empty - col
    # most empty bins find a filled one at the first probe; only the others try the whole sequence
    src = probes[col, 0]
    todo = np.flatnonzero(~filled[row_start + src])
    for part in np.array_split(todo, -(-len(todo) // _CELLS)) if len(todo) else ():
        seq = probes[col[part]]                  # [cells, probes]: the bins each one tries, in order
        hit = filled[row_start[part, None] + seq]
        first = hit.argmax(axis=1)
        src[part] = seq[np.arange(len(part)), first]
        # very short documents: no probe hit, take the next non-empty bin to the right, cyclically
        miss = ~hit[np.arange(len(part)), first]
        if miss.any():
            src[part[miss]] = _next_filled(filled.reshape(sub.shape), empty[part[miss]] // num_perm, col[part[miss]])
    flat[empty] = flat[row_start + src]
    sig[rows] = sub


def _next_filled(filled: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    num_perm = filled.shape[1]
    # position j of a row twice over (j and j + K), infinite where the bin is empty; the suffix
    # minimum after column c is then the first filled bin to its right, wrapping around
    pos = np.where(np.tile(filled[r], 2), np.arange(2 * num_perm), 2 * num_perm)
    after = np.minimum.accumulate(pos[:, ::-1], axis=1)[:, ::-1]
    return after[np.arange(len(c)), c + 1] % num_perm


def jaccard_estimate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Share of agreeing bins, row-wise for [n, K] arrays (or one pair of [K] vectors)."""
    return (a == b).mean(axis=-1)
