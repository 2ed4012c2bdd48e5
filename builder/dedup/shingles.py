"""Word shingles of the dedup key, hashed in bulk with numpy.

A document's dedup key is `builder.normalize.key` of its body without a leading dateline, so a
wire copy with another dateline is the same text. Digits are kept unless `fold_digits`: stories
that differ only in their figures are different stories by default. `key` runs a word regex
per document, the slowest step of a whole dedup run; `doc_keys` computes the same keys for a
batch with one pass over the code points in numpy (a test holds it equal to `key`).

Hashing 5-word shingles one Python call at a time costs more than all the MinHash work, so a
batch of keys is hashed at once: one polynomial prefix hash over the UTF-8 bytes of the batch,
from which every shingle's hash is a difference of two prefixes (exactly the hash of the
shingle's bytes "w1 w2 w3 w4 w5"), followed by the murmur3 64-bit finaliser to spread bits.
"""
from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import cache

import numpy as np

from builder.normalize import UNSPACED_RANGES, fold, split_dateline

_M64 = (1 << 64) - 1
_SPACE, _NEWLINE = 32, 10
_CHUNK_BYTES = 1 << 17  # bytes hashed per numpy pass: keeps the temporaries to about 1 MB each
_KEY_CHUNK_CHARS = 1 << 16  # characters keyed per numpy pass: its ~1 MB of temporaries stay in the cache


def _spans(items: list, limit: int):
    """(start, stop) of consecutive runs of items whose lengths (+1 separator each) stay under
    `limit`; a longer item is a run of its own."""
    start = 0
    while start < len(items):
        stop, total = start, 0
        while stop < len(items) and (stop == start or total + len(items[stop]) < limit):
            total += len(items[stop]) + 1
            stop += 1
        yield start, stop
        start = stop


def doc_key(text: str, fold_digits: bool = False) -> str:
    """The text dedup compares: `normalize.key` of the body, a leading dateline removed."""
    return doc_keys([text], fold_digits)[0]


def doc_keys(texts: list[str], fold_digits: bool = False) -> list[str]:
    """`doc_key` of every text, computed in bulk."""
    bodies = []
    for text in texts:
        _, _, body = split_dateline(text)
        bodies.append(body if unicodedata.is_normalized("NFC", body) else unicodedata.normalize("NFC", body))
    keys: list[str] = []
    for start, stop in _spans(bodies, _KEY_CHUNK_CHARS):
        keys += _words_joined(bodies[start:stop])
    return [fold(k) for k in keys] if fold_digits else keys


# Per code point, packed in one uint32 so that one lookup serves a whole text: its case folding
# (str.casefold) and whether that is a word character for the regex of `normalize.key`.
_FOLD = (1 << 21) - 1   # the first character of the folding
_GROW_SHIFT = 21        # 2 bits: the folding's further characters ("ß" -> "ss": 1)
_WORD_BIT = 1 << 23     # the first character of the folding is a word character
_ALONE_BIT = 1 << 24    # ... of a script without spaces: a word on its own (`normalize.key`)


@dataclass(frozen=True)
class _Tables:
    packed: np.ndarray      # uint32 [code points], as above (4.5 MB, built once in ~0.2 s)
    growing: np.ndarray     # uint32, sorted: the ~100 code points whose folding is longer
    rest: np.ndarray        # uint32 [len(growing), 2]: their further characters (0 = none)
    rest_word: np.ndarray   # bool [len(growing), 2]: which of those are word characters


_NON_WORD = re.compile(r"\W")


@cache
def _tables() -> _Tables:
    n = sys.maxunicode + 1
    packed = np.empty(n, np.uint32)
    rest: dict[int, str] = {}
    for lo in range(0, n, 1024):  # casefold works character by character: whole blocks at once
        block = "".join(map(chr, range(lo, min(lo + 1024, n))))
        first = block.casefold()
        grow: np.ndarray | int = 0
        if len(first) != len(block):
            each = [c.casefold() for c in block]
            first = "".join(f[0] for f in each)
            grow = np.array([len(f) - 1 for f in each], np.uint32)
            rest.update((lo + i, f[1:]) for i, f in enumerate(each) if len(f) > 1)
        word = np.frombuffer(_NON_WORD.sub("\0", first).encode("utf-32-le", "surrogatepass"), np.uint32) != 0
        points = np.frombuffer(first.encode("utf-32-le", "surrogatepass"), np.uint32)
        alone = word & np.logical_or.reduce([(points >= a) & (points <= b) for a, b in UNSPACED_RANGES])
        packed[lo:lo + len(block)] = points
        packed[lo:lo + len(block)] |= (grow << np.uint32(_GROW_SHIFT)) | np.where(word, np.uint32(_WORD_BIT), np.uint32(0))
        packed[lo:lo + len(block)] |= np.where(alone, np.uint32(_ALONE_BIT), np.uint32(0))
    growing = sorted(rest)
    more = [rest[g].ljust(2, "\0") for g in growing]
    return _Tables(packed, np.array(growing, np.uint32),
                   np.array([[ord(c) for c in m] for m in more], np.uint32).reshape(-1, 2),
                   np.array([[c != "\0" and not _NON_WORD.match(c) for c in m] for m in more], bool).reshape(-1, 2))


