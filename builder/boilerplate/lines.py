"""The single-page layer: find a page's main text among its lines, jusText/boilerpipe style.

Every non-blank line gets cheap generic features (words, stop-word share, sentence punctuation,
bullet, rule hits). Prose lines count for the main text, short labels and rule hits against it;
the main text is the line span with the largest total (a maximum-sum segment), so a few short
headings or captions inside an article cost little, while a long menu or footer ends it.
Inside that span, lines hit by a rule are still removed; outside it, everything goes.

The features of a batch of pages are computed together, over one Arrow column of all their lines
(`features_many`): word tokens, stop-word shares and pattern tests run in C++ (RE2, numpy), and
Python visits only the lines such a test flags, judging them with the same code as before.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain, pairwise
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from builder.boilerplate.columns import SPACE, column, matches, unpunctuated, unspaced_words, words
from builder.boilerplate.columns import tokens as tokens_of
from builder.boilerplate.rules import Rules
from builder.boilerplate.stopwords import STOP_SAMPLE, is_stop, languages, word_ids
from builder.boilerplate.templates import QUOTED

BULLET = re.compile(r"^(?:[-*•·▪►»›]|\d{1,2}[.)])\s")
_PROMPT_WORDS = 5   # a quoted span this long, quoted twice on a page (once by furniture), is a title quoted by prompts
_PROMPT_MAX = 60    # ... by lines of at most this many words
# Sentence ends: Latin and CJK stops, the Devanagari danda, the Urdu and Armenian full stops, the
# Arabic question mark, and the full stops of Ethiopic, Khmer, Myanmar and Tibetan.
_STOPS = ".!?。！？।॥۔؟։።។။།"
END_CHARS = frozenset(_STOPS + "…:;\"”’'»«)]")
MARKUP = re.compile(r"</?(?:p|h[1-6]|a|div|span|img|br|strong|em|li|ul|ol|figure|iframe|script)\b[^<>]*>", re.I)
SENTENCE_INSIDE = re.compile(f"[{_STOPS}][\"”’»)]?\\s+\\S")
# The same tests in RE2, for a column of lines (`columns.SPACE` is Python's \s); a bullet's first character.
_BULLET_START = "^[-*•·▪►»›0-9]"
_PUNCT = f"[{_STOPS}…:;\"”’'»«)\\]]$|[{_STOPS}][\"”’»)]?[{SPACE}]+[^{SPACE}]"     # END_CHARS last, or SENTENCE_INSIDE
_QUOTE = "[\"“„»«‘']"


@dataclass(frozen=True)
class Params:
    """Knobs of the line classifier. Set on principle and checked on two halves of clean-dev's
    sites (scripts/bench_clean.py --halves): the scores are flat around these values."""
    good_words: int = 10            # a prose line has at least this many words ...
    good_stop: float = 0.2          # ... and at least this share of stop words (when the language is known)
    punct_stop: float = 0.2         # stop-word share enough for a punctuated line of `good_words`
    min_main: float = 30.0          # a page whose best span scores less has no main text: keep all but rule hits
    long_words: int = 25            # this many words with stop words count as prose even without punctuation
    short_cost: float = 2.0         # cost of a short non-prose line inside the main text
    bullet_cost: float = 3.0        # cost of a short link-list bullet
    rule_cost: float = 8.0          # cost of a line hit by a drop rule
    cut_after: float = 0.5          # a "cut" heading ends the page once this share of prose words came before
    cut_density: float = 0.3        # ... or when the share of prose lines after it is below this share of that before it
    medium_words: int = 5           # a non-prose line of this many words with some stop words is text-like ...
    medium_stop: float = 0.15       # ... and costs `medium_cost` only
    medium_cost: float = 0.0        # (no cost: such lines neither extend nor end the main text)
    repeat_cost: float = 1.0        # a line repeated on the page costs this (per word when it is prose)
    repeat_min_words: int = 1       # ... when it has at least this many words
    menu_run: int = 6               # this many label-like lines in a row inside the main text are a menu (0 = off)
    menu_words: int = 4             # a label-like line has at most this many words and no end punctuation
    prose_offset: float = 10.0      # subtracted from a prose line's words: long paragraphs weigh more than blurbs
    soft_scale: float = 3.0         # a rule hit on a line up to this many times its word limit still counts against the main text
    rule_max_prose: int = 20        # a prose line longer than this survives a drop-rule hit inside the main text
    table_gain: float = 0.5         # a "| cell | cell |" table row counts slightly for the main text
    label_words: int = 3            # a line of at most this many words is label-like (menu item, button)
    extracted_share: float = 0.15   # pages with fewer label-like lines than this share are treated as extracted text
    extracted_edge: int = 3         # ... and so are pages whose prose starts within this many lines and ends
    extracted_tail: int = 5         # within this many lines of the end (no menu before, no footer after) ...
    extracted_labels: float = 0.35  # ... when fewer than this share of their lines are label-like
    extracted_rules: float = 0.03   # ... or when prose is at both edges and at most this share of lines hit a rule
    extracted_hits: int = 1         # ... and so are pages whose prose starts within `extracted_edge` lines with this
                                    # few rule hits (one can be a stray hit; menus before the prose make a page rendered)
    side_share: float = 0.3         # a run outside the main text scoring this share of it is kept too (0 = off)
    dense_share: float = 0.5        # short lines cost (1 - the page's prose share of words) / this, at most 1
    list_words: int = 20            # a line of this many words ...
    list_distinct: float = 0.2      # ... with fewer distinct words than this share is a flattened list
                                    # (select menu, archive months, tag cloud), not prose
    list_max: int = 1000            # ... unless longer than this (a whole page flattened into one line)
    resume_words: int = 50          # a "related" heading followed by this many words of prose in a line ...
    resume_lines: int = 2           # ... this many times is an inline box: the article goes on after it ...
    resume_within: int = 6          # ... when the first of them comes within this many lines of the heading
    markup_tags: int = 10           # a line with this many HTML tags is markup to copy (embed box), not text
    box_lines: int = 8              # a teaser box around a "related" heading inside the text has at most this many lines


class Line(NamedTuple):
    """One non-blank line's features (a tuple: made in bulk from the feature columns)."""
    text: str
    words: int
    stop: float
    prose: bool
    bullet: bool
    rule: str | None = None
    cut: str | None = None
    table: bool = False
    repeated: bool = False
    soft: bool = False              # looks like a prompt (wide rule hit, quotes the title): counts against the main text
    listing: bool = False           # a flattened list or markup (see Params.list_distinct): removed, neutral for the main text


