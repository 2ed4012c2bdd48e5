"""Lines as Arrow columns, and Python regular expressions carried over to RE2 (Arrow's engine,
and google-re2's for the rules' screens, compiled once: `line_matches`).

The single-page features are computed for a batch of pages at once: their lines become one
Arrow string column and RE2 runs over it in C++, so Python touches only the few lines a test
flags. RE2's `\\w`, `\\d` and `\\s` are ASCII-only while Python's are Unicode:
- `tokens` splits lines into exactly the tokens of `words` (Python's `\\w`, from `str.isalnum`,
  with combining marks kept inside words), in one compiled pass over the code points;
- `screen` turns a rule's pattern into a cheap RE2 pattern that matches at least where Python's
  does (a superset: Unicode classes widened to all non-ASCII characters, word boundaries
  dropped); the lines it flags are then judged by the Python pattern itself. Constructs RE2
  lacks (lookarounds, backreferences, inline flags) give None: the caller runs `re` instead.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import re2

from builder import codepoints
from builder.jit import kernel

# Python's `\s` (str.isspace) as an RE2 class body; a test checks it over all code points.
SPACE = r"\t-\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
# Supersets of Python's classes, inside brackets: ASCII decides, any non-ASCII character may match.
_WIDE = {"w": r"0-9A-Za-z_\x{80}-\x{10ffff}", "W": r"\x00-/:-@\[-^`{-\x{10ffff}",
         "d": r"0-9\x{80}-\x{10ffff}", "D": r"\x00-/:-\x{10ffff}", "s": SPACE, "S": r"\x00-\x{10ffff}"}
_PART = re.compile(r"\\.|\[\^?\]?(?:\\.|[^\]\\])*\]|\(\?P<|\(\?:|\(\?|\{,|.", re.DOTALL)
_CLASS_ESCAPE = re.compile(r"\\.", re.DOTALL)


def _ranges(member: np.ndarray, fmt: str) -> str:
    edges = np.diff(member.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return "".join(fmt.format(s) + ("-" + fmt.format(e) if e > s else "") for s, e in zip(starts, ends))


@lru_cache(maxsize=1)
def _members() -> tuple[np.ndarray, np.ndarray]:
    """Per code point: Python's `\\w`, and combining marks that are not `\\w`."""
    word = codepoints.table(r"\w")
    return word, codepoints.marks() & ~word


@lru_cache(maxsize=1)
def _word_re() -> re.Pattern:
    return re.compile(f"\\w(?:\\w|[{_ranges(_members()[1], chr(92) + 'U{:08x}')}])*")


_ASCII_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The words of `text`: runs of `\\w` with the combining marks inside them. Python's `\\w+`
    alone cuts Hindi, Bengali or Thai words at every vowel sign ("में" would be "म")."""
    return _ASCII_WORD.findall(text) if text.isascii() else _word_re().findall(text)


# Facts about each line that the word pass notes on the way (`scan`), as bits:
SPACED = 1     # `" ".join(line.split())` would change it: a space other than " ", two in a row, one at an end
QUOTE = 2      # holds a quotation mark of `QUOTE_MARKS`
CLOSING_TAG = 4   # holds "</"
WIDE = 8       # holds a character of U+0E00-U+1FFF or from U+2E80 on: all of `UNSPACED` and `UNPUNCTUATED` lie there
ENDS = 16      # its last character is one of `END_MARKS` (said of the line's end only)
QUOTE_MARKS = "\"“„»«‘'"
# Sentence ends: Latin and CJK stops, the Devanagari danda, the Urdu and Armenian full stops, the
# Arabic question mark, and the full stops of Ethiopic, Khmer, Myanmar and Tibetan.
STOPS = ".!?。！？।॥۔؟։።។။།"
END_MARKS = STOPS + "…:;\"”’'»«)]"    # what ends a punctuated line (no letter casefolds to one)


def tokens(text: str) -> tuple[pa.LargeStringArray, np.ndarray]:
    """The tokens of `words` in every line of `text` (lines split at "\\n"), in order, as one Arrow
    column, and the line of each."""
    out, line, _ = scan(text)
    return out, line


def scan(text: str, points: np.ndarray | None = None) -> tuple[pa.LargeStringArray, np.ndarray, np.ndarray]:
    """`tokens`, and per line its facts (bits `SPACED`, `QUOTE`, `CLOSING_TAG`, `WIDE`, `ENDS`): one
    compiled pass over the code points with the `\\w`/mark tables. Casefolding `text` first changes no fact.
    `points`: the code points of `text` if the caller has them (`casefold`)."""
    word, mark = _members()
    if points is None:
        points = codepoints.points(text)
    offsets, values, line, facts = _split_words(points, word, mark, _facts())
    out = pa.LargeStringArray.from_buffers(len(line), pa.py_buffer(offsets), pa.py_buffer(values))
    return out, line, facts


def casefold(text: str) -> tuple[str, np.ndarray]:
    """`text.casefold()` and its code points, in one compiled pass over a table of Python's own
    casefold of each character (Python's casefold works character by character; on a batch of
    pages it took ~0.1 ms a page, as long as the word pass)."""
    if text.isascii():
        folded = text.lower()
        return folded, codepoints.points(folded)
    points = _fold(codepoints.points(text), *_fold_table())
    return codepoints.text(points), points


_FOLDED_BELOW = 0x20000    # no character from here on changes under casefold (a test checks all)


@lru_cache(maxsize=1)
def _fold_table() -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Per code point below `_FOLDED_BELOW`: where its casefold starts in the third array and how
    many characters it has (0: itself); and the most characters any casefold has."""
    at = np.zeros(_FOLDED_BELOW, dtype=np.int64)
    size = np.zeros(_FOLDED_BELOW, dtype=np.int64)
    chars: list[int] = []
    for c in range(_FOLDED_BELOW):
        f = chr(c).casefold()
        if f != chr(c):
            at[c], size[c] = len(chars), len(f)
            chars += map(ord, f)
    return at, size, np.array(chars, dtype=np.uint32), max(1, int(size.max()))