def _words_joined(bodies: list[str]) -> list[str]:
    """The casefolded words of each text joined by single spaces (what `normalize.key` builds)."""
    t = _tables()
    code = np.frombuffer("\n".join(bodies).encode("utf-32-le", "surrogatepass"), np.uint32)
    packed = np.take(t.packed, code)
    folded = packed & np.uint32(_FOLD)
    word = (packed & np.uint32(_WORD_BIT)) != 0
    alone = (packed & np.uint32(_ALONE_BIT)) != 0
    ends = np.cumsum([len(b) + 1 for b in bodies[:-1]], dtype=np.int64) - 1  # the joining newlines
    longer = np.flatnonzero(packed & np.uint32(3 << _GROW_SHIFT))
    if len(longer):  # "ß" -> "ss" and the like: the text gets longer
        row = np.searchsorted(t.growing, code[longer])
        more = np.arange(2) < ((packed[longer] >> np.uint32(_GROW_SHIFT)) & np.uint32(3))[:, None]
        at = np.broadcast_to(longer[:, None] + 1, more.shape)[more]
        folded = np.insert(folded, at, t.rest[row][more])
        word = np.insert(word, at, t.rest_word[row][more])
        alone = np.insert(alone, at, False)
        ends += np.searchsorted(at, ends, side="right")
    # a character of a script without spaces is a word of its own: a break before and after it
    split = np.flatnonzero((alone[:-1] | alone[1:]) & word[:-1] & word[1:]) + 1
    if len(split):
        folded = np.insert(folded, split, np.uint32(_SPACE))
        word = np.insert(word, split, False)
        ends += np.searchsorted(split, ends, side="right")
    # keep every word character and the first character after a word, which becomes its space
    keep = word.copy()
    keep[1:] |= word[:-1]
    chars = np.where(word, folded, np.uint32(_SPACE))
    # the joining newlines stay, to split the texts again (their own newlines are not words)
    keep[ends] = True
    chars[ends] = _NEWLINE
    return [k.rstrip(" ") for k in chars[keep].tobytes().decode("utf-32-le").split("\n")]


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
    words: np.ndarray    # int64 [n_docs]: words per key

    def of(self, d: int) -> np.ndarray:
        return self.hashes[self.offsets[d]:self.offsets[d + 1]]


def shingle_hashes(keys: list[str], size: int = 5, seed: int = 1) -> ShingleBatch:
    """Hash every `size`-word shingle of every key (a key shorter than `size` words is one shingle)."""
    powers = _powers(seed)
    encoded = [k.encode("utf-8") for k in keys]
    parts: list[np.ndarray] = []
    counts = np.zeros(len(keys), np.int64)
    words = np.zeros(len(keys), np.int64)
    for start, stop in _spans(encoded, _CHUNK_BYTES):
        h, counts[start:stop], words[start:stop] = _hash_chunk(encoded[start:stop], size, powers, seed)
        parts.append(h)
    offsets = np.zeros(len(keys) + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    hashes = np.concatenate(parts) if parts else np.zeros(0, np.uint64)
    return ShingleBatch(hashes, offsets, words)


def _hash_chunk(encoded: list[bytes], size: int, powers: _Powers,
                seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hashes, shingles per document, words per document)."""
    n_docs = len(encoded)
    buf = np.frombuffer(b"\n".join(encoded), np.uint8)
    n = len(buf)
    if n == 0:
        return np.zeros(0, np.uint64), np.zeros(n_docs, np.int64), np.zeros(n_docs, np.int64)
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
    return _mix64(h), per_doc, n_tok


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique by sorting (numpy's hash-based unique is many times slower on large integer arrays)."""
    s = np.sort(values)
    if len(s) < 2:
        return s
    keep = np.empty(len(s), bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]
