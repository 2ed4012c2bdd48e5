"""Finding a page's headline among its lines when the input gave none.

Evidence, strongest first:
1. a line that repeats the page's first line (the HTML <title>), or the part of it before a
   " | Site" / " - Site" suffix: that is the on-page headline;
2. a headline-like line just before the main text that shares most of its words with the first line;
3. a span quoted at least twice by the page's boilerplate (prompts such as "comment on <title>");
4. the nearest headline-like line just above the main text;
5. the longest part of a headline-like first line.
"""
from __future__ import annotations

import re
from collections import Counter

from builder.boilerplate.templates import QUOTED

SEPARATOR = re.compile(r"\s+[|\-–—:·•»/]+\s+")
WORD = re.compile(r"\w+")
_MAX_WORDS = 30        # a headline is short
_LOOKBACK = 100         # lines before the main text searched for the headline
_NEAR = 8              # lines above the main text searched for a headline without other evidence
_WEAK_OVERLAP = 0.3    # ... sharing at least this share of its words with the first line
_OVERLAP = 0.6         # share of a candidate's words found in the first line
_SITE_WORDS = 4        # a site name in a <title> has at most this many words
_SITE_SEPS = "|·•»/"


def _squash(s: str) -> str:
    return " ".join(s.split()).casefold()


def _headline_like(line: str) -> bool:
    n = len(WORD.findall(line))
    return 2 <= n <= _MAX_WORDS and not line.startswith(("- ", "* ", "|")) and not line.endswith((".", ",", ";"))


def find_title(lines: list[str], main_start: int, removed: list[str],
               furniture: set[int] = frozenset()) -> tuple[str | None, int | None]:
    """(title, index of the line that holds it or None) for a page given as lines.

    `furniture` holds indices of lines a specific rule removed (bylines, dates, menus): never titles."""
    idx = [i for i, l in enumerate(lines) if l and i not in furniture]
    if not idx:
        return None, None
    first_i = idx[0]
    first = lines[first_i]
    first_sq = _squash(first)
    # 1. the <title> repeated as the on-page headline (whole or before a site suffix)
    for i in idx[1:]:
        if i > main_start + 3:
            break
        s = _squash(lines[i])
        if len(s) >= 8 and _headline_like(lines[i]) and (
                s == first_sq or (first_sq.startswith(s) and SEPARATOR.match(first_sq[len(s):] + " x"))):
            return lines[i], i
    # 2. a headline-like line just before the main text, made of the first line's words
    first_words = set(WORD.findall(first_sq))
    for i in reversed([i for i in idx if max(first_i + 1, main_start - _LOOKBACK) <= i <= main_start]):
        w = WORD.findall(_squash(lines[i]))
        if _headline_like(lines[i]) and len(w) >= 3 and sum(x in first_words for x in w) >= _OVERLAP * len(w):
            return lines[i], i
    # 3. a span the boilerplate quotes more than once
    quoted = Counter(q[1:-1].strip() for line in removed for q in QUOTED.findall(line))
    for q, n in quoted.most_common(3):
        if n >= 2 and 2 <= len(WORD.findall(q)) <= _MAX_WORDS:
            return q, None
    # 4. the nearest headline-like line just above the main text (the on-page <h1>)
    for i in reversed([i for i in idx if max(first_i + 1, main_start - _NEAR) <= i < main_start]):
        w = WORD.findall(_squash(lines[i]))
        if _headline_like(lines[i]) and len(w) >= 3 and sum(x in first_words for x in w) >= _WEAK_OVERLAP * len(w):
            return lines[i], i
    # 5. the page's first line, without a site suffix (<title>; or the headline of extracted text)
    if _headline_like(first):
        return _strip_site(first), first_i
    return None, None


def _strip_site(line: str) -> str:
    """The line without short " | Site" suffixes (or, failing that, a short "Site | " prefix);
    a long part after a dash is the headline's own ("Title – and what it means")."""
    parts = SEPARATOR.split(line)
    seps = SEPARATOR.findall(line)
    short = [len(WORD.findall(p)) <= _SITE_WORDS for p in parts]
    end = len(parts)
    while end > 1 and short[end - 1]:
        end -= 1
    # A leading part is a site name only before a pipe-like separator: before a dash it is the headline.
    start = 1 if end == len(parts) and len(parts) > 1 and short[0] and seps[0].strip()[0] in _SITE_SEPS else 0
    out = parts[start]
    for sep, part in zip(seps[start:end - 1], parts[start + 1:end]):
        out += sep + part
    return out.strip() or line.strip()