def features(lines: list[str], rules: Rules, p: Params) -> list[Line | None]:
    """Features of each line; None for blank lines."""
    return features_many([lines], rules, p)[0]


def features_many(pages: list[list[str]], rules: Rules, p: Params) -> list[list[Line | None]]:
    """`features` of several pages, computed over all their lines at once."""
    lines = list(chain.from_iterable(pages))
    if not lines:
        return [[] for _ in pages]
    text = "\n".join(lines)
    folded = text.casefold()     # one casefold for all: it never makes or removes a line break
    col, fold_lines = column(text), folded.split("\n")
    if len(fold_lines) != len(lines):
        raise ValueError("features: a line holds a line break")
    tokens, parent = tokens_of(folded)
    tok = np.bincount(parent, minlength=len(lines))
    unspaced = unspaced_words(col)
    n = tok + unspaced     # words: a run of Chinese or Thai is one token but many words
    page = np.repeat(np.arange(len(pages)), [len(x) for x in pages])
    stop, known = _stop_shares(tokens, parent, page, n, unspaced, len(pages), p)
    bullet = matches(col, _BULLET_START)
    bullet = _recheck(bullet, bullet.copy(), lambda i: BULLET.match(lines[i]) is not None)
    long = n >= p.good_words
    # A list item's punctuation is that of its text after the marker.
    punct = _recheck(matches(col, _PUNCT), bullet & long, lambda i: _punctuated(lines[i][2:])) | unpunctuated(col)
    # Without stop words to tell (a language with no list), a line is prose only when punctuated:
    # an unpunctuated run of words there is as likely a flattened menu or archive list.
    prose = long & ((punct & (stop >= p.punct_stop)) | ((n >= p.long_words) & (stop >= p.good_stop) & known))
    count = tok.tolist()
    listing = _recheck(np.zeros(len(lines), dtype=bool), long & ~punct & (tok >= p.list_words) & (tok <= p.list_max),
                       lambda i: len(set(words(fold_lines[i]))) < p.list_distinct * count[i])
    markup = pc.match_substring(col, "</").to_numpy(zero_copy_only=False) & long & ~listing
    listing = _recheck(listing, markup, lambda i: len(MARKUP.findall(lines[i])) >= p.markup_tags)
    table = pc.starts_with(col, "|").to_numpy(zero_copy_only=False) & pc.ends_with(col, "|").to_numpy(zero_copy_only=False)
    verdicts = _judge(lines, fold_lines, col, tokens, parent, tok, bullet, rules, p)
    rule, cut, soft = [None] * len(lines), [None] * len(lines), [False] * len(lines)
    for i, (drop, wide, cut_rule) in verdicts.items():
        rule[i], soft[i], cut[i] = drop, wide is not None, cut_rule
    quoted = np.flatnonzero(matches(col, _QUOTE) & (n <= _PROMPT_MAX))
    for on_page in np.split(quoted, np.flatnonzero(np.diff(page[quoted])) + 1):
        _mark_prompts([(i, [q[1:-1].strip().casefold() for q in QUOTED.findall(lines[i])]) for i in on_page.tolist()],
                      soft)
    rows = zip(lines, n.tolist(), stop.tolist(), prose.tolist(), bullet.tolist(), rule, cut, table.tolist(),
               _repeated(col, page).tolist(), soft, listing.tolist())
    feats = [Line._make(row) if row[0] else None for row in rows]
    starts = np.cumsum([0] + [len(x) for x in pages]).tolist()
    return [feats[a:b] for a, b in pairwise(starts)]


