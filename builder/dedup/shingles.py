"""Word shingles of the dedup key, hashed in bulk with numpy.

A document's dedup key is `builder.normalize.key` of its body without a leading dateline, so a
wire copy with another dateline is the same text. Digits are kept unless `fold_digits`: stories
that differ only in their figures are different stories by default.

Hashing 5-word shingles one Python call at a time costs more than all the MinHash work, so a
batch of keys is hashed at once: one polynomial prefix hash over the UTF-8 bytes of the batch,
from which every shingle's hash is a difference of two prefixes (exactly the hash of the
shingle's bytes "w1 w2 w3 w4 w5"), followed by the murmur3 64-bit finaliser to spread bits.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from builder.normalize import key, split_dateline

_M64 = (1 << 64) - 1
_SPACE, _NEWLINE = 32, 10
_CHUNK_BYTES = 1 << 18  # bytes hashed per numpy pass: keeps the temporaries to a few MB


def doc_key(text: str, fold_digits: bool = False) -> str:
    """The text dedup compares: the key of the body, a leading dateline removed."""
    _, _, body = split_dateline(text)
    return key(body, fold_digits)


def _mix64(h: np.ndarray) -> np.ndarray:
    """murmur3 fmix64, in place on a uint64 array (wrap-around arithmetic is intended)."""
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


def mix64(values: np.ndarray, salt: int = 0) -> np.ndarray:
    """A well-spread 64-bit hash of uint64 values (copy), salted."""
    h = values.astype(np.uint64, copy=True)
    h += np.uint64((salt * 0x9E3779B97F4A7C15) & _M64)
    return _mix64(h)


class _Powers:
    """P**i and P**-i mod 2**64 for the polynomial hash, grown on demand."""

    def __init__(self, seed: int):
        # an odd multiplier derived from the seed; odd so that it is invertible mod 2**64
        self.p = (int(mix64(np.array([seed], np.uint64), 1)[0]) | 1) & _M64
        self.pinv = pow(self.p, -1, 1 << 64)
        self.pw = np.ones(1, np.uint64)
        self.inv = np.ones(1, np.uint64)

    def upto(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.pw) < n + 1:
            size = max(n + 1, 2 * len(self.pw), _CHUNK_BYTES + 1)
            self.pw, self.inv = _geometric(self.p, size), _geometric(self.pinv, size)
        return self.pw, self.inv


def _geometric(base: int, size: int) -> np.ndarray:
    out = np.full(size, base, np.uint64)
    out[0] = 1
    return np.cumprod(out, out=out)


_POWERS: dict[int, _Powers] = {}  # per seed; a run uses one seed


def _powers(seed: int) -> _Powers:
    if seed not in _POWERS:
        _POWERS.clear()
        _POWERS[seed] = _Powers(seed)
    return _POWERS[seed]


@dataclass
class ShingleBatch:
    """Shingle hashes of a batch of documents, in document order then text order."""

    hashes: np.ndarray   # uint64, all documents concatenated
    offsets: np.ndarray  # int64 [n_docs + 1]: document d owns hashes[offsets[d]:offsets[d+1]]

    def of(self, d: int) -> np.ndarray:
        return self.hashes[self.offsets[d]:self.offsets[d + 1]]


def shingle_hashes(keys: list[str], size: int = 5, seed: int = 1) -> ShingleBatch:
    """Hash every `size`-word shingle of every key (a key shorter than `size` words is one shingle)."""
    powers = _powers(seed)
    encoded = [k.encode("utf-8") for k in keys]
    parts: list[np.ndarray] = []
    counts = np.zeros(len(keys), np.int64)
    start = 0
    while start < len(encoded):
        stop, nbytes = start, 0
        while stop < len(encoded) and (stop == start or nbytes + len(encoded[stop]) < _CHUNK_BYTES):
            nbytes += len(encoded[stop]) + 1
            stop += 1
        h, per_doc = _hash_chunk(encoded[start:stop], size, powers, seed)
        parts.append(h)
        counts[start:stop] = per_doc
        start = stop
    offsets = np.zeros(len(keys) + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    hashes = np.concatenate(parts) if parts else np.zeros(0, np.uint64)
    return ShingleBatch(hashes, offsets)


def _hash_chunk(encoded: list[bytes], size: int, powers: _Powers, seed: int) -> tuple[np.ndarray, np.ndarray]:
    n_docs = len(encoded)
    buf = np.frombuffer(b"\n".join(encoded), np.uint8)
    n = len(buf)
    if n == 0:
        return np.zeros(0, np.uint64), np.zeros(n_docs, np.int64)
    pw, inv = powers.upto(n)
    prefix = np.zeros(n + 1, np.uint64)
    weighted = buf.astype(np.uint64)
    weighted += np.uint64(1)
    weighted *= pw[:n]
    np.cumsum(weighted, out=prefix[1:])
    del weighted

    # keys are words joined by single spaces, documents by newlines: words sit between separators
    bounds = np.flatnonzero((buf == _SPACE) | (buf == _NEWLINE))
    starts = np.empty(len(bounds) + 1, np.int64)
    starts[0] = 0
    starts[1:] = bounds + 1
    ends = np.empty(len(bounds) + 1, np.int64)
    ends[:-1] = bounds
    ends[-1] = n
    tok_doc = np.zeros(len(bounds) + 1, np.int64)
    np.cumsum(buf[bounds] == _NEWLINE, out=tok_doc[1:])
    real = ends > starts  # an empty key leaves an empty slot between two newlines
    if not real.all():
        starts, ends, tok_doc = starts[real], ends[real], tok_doc[real]
    p_start, p_end, inv_start = prefix[starts], prefix[ends], inv[starts]

    def span_hash(first: np.ndarray | slice, last: np.ndarray | slice) -> np.ndarray:
        h = (p_end[last] - p_start[first]) * inv_start[first]
        h += (ends[last] - starts[first]).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        return h

    # every window of `size` tokens that stays inside one document is a shingle
    windows = len(starts) - size + 1
    if windows > 0:
        inside = tok_doc[size - 1:] == tok_doc[:windows]
        h = span_hash(slice(0, windows), slice(size - 1, None))[inside]
        h_doc = tok_doc[:windows][inside]
    else:
        h, h_doc = np.zeros(0, np.uint64), np.zeros(0, np.int64)
    # documents with 1..size-1 words: the whole key is one shingle
    n_tok = np.bincount(tok_doc, minlength=n_docs)
    short = np.flatnonzero((n_tok > 0) & (n_tok < size))
    if len(short):
        first = np.searchsorted(tok_doc, short)
        h = np.concatenate([h, span_hash(first, first + n_tok[short] - 1)])
        h_doc = np.concatenate([h_doc, short])
        order = np.argsort(h_doc, kind="stable")
        h, h_doc = h[order], h_doc[order]
    h += np.uint64(seed & _M64)
    per_doc = np.bincount(h_doc, minlength=n_docs).astype(np.int64)
    return _mix64(h), per_doc


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique by sorting (numpy's hash-based unique is many times slower on large integer arrays)."""
    s = np.sort(values)
    if len(s) < 2:
        return s
    keep = np.empty(len(s), bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]