@kernel
def _fold(points, at, size, chars, longest):
    out = np.empty(longest * len(points), dtype=np.uint32)
    n = 0
    for i in range(len(points)):
        c = points[i]
        if c < len(size) and size[c]:
            for k in range(size[c]):
                out[n] = chars[at[c] + k]
                n += 1
        else:
            out[n] = c
            n += 1
    return out[:n]


@lru_cache(maxsize=1)
def _facts() -> np.ndarray:
    """Per code point, the fact bits it gives its line by itself (SPACED, QUOTE, WIDE), and ENDS
    for the characters that give it as a line's last."""
    table = np.zeros(codepoints.SIZE, dtype=np.uint8)
    table[[ord(c) for c in END_MARKS]] |= ENDS
    table[codepoints.table(r"\s")] |= SPACED
    table[[ord(" "), ord("\n")]] &= ~np.uint8(SPACED)
    table[[ord(q) for q in QUOTE_MARKS]] |= QUOTE
    table[0xE00:0x2000] |= WIDE
    table[0x2E80:] |= WIDE
    return table


@kernel
def _split_words(points, word, mark, facts_of):
    """(offsets, UTF-8 bytes, line) of the words in `points` (code points), and each line's facts
    (`facts_of`: the bits a code point gives by itself).
    A combining mark belongs to the word it follows: it takes the state of the last non-mark."""
    cap = len(points) // 2 + 1            # words are separated by at least one other character
    offsets = np.zeros(cap + 1, dtype=np.int64)
    line_of = np.empty(cap, dtype=np.int64)
    values = np.empty(4 * len(points), dtype=np.uint8)
    facts = np.zeros(len(points) + 1, dtype=np.uint8)   # a line per character at most; no count pass
    count = out = line = 0
    base = was = False                    # the last non-mark's state; the previous character's
    prev = 10                             # the previous character (a line starts after a break)
    f = 0                                 # the current line's facts (written at its end)
    for i in range(len(points)):
        c = points[i]
        if mark[c]:
            inside = base
        else:
            inside = base = word[c]
        if inside:
            if not was:
                offsets[count] = out
                line_of[count] = line
                count += 1
            out = _utf8(c, values, out)
        if c == 10:
            if prev == 32:
                f |= SPACED               # a space at the end
            facts[line] = f | (facts_of[prev] & ENDS)
            f = 0
            line += 1
        else:
            f |= facts_of[c] & ~ENDS
            if c == 32 and (prev == 32 or prev == 10):
                f |= SPACED               # two in a row, or one at the start
            elif c == 47 and prev == 60:
                f |= CLOSING_TAG
        was = inside
        prev = c
    if prev == 32:
        f |= SPACED
    facts[line] = f | (facts_of[prev] & ENDS)
    offsets[count] = out
    return offsets[:count + 1], values[:out], line_of[:count], facts[:line + 1]