def _recheck(flags: np.ndarray, where: np.ndarray, test: Callable[[int], bool]) -> np.ndarray:
    """`flags`, with the lines in `where` (the few a column test cannot decide) decided by `test`."""
    for i in np.flatnonzero(where).tolist():
        flags[i] = test(i)
    return flags


def _punctuated(text: str) -> bool:
    return text[-1] in END_CHARS or SENTENCE_INSIDE.search(text) is not None


def _judge(lines: list[str], fold_lines: list[str], col: pa.Array, tokens: pa.Array, parent: np.ndarray,
           n: np.ndarray, bullet: np.ndarray, rules: Rules, p: Params) -> dict[int, tuple]:
    """`Rules.judge` verdicts of the lines the rules' screens flag (the others are hit by no rule).
    A list item is judged without its marker."""
    judged = (n > 0) & (n <= rules.top_words * p.soft_scale)
    patterns = rules.screen.patterns(col, lines, bullet, judged)
    flagged = np.flatnonzero((rules.screen.words(tokens, parent, n, p.soft_scale) | patterns) & judged)
    verdicts = {}
    for i, pats, item in zip(flagged.tolist(), patterns[flagged].tolist(), bullet[flagged].tolist()):
        line = lines[i]
        verdicts[i] = rules.judge(line[2:] if item else line, words(fold_lines[i]), p.soft_scale, line, pats)
    return verdicts


def _stop_shares(tokens: pa.Array, parent: np.ndarray, page: np.ndarray, n: np.ndarray, unspaced: np.ndarray,
                 pages: int, p: Params) -> tuple[np.ndarray, np.ndarray]:
    """Per line, the share of its words that are stop words of its page's language (guessed from
    the page's first words), 0 for lines too short to matter, 1 on pages of no known language;
    and whether the language is known.
    `page` is each line's page; `unspaced` its words in scripts without spaces, which have no stop
    lists: a page written mostly in them has no known language (its few Latin words, product
    names, would pass for English)."""
    ids = word_ids(tokens)
    word_page = page[parent]
    first = np.searchsorted(word_page, np.arange(pages))      # each page's first word
    sample = np.arange(len(word_page)) < first[word_page] + STOP_SAMPLE
    lang = languages(ids[sample], word_page[sample], pages)
    mostly = np.bincount(page, weights=unspaced, minlength=pages) > 0.5 * np.bincount(page, weights=n, minlength=pages)
    lang[mostly] = -1
    hits = np.bincount(parent, weights=is_stop(ids, lang[word_page]), minlength=len(n))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n >= p.medium_words, hits / n, 0.0)
    known = lang[page] >= 0
    return np.where(known, share, 1.0), known


