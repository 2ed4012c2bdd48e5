"""Stop-word lists per language (jusText's, shipped with trafilatura's dependency `justext`).

A page's language is guessed as the stop list that covers most of its words; the share of stop
words in a line is then the jusText signal for "this is running prose, not a menu or a label".
Both are computed for a batch of pages at once, on word ids (row numbers of the stop-word table).
"""
from __future__ import annotations

from functools import lru_cache
from itertools import chain

import justext
import numpy as np
import pyarrow as pa

from builder.jit import kernel

# Sample size for the language guess: enough words to be sure, few enough to stay cheap.
STOP_SAMPLE = 500


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, int], np.ndarray]:
    """Every stop word of every language (casefolded) -> its id, and an (ids + 1) x languages
    membership matrix whose last row (id -1: not a stop word) is empty. Languages are numbered
    alphabetically."""
    # Built with C-level dict and map calls: a Python loop over the 178,000 words took 0.45 s in
    # every process that cleans.
    langs = sorted(justext.get_stoplists())
    lists = [[w.casefold() for w in justext.get_stoplist(lang)] for lang in langs]
    words = list(chain.from_iterable(lists))
    rows = dict(zip(dict.fromkeys(words), range(len(words))))
    matrix = np.zeros((len(rows) + 1, len(langs)), dtype=bool)
    matrix[np.fromiter(map(rows.__getitem__, words), dtype=np.int64, count=len(words)),
           np.repeat(np.arange(len(langs)), [len(x) for x in lists])] = True
    return rows, matrix


def word_ids(words: pa.DictionaryArray) -> np.ndarray:
    """Per word (dictionary-encoded large strings), its stop-word id (-1 for none). Each distinct
    word is looked up once, by its UTF-8 bytes in a compiled hash table (a Python dict lookup of
    every distinct word cost ~0.07 ms a page)."""
    d = words.dictionary
    if not len(d):
        return np.full(len(words), -1, dtype=np.int64)
    _, offsets, data = d.buffers()
    ids = _lookup(np.frombuffer(offsets, dtype=np.int64)[d.offset:d.offset + len(d) + 1],
                  np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8), *_table())
    return ids[words.indices.to_numpy()]


@lru_cache(maxsize=1)
def _table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stop words in id order as UTF-8 (offsets, bytes), and an open-addressing hash table of
    their ids (-1: empty slot), at most a quarter full."""
    words = list(_index()[0])       # in id order
    encoded = [w.encode("utf-8", "surrogatepass") for w in words]
    offsets = np.zeros(len(words) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(b) for b in encoded])
    # writable, like the Arrow buffers `_lookup` hashes: one compiled `_hash` serves both
    data = np.frombuffer(bytearray(b"".join(encoded)), dtype=np.uint8)
    size = 1 << max(4, (4 * len(words)).bit_length())
    return offsets, data, _build(offsets, data, size)


_FNV_START = np.uint64(14695981039346656037)
_FNV_PRIME = np.uint64(1099511628211)


@kernel
def _hash(data, a, b):
    """FNV-1a of data[a:b]."""
    h = _FNV_START
    for i in range(a, b):
        h = (h ^ np.uint64(data[i])) * _FNV_PRIME
    return h


@kernel
def _build(offsets, data, size):
    slots = np.full(size, -1, dtype=np.int32)
    mask = np.uint64(size - 1)
    for k in range(len(offsets) - 1):
        j = np.int64(_hash(data, offsets[k], offsets[k + 1]) & mask)
        while slots[j] >= 0:
            j = (j + 1) & (size - 1)
        slots[j] = k
    return slots


@kernel
def _lookup(offsets, data, key_offsets, key_data, slots):
    """Per string data[offsets[i]:offsets[i + 1]], the id of the equal key, else -1."""
    out = np.full(len(offsets) - 1, -1, dtype=np.int64)
    size = len(slots)
    mask = np.uint64(size - 1)
    for i in range(len(offsets) - 1):
        a, b = offsets[i], offsets[i + 1]
        j = np.int64(_hash(data, a, b) & mask)
        while slots[j] >= 0:
            k = slots[j]
            ka, kb = key_offsets[k], key_offsets[k + 1]
            if kb - ka == b - a:
                same = True
                for t in range(b - a):
                    if key_data[ka + t] != data[a + t]:
                        same = False
                        break
                if same:
                    out[i] = k
                    break
            j = (j + 1) & (size - 1)
    return out


def languages(ids: np.ndarray, page: np.ndarray, pages: int) -> np.ndarray:
    """Per page, the language whose stop words are most frequent among its sampled words (given as
    word ids, -1 for other words, and the page of each); -1 when none is a stop word. Ties go to
    the first language alphabetically."""
    matrix = _index()[1]
    pointers, langs = _by_word()
    found = ids >= 0
    rows = matrix.shape[0]
    # Each distinct (page, word) once, with its count, then one vote per language of the word.
    key, counts = np.unique(page[found].astype(np.int64) * rows + ids[found], return_counts=True)
    pg, word = np.divmod(key, rows)
    start = pointers[word]
    width = pointers[word + 1] - start
    owner = np.repeat(np.arange(len(key)), width)
    pos = np.arange(len(owner)) - np.repeat(np.cumsum(width) - width, width) + start[owner]
    cols = matrix.shape[1]
    votes = np.bincount(pg[owner] * cols + langs[pos], weights=counts[owner], minlength=pages * cols)
    votes = votes.reshape(pages, cols)
    return np.where(votes.max(axis=1, initial=0) > 0, votes.argmax(axis=1), -1)


@lru_cache(maxsize=1)
def _by_word() -> tuple[np.ndarray, np.ndarray]:
    """The membership matrix as CSR: where each word's languages start, and the languages."""
    rows, langs = np.nonzero(_index()[1])
    return np.searchsorted(rows, np.arange(_index()[1].shape[0] + 1)), langs


def is_stop(ids: np.ndarray, lang: np.ndarray) -> np.ndarray:
    """Per word (id, -1 for none): is it a stop word of `lang` (its page's language, -1 for none)?"""
    matrix = _index()[1]
    return matrix[ids, lang] & (lang >= 0)
