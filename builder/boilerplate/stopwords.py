"""Stop-word lists per language (jusText's, shipped with trafilatura's dependency `justext`).

A page's language is guessed as the stop list that covers most of its words; the share of stop
words in a line is then the jusText signal for "this is running prose, not a menu or a label".
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache

import justext
import numpy as np

# Sample size for the language guess: enough words to be sure, few enough to stay cheap.
STOP_SAMPLE = 500


@lru_cache(maxsize=1)
def _index() -> tuple[tuple[str, ...], dict[str, int], np.ndarray]:
    """Languages, word -> row, and a (words x languages) 0/1 matrix of stop-list membership."""
    langs = tuple(sorted(justext.get_stoplists()))
    rows: dict[str, int] = {}
    member: list[tuple[int, int]] = []
    for j, lang in enumerate(langs):
        for w in justext.get_stoplist(lang):
            member.append((rows.setdefault(w.casefold(), len(rows)), j))
    matrix = np.zeros((len(rows), len(langs)), dtype=np.float32)
    r, c = zip(*member)
    matrix[list(r), list(c)] = 1.0
    return langs, rows, matrix


@lru_cache(maxsize=256)
def _stoplist(lang: str) -> frozenset[str]:
    return frozenset(w.casefold() for w in justext.get_stoplist(lang))


def stoplist_for(words: list[str]) -> frozenset[str]:
    """The stop list of the language whose stop words are most frequent among `words` (casefolded)."""
    langs, rows, matrix = _index()
    counts = Counter(words[:STOP_SAMPLE])
    ids, weights = [], []
    for w, n in counts.items():
        i = rows.get(w)
        if i is not None:
            ids.append(i)
            weights.append(n)
    if not ids:
        return frozenset()
    votes = np.asarray(weights, dtype=np.float32) @ matrix[ids]
    return _stoplist(langs[int(np.argmax(votes))])   # argmax: first (alphabetical) language on ties
