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
    """Per word (dictionary-encoded), its stop-word id (-1 for none). Each distinct word is looked up once."""
    get = _index()[0].get
    ids = np.array([get(w, -1) for w in words.dictionary.to_pylist()], dtype=np.int64)
    return ids[words.indices.to_numpy()] if len(ids) else np.full(len(words), -1)


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