@kernel
def _utf8(c, out, at):
    """Code point c as UTF-8 (surrogates as by "surrogatepass") into out at `at`; the new end."""
    if c < 0x80:
        out[at] = c
        return at + 1
    if c < 0x800:
        out[at] = 0xC0 | (c >> 6)
        out[at + 1] = 0x80 | (c & 0x3F)
        return at + 2
    if c < 0x10000:
        out[at] = 0xE0 | (c >> 12)
        out[at + 1] = 0x80 | ((c >> 6) & 0x3F)
        out[at + 2] = 0x80 | (c & 0x3F)
        return at + 3
    out[at] = 0xF0 | (c >> 18)
    out[at + 1] = 0x80 | ((c >> 12) & 0x3F)
    out[at + 2] = 0x80 | ((c >> 6) & 0x3F)
    out[at + 3] = 0x80 | (c & 0x3F)
    return at + 4


# Scripts written without spaces between words: a `\w+` token there is a phrase or a whole
# sentence, so words are counted from characters: (class, characters per word). Chinese words
# average under two characters; kana spell whole loanwords ("サイトマップ"); Thai-like scripts
# spell a word with several letters and marks.
UNSPACED = ((r"\p{Han}", 1.5), (r"\p{Hiragana}\p{Katakana}", 3.0),
            (r"\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Tibetan}", 4.0))


# Scripts that mark no sentence ends (Thai, Lao: a space ends a sentence): their lines count as punctuated.
UNPUNCTUATED = r"\p{Thai}\p{Lao}"


def unpunctuated(col: pa.Array, within: np.ndarray | None = None) -> np.ndarray:
    """Per line: are at least half its characters of a script without sentence punctuation?
    `within`: the only lines that may be (`WIDE` ones), or None for any."""
    out = np.zeros(len(col), dtype=bool)
    where = _matching(col, f"[{UNPUNCTUATED}]", within)
    if len(where):
        some = col.take(pa.array(where))
        chars = pc.count_substring_regex(some, f"[{UNPUNCTUATED}]").to_numpy(zero_copy_only=False)
        out[where] = 2 * chars >= pc.utf8_length(some).to_numpy(zero_copy_only=False)
    return out


def unspaced_words(col: pa.Array, within: np.ndarray | None = None) -> np.ndarray:
    """Per line: its characters of unspaced scripts, as a number of words. `within`: the only
    lines that may have some (`WIDE` ones), or None for any."""
    out = np.zeros(len(col), dtype=np.int64)
    where = _matching(col, "[" + "".join(c for c, _ in UNSPACED) + "]", within)
    if len(where):
        some = col.take(pa.array(where))
        counts = sum(pc.count_substring_regex(some, f"[{c}]").to_numpy(zero_copy_only=False) / per
                     for c, per in UNSPACED)
        out[where] = counts.astype(np.int64)
    return out


def _matching(col: pa.Array, pattern: str, within: np.ndarray | None) -> np.ndarray:
    """The numbers of the lines (among `within`, a mask, if given) where RE2 `pattern` matches."""
    if within is None:
        return np.flatnonzero(matches(col, pattern))
    where = np.flatnonzero(within)
    return where[matches(col.take(pa.array(where)), pattern)] if len(where) else where


def empty(col: pa.LargeStringArray) -> np.ndarray:
    """Per line of a column (no nulls): is it the empty string? Read from its offsets."""
    offsets = np.frombuffer(col.buffers()[1], dtype=np.int64)[col.offset:col.offset + len(col) + 1]
    return offsets[1:] == offsets[:-1]


def column(text: str) -> pa.LargeStringArray:
    """The lines of `text` (split at "\\n", as str.split does) as one Arrow column, built from the
    text's UTF-8 bytes without a Python object per line."""
    data = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)   # lone surrogates pass: none is a word character
    breaks = np.flatnonzero(data == 10)
    offsets = np.empty(len(breaks) + 2, dtype=np.int64)
    offsets[0] = 0
    offsets[1:-1] = breaks - np.arange(len(breaks))
    offsets[-1] = len(data) - len(breaks)
    values = data[data != 10] if len(breaks) else data
    return pa.LargeStringArray.from_buffers(len(breaks) + 1, pa.py_buffer(offsets), pa.py_buffer(values))


def matches(col: pa.Array, pattern: str | None) -> np.ndarray:
    """Per line: does the RE2 `pattern` match somewhere in it (all False for None)."""
    if pattern is None:
        return np.zeros(len(col), dtype=bool)
    return pc.match_substring_regex(col, pattern).to_numpy(zero_copy_only=False)