def _repeated(col: pa.Array, page: np.ndarray) -> np.ndarray:
    """Per line: is it printed more than once on its page?"""
    codes = col.dictionary_encode().indices.to_numpy().astype(np.int64)
    key = page * (int(codes.max()) + 1) + codes
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    return counts[inverse] > 1


def _mark_prompts(quotes: list[tuple[int, list[str]]], soft: list[bool]) -> None:
    """A span quoted by several lines of a page (line, spans), one of them furniture (`soft`), is
    the page's title quoted by prompts ("comment on <title>"): the other lines quoting it are
    prompts too. (A long paragraph that quotes it is text.)"""
    count = Counter(q for _, qs in quotes for q in qs)
    prompts = {q for i, qs in quotes if soft[i] for q in qs
               if count[q] >= 2 and len(words(q)) >= _PROMPT_WORDS}
    if prompts:
        for i, qs in quotes:
            soft[i] = soft[i] or not prompts.isdisjoint(qs)


def _with_pre(feats: list[Line | None], pre: list[str | None] | None) -> list[Line | None]:
    """The features with the verdicts of earlier layers as the lines' rules."""
    if not pre:
        return feats
    return [f._replace(rule=why) if f is not None and why else f for f, why in zip(feats, pre)]


def _weight(f: Line, p: Params, scale: float = 1.0) -> float:
    if f.rule or f.soft:
        return -p.rule_cost
    if f.repeated and f.words >= p.repeat_min_words and scale:
        return -p.repeat_cost * (f.words if f.prose else 1)
    if f.prose:
        return float(f.words) - p.prose_offset * scale
    if f.table:
        return p.table_gain
    if f.words >= p.medium_words and f.stop >= p.medium_stop:
        return -p.medium_cost * scale
    return -(p.bullet_cost if f.bullet else p.short_cost) * scale


def _trim_edges(feats: list[Line | None], rules: Rules, pre: list[str | None] | None,
                p: Params) -> tuple[list[str | None], int]:
    """Extracted text: cut the leading/trailing runs of prompts and notices and what follows a
    comments or "related" heading, keep all in between; and where the kept text starts."""
    feats = _with_pre(feats, pre)
    s, e = main_span(feats, p, extracted=True)
    s, e = _extend(feats, s, -1, -1), _extend(feats, e - 1, 1, len(feats)) + 1
    e = _cut(feats, rules, p, s, e, extracted=True)
    verdict: list[str | None] = []
    for i, f in enumerate(feats):
        if f is None:
            verdict.append(None)
        elif pre and pre[i]:
            verdict.append(pre[i])
        elif i < s or i >= e:
            verdict.append(f"rule:{f.rule}" if f.rule else "rule:before_main" if i < s else "rule:after_main")
        elif f.rule and not f.prose:
            # Inside, only what a rule is sure of: a short line, not a sentence that mentions it.
            verdict.append(f"rule:{f.rule}")
        elif f.listing:
            verdict.append("rule:word_list")
        else:
            verdict.append(None)
    return verdict, s


def _extend(feats: list[Line | None], i: int, step: int, stop: int) -> int:
    """Grow the main text from line i over lines no rule hits (lists, tables, headings).

    A bullet list that reaches a rule hit is a link list: it is given back whole."""
    last = i
    j = i + step
    while j != stop:
        f = feats[j]
        if f is not None:
            if f.rule or f.soft:
                k = last
                while k != i and feats[k] is not None and feats[k].bullet:
                    k -= step
                return k
            last = j
        j += step
    return last


def _menu_item(f: Line, p: Params) -> bool:
    return not f.prose and not f.table and f.words <= p.menu_words and f.text[-1] not in END_CHARS


