"""Per-code-point tables (numpy bool arrays indexed by `ord`) for Python's own character classes.

Built once per process from Python's `re` and `unicodedata`, so counting and splitting on code
points in numpy means exactly what the same Python pattern means (and follows its Unicode version).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np

SIZE = 0x110000
# Where combining marks live: all of them are below U+20000 or in plane 14 (variation selectors);
# a test checks this against every code point.
_MARK_PLANES = ((0, 0x20000), (0xE0000, 0xF0000))


def points(text: str) -> np.ndarray:
    """The code points of `text` as an array (of bytes for ASCII text; lone surrogates kept)."""
    if text.isascii():
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def text(points: np.ndarray) -> str:
    """The string of an array of code points (`points` back)."""
    if points.dtype == np.uint8:
        return points.tobytes().decode("ascii")
    return points.astype(np.uint32, copy=False).tobytes().decode("utf-32-le", "surrogatepass")


@lru_cache(maxsize=1)
def _every_character() -> str:
    # decoded from an array of code points: 16 times faster than joining a million chr() results
    return text(np.arange(SIZE, dtype=np.uint32))


@lru_cache(maxsize=None)
def table(pattern: str) -> np.ndarray:
    """Per code point: does the Python `pattern` (one character class, e.g. `\\w`) match it?"""
    out = np.zeros(SIZE, dtype=bool)
    for m in re.finditer(f"(?:{pattern})+", _every_character()):
        out[m.start():m.end()] = True
    out.flags.writeable = False
    return out


@lru_cache(maxsize=1)
def marks() -> np.ndarray:
    """Per code point: a combining mark (Unicode category M*)."""
    out = np.zeros(SIZE, dtype=bool)
    for lo, hi in _MARK_PLANES:
        out[lo:hi] = np.fromiter((unicodedata.category(chr(i))[0] == "M" for i in range(lo, hi)),
                                 dtype=bool, count=hi - lo)
    out.flags.writeable = False
    return out