# Per compiled pattern, the memory its lazily built DFA may take. RE2's default (8 MB, what Arrow
# uses) is too little for the rules' largest screen, ~25 kB of case-insensitive alternatives:
# RE2 then keeps falling back to a matcher ~15x slower. Over clean-dev's and corpus-dev's pages the
# screens' DFAs grew to ~40 MB in all; this is a cap, for users' rules files that add more.
_DFA_MEMORY = 64 << 20


@lru_cache(maxsize=32)
def _program(pattern: str) -> re2._Regexp:
    """`pattern` compiled for `line_matches`: `^` and `$` at each line's edges (as are `\\A` and
    `\\z`), and no part of it matches a line break, so that no match spans two lines."""
    options = _options()
    options.never_nl = True
    parts = (m.group() for m in _PART.finditer(pattern))
    return re2.compile("(?m)" + "".join("^" if p == "\\A" else "$" if p == "\\z" else p for p in parts), options)


def _options() -> re2.Options:
    options = re2.Options()
    options.max_mem, options.log_errors = _DFA_MEMORY, False
    return options


def pattern_set(patterns: list[str]) -> re2.Set:
    """RE2 `patterns` as one set, searched at once: `Match(text)` (UTF-8 bytes) gives the indices
    of those matching somewhere in the text, or None."""
    out = re2.Set.SearchSet(_options())
    for p in patterns:
        out.Add(p)
    out.Compile()
    return out


def joined(lines: list[str]) -> tuple[bytes, list[int]]:
    """Lines (none holding a line break) as one UTF-8 text, "\\n" between them, and where each starts."""
    text = "\n".join(lines).encode("utf-8", "surrogatepass")      # as `column` encodes them
    return text, (np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == 10) + 1).tolist()


def line_matches(text: bytes, starts: list[int], pattern: str | None) -> np.ndarray:
    """Per line of a `joined` text: does the RE2 `pattern` match somewhere in it (all False for
    None)? `matches` over a column, but a pattern is compiled once per process and keeps its DFA:
    Arrow compiles it on every call, and the rules' largest screen took longer to compile (~20 ms)
    than to match a batch of 64 pages, and matched them 2-3x slower with a DFA started afresh."""
    hits = np.zeros(len(starts) + 1, dtype=bool)
    if pattern is None:
        return hits
    search, pos = _program(pattern).search, 0
    while (m := search(text, pos)) is not None:
        line = bisect_right(starts, m.start())
        hits[line] = True
        if line == len(starts):
            break
        pos = starts[line]      # the next line: one match a line is enough
    return hits


def screen(pattern: str, anchors: bool = True) -> str | None:
    """An RE2 pattern that matches every string the Python `pattern` matches (maybe more), or
    None when RE2 cannot express it. `anchors=False` also drops `^` and `\\A`: for a pattern
    Python searches in a line's tail only, screened on the whole line."""
    out = []
    for m in _PART.finditer(pattern):
        part = m.group()
        if part.startswith("[") and len(part) > 1:
            part = _screen_class(part)
            if part is None:
                return None
        elif part in ("(?", "{,"):
            return None                  # lookarounds, backreferences, inline flags; Python's {,n}
        elif part in ("\\b", "\\B") or (not anchors and part in ("^", "\\A")):
            part = ""
        elif part == "\\Z":
            part = "\\z"
        elif len(part) == 2 and part[0] == "\\" and part[1] in _WIDE:
            part = f"[{_WIDE[part[1]]}]"
        elif part[0] == "\\" and part[1:].isdigit():
            return None                  # a backreference
        elif part == "\\C":
            return None                  # any byte, a line break too
        out.append(part)
    rx = "".join(out)
    try:
        _program.__wrapped__(rx)    # not cached: the hundreds of rule patterns would push out the screens
    except re2.error:
        return None
    return rx


def _screen_class(part: str) -> str | None:
    """A bracketed class widened like `screen`; None for a shorthand inside a negated class
    (its complement would be narrower) or a POSIX-looking class (Python reads it differently)."""
    negated = part.startswith("[^")
    if "[:" in part[1:]:
        return None

    def widen(m: re.Match) -> str:
        if m.group()[1] in _WIDE:
            if negated:
                raise ValueError
            return _WIDE[m.group()[1]]
        return m.group()

    try:
        return _CLASS_ESCAPE.sub(widen, part)
    except ValueError:
        return None
