"""The masks of a page's lines for the site-template count, in one compiled pass per page.

What a mask hides (see `templates.mask`), defined by the regular expressions `templates.QUOTED`,
`DIGITS` and the month names `MONTH_WORDS`:
1. the page's title (a plain replacement, done in Python first);
2. quoted spans (`QUOTED`), only in a line that keeps `OWN_WORDS` words of its own;
3. in a line with a digit: month names (a whole word, with a following "."), then numbers
   (`DIGITS`: digits with inner ".", ",", ":" or "/").
Python's `re` took ~0.5 ms a page for this, line by line; the pass here follows the same
definitions character by character (a test checks it against the regular expressions).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from builder import codepoints
from builder.jit import kernel

PLACE = "\u2036"      # placeholders: PLACE + letter + PLACE
OWN_WORDS = 4         # words a line must keep besides masked quotes/titles
DIGITS = r"\d+(?:[.,:/]\d+)*"
MONTH_WORDS = ("jan", "januar", "january", "feb", "februar", "february", "mar", "march", "märz", "apr", "april",
               "aprıl", "mai", "maı", "may", "jun", "june", "juni", "junı", "jul", "juli", "julı", "july", "aug",
               "august", "sep", "sept", "september", "oct", "october", "okt", "oktober", "nov", "november", "dec",
               "december", "dez", "dezember")
# Quoted spans (`templates.QUOTED`): opening mark, the marks that close it (and may not occur
# inside), the fewest characters inside. At most 200 inside.
_QUOTES = (('"', '"', 2), ("“", "”", 2), ("„", "“”", 2), ("»", "«", 2), ("«", "»", 2), ("‘", "’", 2), ("'", "'", 8))
_QUOTE_MAX = 200


@lru_cache(maxsize=1)
def _tables() -> tuple:
    word, digit = codepoints.table(r"\w"), codepoints.table(r"\d")
    opens = np.full(codepoints.SIZE, -1, dtype=np.int64)
    closes = np.zeros((len(_QUOTES), 2), dtype=np.uint32)
    least = np.zeros(len(_QUOTES), dtype=np.int64)
    for k, (o, c, n) in enumerate(_QUOTES):
        opens[ord(o)] = k
        closes[k] = [ord(c[0]), ord(c[-1])]
        least[k] = n
    longest = max(map(len, MONTH_WORDS))
    months = np.zeros((len(MONTH_WORDS), longest), dtype=np.uint32)
    sizes = np.array([len(w) for w in MONTH_WORDS], dtype=np.int64)
    for k, w in enumerate(MONTH_WORDS):
        months[k, :len(w)] = [ord(ch) for ch in w]
    return word, digit, opens, closes, least, months, sizes


def mask_lines(plain: str, masked: str) -> list[str]:
    """The masks of a page's lines: `plain` is the page casefolded, `masked` the same with its
    title replaced (the same line breaks)."""
    # always a fresh (writable) array: read-only ones would make numba compile the pass once more
    points = [codepoints.points(t).astype(np.uint32) for t in (masked, plain)]
    return codepoints.text(_mask_page(*points, *_tables())).split("\n")


@kernel
def _mask_page(m, s, word, digit, opens, closes, least, months, sizes):
    """Line by line of `m` (title masked) and `s` (plain): quotes masked in m if the line keeps
    words of its own, else s; then months and numbers where the line has a digit."""
    out = np.empty(len(m) + len(s) + 1, dtype=np.uint32)
    quoted = np.empty(len(m) + 1, dtype=np.uint32)
    dated = np.empty(len(m) + len(s) + 1, dtype=np.uint32)
    o = mi = si = 0
    while True:
        me, se = mi, si
        while me < len(m) and m[me] != 10:
            me += 1
        while se < len(s) and s[se] != 10:
            se += 1
        q = _quote_spans(m, mi, me, quoted, opens, closes, least)
        own = _differs(quoted, q, s, si, se) and _own_words(quoted, q, word) >= OWN_WORDS
        src, a, b = (quoted, 0, q) if own else (s, si, se)
        if _has_digit(src, a, b, digit):
            k = _month_names(src, a, b, dated, word, months, sizes)
            o = _numbers(dated, k, out, o, digit)
        else:
            o = _copy(src, a, b, out, o)
        if me >= len(m):
            return out[:o]
        out[o] = 10
        o += 1
        mi, si = me + 1, se + 1


@kernel
def _quote_spans(m, a, b, dst, opens, closes, least):
    """`templates.QUOTED` replaced by PLACE Q PLACE in m[a:b], into dst; its length."""
    n = 0
    i = a
    while i < b:
        k = opens[m[i]]
        if k >= 0:
            j = i + 1
            while j < b and m[j] != closes[k, 0] and m[j] != closes[k, 1]:
                j += 1
            if j < b and least[k] <= j - i - 1 <= _QUOTE_MAX:
                dst[n], dst[n + 1], dst[n + 2] = 0x2036, 81, 0x2036     # PLACE Q PLACE
                n += 3
                i = j + 1
                continue
        dst[n] = m[i]
        n += 1
        i += 1
    return n


@kernel
def _differs(x, n, s, a, b):
    return n != b - a or not _same(x, 0, s, a, n)


@kernel
def _same(x, i, y, j, n):
    """Are x[i:i + n] and y[j:j + n] equal?"""
    for t in range(n):
        if x[i + t] != y[j + t]:
            return False
    return True


@kernel
def _own_words(x, n, word):
    """Runs of `\\w` (Python's `\\w+` matches) less half the placeholders' marks."""
    runs = marks = 0
    inside = False
    for i in range(n):
        w = word[x[i]]
        if w and not inside:
            runs += 1
        inside = w
        marks += x[i] == 0x2036
    return runs - marks // 2


@kernel
def _has_digit(x, a, b, digit):
    for i in range(a, b):
        if digit[x[i]]:
            return True
    return False


@kernel
def _month_names(x, a, b, dst, word, months, sizes):
    """A word (a whole run of `\\w`) that is a month name, and a "." after it, replaced by
    PLACE M PLACE: x[a:b] into dst; its length."""
    i, n = _copy_outside(x, a, b, word, dst, 0)
    while i < b:
        j = _run_end(x, i, b, word)
        if _is_month(x, i, j, months, sizes):
            dst[n], dst[n + 1], dst[n + 2] = 0x2036, 77, 0x2036     # PLACE M PLACE
            n += 3
            if j < b and x[j] == 46:
                j += 1
        else:
            n = _copy(x, i, j, dst, n)
        i, n = _copy_outside(x, j, b, word, dst, n)
    return n


@kernel
def _copy(x, i, end, dst, n):
    """x[i:end] appended to dst at n; the new length of dst. A loop, not a slice assignment: numba
    compiles a slice assignment's shape-mismatch error message (string formatting), ~2 s on the
    first run after an install."""
    for k in range(end - i):
        dst[n + k] = x[i + k]
    return n + max(end - i, 0)


@kernel
def _copy_outside(x, i, end, member, dst, n):
    """x[i:] up to the next `member` character (or `end`) appended to dst at n: (where the copy
    stopped, the new length of dst)."""
    while i < end and not member[x[i]]:
        dst[n] = x[i]
        n += 1
        i += 1
    return i, n


@kernel
def _run_end(x, i, end, member):
    """Where the run of `member` characters of x that starts at i ends (at `end` at the latest)."""
    while i < end and member[x[i]]:
        i += 1
    return i


@kernel
def _is_month(x, i, j, months, sizes):
    for k in range(len(sizes)):
        if sizes[k] == j - i and _same(months[k], 0, x, i, j - i):
            return True
    return False


@kernel
def _numbers(x, n, out, o, digit):
    """`DIGITS` replaced by "0": x[:n] appended to out at o; the new end."""
    i, o = _copy_outside(x, 0, n, digit, out, o)
    while i < n:
        j = _run_end(x, i, n, digit)
        while j + 1 < n and (x[j] == 46 or x[j] == 44 or x[j] == 58 or x[j] == 47) and digit[x[j + 1]]:
            j = _run_end(x, j + 1, n, digit)
        out[o] = 48
        i, o = _copy_outside(x, j, n, digit, out, o + 1)
    return o
