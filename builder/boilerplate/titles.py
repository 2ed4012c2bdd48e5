"""Finding a page's headline among its lines when the input gave none.

Evidence, strongest first:
1. a line that repeats the page's first line (the HTML <title>), or the part of it before a
   " | Site" / " - Site" suffix: that is the on-page headline;
2. the best-scored headline-like line around the start of the main text: it shares its content
   words with the first line, is printed twice (or closes a breadcrumb), stands alone rather than
   in a run of menu or contents entries, is followed by the byline, and sits close to the text;
   the <title>'s spelling wins when the two differ only in their quotes;
3. a span quoted at least twice by the page's boilerplate (prompts such as "comment on <title>");
4. on text that starts right away (extracted text), the last headline-like line before the prose;
5. the longest part of a headline-like first line.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable

from builder.boilerplate.templates import QUOTED
from builder.normalize import UNSPACED

_HAN_KANA = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# " | ", " - " ...; Chinese and Japanese titles also join their parts without spaces ("标题_频道_网站",
# "見出し｜サイト"): an underscore, bar or dash between two of their characters is a separator there.
SEPARATOR = re.compile(rf"\s+[|\-–—:·•»/]+\s+|\s*｜\s*|(?<=[{_HAN_KANA}])(?:[_|]|[-–—]{{1,2}})(?=[{_HAN_KANA}])")
WORD = re.compile(r"\w+")
_UNSPACED = re.compile(f"[{UNSPACED}]")
_MAX_WORDS = 30        # a headline is short
_LOOKBACK = 100        # lines before the main text searched for the headline
_SITE_WORDS = 4        # a site name in a <title> has at most this many words
_SITE_SEPS = "|·•»/_｜"
_AFTER = 12           # lines after the start of the main text where the headline may still sit ...
_AFTER_MATCH = 0.7    # ... when this share of its words and of the <title>'s are shared
_AFTER_HEAD = 3       # ... and the page has more than this many lines above its main text
_MIN_SCORE = 0.5      # evidence a line needs to be taken for the headline
_MIN_SHARED = 0.3     # share of a candidate's content words found in the first line, at least
_REPEAT_NEAR = 8      # a headline printed twice has its copies this close
_CONTENT_CHARS = 4    # a shorter word (not a number) is a function word
_DISTANCE = 0.03      # score lost per line between a candidate and the main text ...
_MAX_DISTANCE = 40    # ... counted up to this many lines
_BYLINE_NEAR = 4      # a byline or date this many lines below a headline vouches for it
# Weights of the headline evidence (set by hand; checked on both halves of clean-dev's sites):
_W_SHARED = 1.5       # share of the candidate's content words found in the <title>
_W_COVER = 2.5        # share of the <title>'s headline words the candidate covers
_W_SHORT = 1.0        # a two-word line is rarely the headline
_W_REPEAT = 1.0       # printed twice nearby, or closing a breadcrumb
_W_RUN = 0.75         # per headline-like neighbour line: menus and contents come in runs
_W_NUMBERED = 1.0     # "3. Step three": a contents entry or a subheading
_W_BYLINE = 0.5
_PLAIN = str.maketrans("‘’‚‛“”„‟", "''''\"\"\"\"")
BREADCRUMB = re.compile(r"(\s[/»>›|]\s).+\1")   # "Home / Section / Headline"
ABBREVIATION = re.compile(r"\b(?:\w\.){2,}$")   # "... in the U.S." ends a headline
_ABBREVIATION_TAIL = 40   # characters: a run of 20 "x." pairs still matches within them
NUMBERED = re.compile(r"^\d{1,2}[.)]\s")


def _squash(s: str) -> str:
    return " ".join(s.split()).casefold()


def _words(line: str) -> int:
    """Words of a line; a Chinese or Japanese headline is one token, so its characters count (two a word)."""
    return len(WORD.findall(line)) + (0 if line.isascii() else len(_UNSPACED.findall(line)) // 2)


def _headline_like(line: str) -> bool:
    return _headline_shape(line) and 2 <= _words(line) <= _MAX_WORDS


def _headline_shape(line: str) -> bool:
    """The cheap part of `_headline_like`: no list marker, no sentence or clause end."""
    # ABBREVIATION is searched from near the end only (its `\b` still sees the character before):
    # from the start, it tried every position of every long paragraph ending in a full stop
    return not (line.startswith(("- ", "* ", "|")) or line.endswith((",", ";", "。", "，", "；", "।", "۔", "။", "។")) or (
        line.endswith(".") and not ABBREVIATION.search(line, max(len(line) - _ABBREVIATION_TAIL, 0))))


def _content(s: str) -> list[str]:
    """The words of `s` that carry meaning: shared short words ("the", "of", "und") are no evidence
    that two lines tell the same headline; numbers are."""
    return [w for w in WORD.findall(s) if len(w) >= _CONTENT_CHARS or w.isdigit()]


def find_title(lines: list[str], main_start: int, removed: list[str] | Callable[[], list[str]],
               furniture: set[int] = frozenset(), keys: list[str] | None = None) -> tuple[str | None, int | None]:
    """(title, index of the line that holds it or None) for a page given as lines.

    `removed`: the page's removed lines (or a function that lists them, called only when needed).
    `furniture` holds indices of lines a specific rule removed (bylines, dates, menus): never titles.
    `keys`: each line casefolded with its spaces collapsed (`Batch.keys`), or None to make them here."""
    # Lines below the main text's first `_AFTER` are never looked at: only the first line may lie there.
    near = range(min(len(lines), main_start + _AFTER + 1))
    idx = [i for i in near if lines[i] and i not in furniture] or [
        next((i for i in range(len(near), len(lines)) if lines[i] and i not in furniture), None)]
    if idx[0] is None:
        return None, None
    first_i = idx[0]
    first = lines[first_i]
    first_sq = _squash(first)
    # 1. the <title> repeated as the on-page headline (whole or before a site suffix)
    for i in idx[1:]:
        if i > main_start + 3:
            break
        if len(lines[i]) > len(first) + 2 or lines[i][:1].casefold() != first_sq[:1]:
            continue   # cheap test first: longer, or other first letter, it cannot be the <title>
        s = _squash(lines[i])
        if len(s) >= 8 and _headline_like(lines[i]) and (
                s == first_sq or (first_sq.startswith(s) and SEPARATOR.match(first_sq + " x", len(s)))):
            return lines[i], i
    # 2. the best-scored headline-like line around the start of the main text
    at = _best_candidate(lines, idx, first_i, main_start, furniture, keys)
    if at is not None:
        head = _strip_site(first)
        # The <title>'s headline but for its quotes or a space inside a word: keep the <title>'s
        # spelling; so too when the line only adds a subtitle after a dash or bar.
        h, line = _squash(head).translate(_PLAIN), _squash(lines[at]).translate(_PLAIN)
        same = h.replace(" ", "") == line.replace(" ", "") or (
            len(h) >= 8 and line.startswith(h) and SEPARATOR.match(line + " x", len(h)) is not None)
        return (head if same else lines[at]), at
    # 3. a span the boilerplate quotes more than once
    quoted = Counter(q[1:-1].strip() for line in (removed() if callable(removed) else removed)
                     for q in QUOTED.findall(line))
    for q, n in quoted.most_common(3):
        if n >= 2 and 2 <= _words(q) <= _MAX_WORDS:
            return q, None
    # 4. text that starts right away (an extracted page, no <title> line): its headline is the
    #    last headline-like line before the prose; what comes before it is a label ("Back to blog")
    if main_start <= first_i + _AFTER_HEAD:
        for i in reversed([i for i in idx if i < main_start]):
            if _headline_like(lines[i]) and _words(lines[i]) >= 3:
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
    short = [_words(p) <= _SITE_WORDS for p in parts]
    end = len(parts)
    while end > 1 and short[end - 1]:
        end -= 1
    # A leading part is a site name only before a pipe-like separator: before a dash it is the headline.
    start = 1 if end == len(parts) and len(parts) > 1 and short[0] and seps[0].strip()[0] in _SITE_SEPS else 0
    out = parts[start]
    for sep, part in zip(seps[start:end - 1], parts[start + 1:end]):
        out += sep + part
    return out.strip() or line.strip()


def _best_candidate(lines: list[str], idx: list[int], first_i: int, main_start: int,
                    furniture: set[int], keys: list[str] | None = None) -> int | None:
    """Index of the line most like the page's headline, or None when no line has enough evidence.

    The headline shares its words with the first line (the <title>), stands alone in its block,
    is often printed twice (breadcrumb, share prompt, the headline and its repeat) and sits just
    above the text, often followed by the byline; table-of-contents entries and menus come in runs."""
    lo = max(first_i + 1, main_start - _LOOKBACK)
    hi = min(len(lines), main_start + _AFTER + 1)
    window = [i for i in idx if lo <= i < hi]
    squashed = {i: keys[i] for i in window} if keys is not None else {i: _squash(lines[i]) for i in window}
    crumbs: list[str] | None = None     # the window's lines with a separator, once a candidate needs them
    first_words = set(_content(_squash(lines[first_i])))
    head_words = set(_content(_squash(_strip_site(lines[first_i]))))
    best, best_score = None, _MIN_SCORE
    before = [i for i in window if i < main_start]
    for i in window:
        line = lines[i]
        if not _headline_shape(line):
            continue
        s = squashed[i]
        # (a line without a word of the first line fails the `shared` test below; one that does
        # not even hold one as a substring needs no word split to tell)
        if not any(x in s for x in first_words):
            continue
        w = WORD.findall(s)
        if len(w) < 2 or first_words.isdisjoint(w) or not 2 <= _words(line) <= _MAX_WORDS:
            continue
        content = _content(s) or w
        shared = sum(x in first_words for x in content) / len(content)
        cover = len(set(w) & head_words) / max(len(head_words), 1)
        if shared < _MIN_SHARED or BREADCRUMB.search(line) or (
                i > main_start and (min(shared, cover) < _AFTER_MATCH or main_start <= first_i + _AFTER_HEAD)):
            continue
        score = _W_SHARED * shared + _W_COVER * cover
        if len(w) < 3:
            score -= _W_SHORT
        # printed twice near the text, or closing a breadcrumb ("Home / Section / Headline")
        if any(squashed.get(j) == s for j in range(i - _REPEAT_NEAR, i + _REPEAT_NEAR + 1) if j != i):
            score += _W_REPEAT
        else:
            if crumbs is None:
                crumbs = [o for o in squashed.values() if SEPARATOR.search(o)]
            if any(o != s and o.endswith(s) and SEPARATOR.search(o[:len(o) - len(s)] + "x") for o in crumbs):
                score += _W_REPEAT
        prev_l = lines[i - 1] if i > 0 else ""
        next_l = lines[i + 1] if i + 1 < len(lines) else ""
        run = sum(1 for n in (prev_l, next_l) if n and _headline_like(n) and _words(n) >= 2
                  and not (n.split() and _squash(n) == s))
        score -= _W_RUN * run
        if NUMBERED.match(line):
            score -= _W_NUMBERED
        if any(j in furniture for j in range(i + 1, min(i + _BYLINE_NEAR + 1, len(lines)))):
            score += _W_BYLINE   # the byline or date follows the headline
        # Lines (non-blank) to the main text; below its start they count double.
        d = len(before) - bisect_right(before, i) if i < main_start else 2 * (i - main_start + 1)
        score -= _DISTANCE * min(d, _MAX_DISTANCE)
        if score > best_score:
            best, best_score = i, score
    return best