def _scale(feats: list[Line | None], p: Params, extracted: bool) -> float:
    """How much short lines cost: nothing on extracted text, less on pages that are mostly prose."""
    if extracted:
        return 0.0
    total = sum(f.words for f in feats if f)
    prose = sum(f.words for f in feats if f and f.prose)
    return min(1.0, (1.0 - prose / total) / p.dense_share) if total else 1.0


def _best_run(feats: list[Line | None], p: Params, scale: float, lo: int, hi: int) -> tuple[float, int, int]:
    """(score, start, end) of the maximum-sum run of lines within [lo, hi)."""
    best, best_s, best_e = 0.0, lo, lo
    run, s = 0.0, lo
    for i in range(lo, hi):
        f = feats[i]
        if f is None:
            continue
        if run <= 0:
            run, s = 0.0, i
        run += _weight(f, p, scale)
        if run > best:
            best, best_s, best_e = run, s, i + 1
    return best, best_s, best_e


def main_span(feats: list[Line | None], p: Params, extracted: bool = False) -> tuple[int, int]:
    """[start, end) of the maximum-sum run of lines; the whole page when it has too little prose.

    On extracted text short lines are headings and list items: only rule hits count against it."""
    best, s, e = _best_run(feats, p, _scale(feats, p, extracted), 0, len(feats))
    if best < p.min_main:
        return 0, len(feats)
    return s, e


def side_runs(feats: list[Line | None], p: Params, s: int, e: int) -> list[tuple[int, int]]:
    """Runs outside the main text that score at least `side_share` of it: a second text block
    (an article split by a large advert or gallery), kept without the furniture between."""
    if not p.side_share:
        return []
    scale = _scale(feats, p, False)
    main = sum(_weight(f, p, scale) for f in feats[s:e] if f)
    out = []
    for lo, hi in ((0, s), (e, len(feats))):
        best, rs, re_ = _best_run(feats, p, scale, lo, hi)
        if best >= max(p.min_main, p.side_share * main):
            out.append((rs, re_))
    return out


def _extracted(feats: list[Line | None], p: Params) -> bool:
    """Is this an extractor's output (or a clean feed) rather than a whole rendered page?
    A rendered page has labels (menus, buttons) and furniture before and after its prose."""
    nonblank = [f for f in feats if f]
    if not nonblank:
        return False
    labels = sum(f.words <= p.label_words for f in nonblank) / len(nonblank)
    hits = sum(1 for f in nonblank if f.rule or f.soft)
    if labels < p.extracted_share or not hits:      # a rendered page has furniture a rule knows
        return True
    first = next((k for k, f in enumerate(nonblank) if f.prose), len(nonblank))
    if first > p.extracted_edge:
        return False
    if hits <= p.extracted_hits:     # prose from the top and a single rule hit: a stray one
        return True
    last = next((k for k, f in enumerate(reversed(nonblank)) if f.prose), len(nonblank))
    if labels < p.extracted_labels and last <= p.extracted_tail:
        return True
    # Lists and tables of short lines, but prose at both edges and hardly any furniture: still
    # an extractor's output.
    return last <= p.extracted_edge and hits <= p.extracted_rules * len(nonblank)


def _cut(feats: list[Line | None], rules: Rules, p: Params, s: int, e: int, extracted: bool = False) -> int:
    """Where the main text [s, e) ends at a "cut" heading (comments, related links), else e."""
    cuts = Counter(f.cut for f in feats[s:e] if f and f.cut and (not extracted or rules.in_extracted(f.cut)))
    if not cuts:
        return e
    sure = {c for c, k in cuts.items() if 0 < rules.sure_at(c) <= k}
    unsure = {c for c in cuts if rules.sure_at(c) and c not in sure}     # too few hits: ignored
    prose_total = sum(f.words for f in feats[s:e] if f and f.prose)
    lines_total = sum(1 for f in feats[s:e] if f)
    prose_lines = sum(1 for f in feats[s:e] if f and f.prose)
    seen = seen_lines = seen_prose = 0
    for i in range(s, e):
        f = feats[i]
        if f is None:
            continue
        if f.cut in cuts and seen_prose and f.cut not in unsure:
            # Honoured once most of the prose came before it, or when what follows is much less
            # dense in prose than what came before (teasers: headline, blurb, date, headline ...).
            after = (prose_lines - seen_prose) / max(lines_total - seen_lines, 1)
            if (seen >= p.cut_after * prose_total or f.cut in sure
                    or after < p.cut_density * seen_prose / seen_lines) and not (
                    not rules.in_extracted(f.cut) and _resumes(feats, i, e, p)):
                return i
        seen_lines += 1
        if f.prose:
            seen += f.words
            seen_prose += 1
    return e


def _inline_boxes(feats: list[Line | None], rules: Rules, p: Params, s: int, e: int) -> list[str | None]:
    """A "related"/"more news" heading inside the main text that does not end it heads or closes
    a box of teasers between paragraphs: the heading and the lines around it up to the nearest
    prose on either side go (at most `box_lines` of them)."""
    out: list[str | None] = [None] * len(feats)
    for i in range(s, e):
        f = feats[i]
        if f is None or not f.cut or f.prose or not rules.box(f.cut):
            continue
        run = [i]
        for step, stop in ((-1, s - 1), (1, e)):
            j = i + step
            while j != stop and (feats[j] is None or not feats[j].prose):
                if feats[j] is not None:
                    run.append(j)
                j += step
        if len(run) <= p.box_lines:
            for k in run:
                out[k] = out[k] or f.cut
    return out


def _resumes(feats: list[Line | None], i: int, e: int, p: Params) -> bool:
    """Whether the article goes on after an inline box ("Read next" + a teaser): long paragraphs
    follow it, which teaser blurbs never are."""
    after = [f for f in feats[i + 1:e] if f]
    long = [k for k, f in enumerate(after) if f.prose and f.words >= p.resume_words]
    return len(long) >= p.resume_lines and long[0] < p.resume_within


def classify(lines: list[str], rules: Rules, p: Params,
             pre: list[str | None] | None = None) -> tuple[list[str | None], int]:
    """Per line: None to keep, else the rule name that removes it; and where the main text starts.

    `pre` holds verdicts of earlier layers (site profile, learned template): those lines count as
    rule hits when locating the main text and stay removed.
    """
    return classify_features(features(lines, rules, p), rules, p, pre)


def classify_features(feats: list[Line | None], rules: Rules, p: Params,
                      pre: list[str | None] | None = None) -> tuple[list[str | None], int]:
    """`classify` of a page whose `features` are known."""
    if _extracted(feats, p):
        # Already extracted text (an extractor's output, a clean feed): its short lines are
        # headings and list items, not menus. Only trim the edges and what a rule is sure of.
        return _trim_edges(feats, rules, pre, p)
    feats = _with_pre(feats, pre)
    s, e = main_span(feats, p)
    side = side_runs(feats, p, s, e)
    e = _cut(feats, rules, p, s, e)
    # Runs of label-like lines inside the main text are menus or link lists.
    in_run = [False] * len(feats)
    if p.menu_run:
        i = s
        while i < e:
            j = i
            while j < e and (feats[j] is None or _menu_item(feats[j], p)):
                j += 1
            if sum(1 for f in feats[i:j] if f) >= p.menu_run:
                for k in range(i, j):
                    in_run[k] = True
            i = j + 1
    box = _inline_boxes(feats, rules, p, s, e)
    verdict: list[str | None] = []
    for i, f in enumerate(feats):
        if f is None:
            verdict.append(None)
        elif pre and pre[i]:
            verdict.append(pre[i])
        elif (i < s or i >= e) and not any(a <= i < b for a, b in side):
            # Outside the main text everything goes; name the most specific reason.
            verdict.append(f"rule:{f.rule}" if f.rule else "rule:link_bullet" if f.bullet and not f.prose
                           else "rule:before_main" if i < s else "rule:after_main")
        elif f.rule and not (f.prose and f.words > p.rule_max_prose):
            verdict.append(f"rule:{f.rule}")
        elif in_run[i]:
            verdict.append("rule:link_list")
        elif box[i]:
            verdict.append(f"rule:{box[i]}")
        elif f.listing:
            verdict.append("rule:word_list")
        else:
            verdict.append(None)
    return verdict, s
