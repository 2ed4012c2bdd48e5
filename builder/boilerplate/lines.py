"""The single-page layer: find a page's main text among its lines, jusText/boilerpipe style.

Every non-blank line gets cheap generic features (words, stop-word share, sentence punctuation,
bullet, rule hits). Prose lines count for the main text, short labels and rule hits against it;
the main text is the line span with the largest total (a maximum-sum segment), so a few short
headings or captions inside an article cost little, while a long menu or footer ends it.
Inside that span, lines hit by a rule are still removed; outside it, everything goes.

The features of a batch of pages are computed together, over one Arrow column of all their lines
(`batch_features`): word tokens, stop-word shares and pattern tests run in C++ (RE2, numpy), and
Python visits only the lines such a test flags. The decisions over the features (the span, the
extracted-text test, cut headings, menus, teaser boxes) are compiled code in `locate`, run on the
columns of the whole batch (`classify_many`).
"""
from __future__ import annotations

import re
from collections import Counter, namedtuple
from collections.abc import Callable
from dataclasses import astuple, dataclass, fields
from functools import lru_cache
from itertools import chain, pairwise
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from builder.boilerplate.columns import (CLOSING_TAG, END_MARKS, ENDS, QUOTE, SPACE, SPACED, STOPS, WIDE, casefold, column,
                                         empty, matches, scan, unpunctuated, unspaced_words, words)
from builder.boilerplate.locate import (AFTER, BEFORE, BOX, KEEP, LINK_BULLET, LINK_LIST, PRE, RULE, WORD_LIST,
                                        Cols, CutRules, classify_pages)
from builder.boilerplate.rules import Rules
from builder.boilerplate.stopwords import STOP_SAMPLE, is_stop, languages, word_ids
from builder.boilerplate.templates import QUOTED

BULLET = re.compile(r"^(?:[-*•·▪►»›]|\d{1,2}[.)])\s")
_PROMPT_WORDS = 5   # a quoted span this long, quoted twice on a page (once by furniture), is a title quoted by prompts
_PROMPT_MAX = 60    # ... by lines of at most this many words
_LANG_LONG_WORDS = 50   # words on prose-long lines a page needs for its language to be guessed from them alone
END_CHARS = frozenset(END_MARKS)
MARKUP = re.compile(r"</?(?:p|h[1-6]|a|div|span|img|br|strong|em|li|ul|ol|figure|iframe|script)\b[^<>]*>", re.I)
SENTENCE_INSIDE = re.compile(f"[{STOPS}][\"”’»)]?\\s+\\S")
# The same tests in RE2, for a column of lines (`columns.SPACE` is Python's \s); a bullet's first character.
_BULLET_START = "^[-*•·▪►»›0-9]"
_SENTENCE_INSIDE = f"[{STOPS}][\"”’»)]?[{SPACE}]+[^{SPACE}]"     # SENTENCE_INSIDE (an END_MARKS end is the ENDS fact)


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
    cut_min_words: int = 50         # ... unless fewer prose words than this came before it and more come after
                                    # (a teaser paragraph, then an author box heading the article: not its end)
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
    table_gain: float = 0.5         # a "| cell | cell |" table row counts slightly for the main text ...
    table_numbers: int = 3          # ... and so does a row of a table rendered without bars: a line with this many
    table_number_share: float = 0.4 # numbers, this share of its words, in a run of `table_rows` such lines
    table_rows: int = 4             # (blank lines between them allowed): standings, prices, schedules
    label_words: int = 3            # a line of at most this many words is label-like (menu item, button)
    extracted_share: float = 0.15   # pages with fewer label-like lines than this share are treated as extracted text
    extracted_edge: int = 3         # ... and so are pages whose prose starts within this many lines and ends
    extracted_tail: int = 5         # within this many lines of the end (no menu before, no footer after) ...
    extracted_labels: float = 0.35  # ... when fewer than this share of their lines are label-like
    extracted_hit_share: float = 0.3  # ... and at most this share hit a rule (menus, prompts, ads: a rendered page)
    extracted_rules: float = 0.03   # ... or when prose is at both edges and at most this share of lines hit a rule
    extracted_hits: int = 1         # ... and so are pages whose prose starts within `extracted_edge` lines with this
                                    # few rule hits (one can be a stray hit; menus before the prose make a page rendered)
    menu_labels: int = 5            # a page no rule hits is a rendered one only with this many label-like lines before its prose
    side_share: float = 0.3         # a run outside the main text scoring this share of it is kept too (0 = off)
    dense_share: float = 0.5        # short lines cost (1 - the page's prose share of words) / this, at most 1
    list_words: int = 20            # a line of this many words ...
    list_distinct: float = 0.2      # ... with fewer distinct words than this share is a flattened list
                                    # (select menu, archive months, tag cloud), not prose
    list_max: int = 1000            # ... unless longer than this (a whole page flattened into one line)
    resume_words: int = 50          # a "related" heading followed by this many words of prose in a line ...
    resume_lines: int = 2           # ... this many times is an inline box: the article goes on after it ...
    resume_within: int = 8          # ... when the first of them comes within this many lines of the heading
                                    # (so an inline box of `box_lines` lines, its heading included, fits)
    markup_tags: int = 10           # a line with this many HTML tags is markup to copy (embed box), not text
    box_lines: int = 8              # a teaser box around a "related" heading inside the text has at most this many lines
    template_extend: bool = True    # on a page whose site template marks lines before and after the main text, the
                                    # text goes on downward to the next line a rule or the template removes or a label


class Line(NamedTuple):
    """One non-blank line's features, for inspection and tests (`features`); the cleaner itself
    works on the columns of a `Batch`."""
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


@dataclass
class Batch:
    """The features of a batch of pages as columns (`locate.Cols`), with the names the columns
    number: each line's drop rule, and the cut rules."""
    lines: list[str]
    starts: np.ndarray            # page j is lines [starts[j], starts[j + 1])
    cols: Cols
    rule: list[str | None]        # each line's drop rule
    cut_names: list[str]          # cut rule names, by the numbers in `cols.cut`
    cut_rules: CutRules
    keys: list[str]               # each line casefolded with its spaces collapsed, to compare lines


def features(lines: list[str], rules: Rules, p: Params) -> list[Line | None]:
    """Features of each line; None for blank lines."""
    return features_many([lines], rules, p)[0]


def features_many(pages: list[list[str]], rules: Rules, p: Params) -> list[list[Line | None]]:
    """`features` of several pages, computed over all their lines at once."""
    b = batch_features(pages, rules, p)
    c, cuts = b.cols, [None, *b.cut_names]
    rows = zip(b.lines, c.words.tolist(), c.stop.tolist(), c.prose.tolist(), c.bullet.tolist(), b.rule,
               [cuts[x + 1] for x in c.cut.tolist()], c.table.tolist(), c.repeated.tolist(), c.soft.tolist(),
               c.listing.tolist())
    feats = [Line._make(row) if row[0] else None for row in rows]
    return [feats[a:z] for a, z in pairwise(b.starts.tolist())]


def batch_features(pages: list[list[str]], rules: Rules, p: Params) -> Batch:
    """The features of all lines of several pages, computed over one column of their lines."""
    lines = list(chain.from_iterable(pages))
    starts = np.cumsum([0] + [len(x) for x in pages])
    if not lines:
        none = np.zeros(0, dtype=bool)
        cols = Cols(none, none.astype(np.int64), none.astype(float), *[none] * 8, none.astype(np.int64))
        return Batch(lines, starts, cols, [], [], _cut_rules([], rules), [])
    text = "\n".join(lines)
    folded, points = casefold(text)     # one casefold for all: it never makes or removes a line break
    col, fold_lines = column(text), folded.split("\n")
    if len(fold_lines) != len(lines):
        raise ValueError("features: a line holds a line break")
    tokens, parent, facts = scan(folded, points)
    wide = (facts & WIDE).astype(bool)
    tok = np.bincount(parent, minlength=len(lines))
    unspaced = unspaced_words(col, wide)
    n = tok + unspaced     # words: a run of Chinese or Thai is one token but many words
    page = np.repeat(np.arange(len(pages)), [len(x) for x in pages])
    codes = tokens.dictionary_encode()    # each distinct word looked up once
    stop, known = _stop_shares(codes, parent, page, n, unspaced, len(pages), p)
    bullet = matches(col, _BULLET_START)
    bullet = _recheck(bullet, bullet.copy(), lambda i: BULLET.match(lines[i]) is not None)
    long = n >= p.good_words
    # A list item's punctuation is that of its text after the marker.
    punct = (facts & ENDS).astype(bool) | matches(col, _SENTENCE_INSIDE)
    punct = _recheck(punct, bullet & long, lambda i: _punctuated(lines[i][2:])) | unpunctuated(col, wide)
    # Without stop words to tell (a language with no list), a line is prose only when punctuated:
    # an unpunctuated run of words there is as likely a flattened menu or archive list.
    prose = long & ((punct & (stop >= p.punct_stop)) | ((n >= p.long_words) & (stop >= p.good_stop) & known))
    count = tok.tolist()
    listing = _recheck(np.zeros(len(lines), dtype=bool), long & ~punct & (tok >= p.list_words) & (tok <= p.list_max),
                       lambda i: len(set(words(fold_lines[i]))) < p.list_distinct * count[i])
    markup = (facts & CLOSING_TAG).astype(bool) & long & ~listing
    listing = _recheck(listing, markup, lambda i: len(MARKUP.findall(lines[i])) >= p.markup_tags)
    table = pc.starts_with(col, "|").to_numpy(zero_copy_only=False) & pc.ends_with(col, "|").to_numpy(zero_copy_only=False)
    blank = empty(col)
    table |= _number_rows(codes, parent, tok, page, blank, p)
    verdicts = _judge(lines, fold_lines, tokens, codes, parent, tok, unspaced, bullet, blank, rules, p)
    rule, soft = [None] * len(lines), [False] * len(lines)
    cut = np.full(len(lines), -1, dtype=np.int64)
    cut_names: dict[str, int] = {}
    sure = {r.name for r in rules.rules if r.in_prose}     # drop rules that also remove a long paragraph
    for i, (drop, stretched, cut_rule) in verdicts.items():
        rule[i], soft[i] = drop, stretched is not None
        if drop in sure:
            prose[i] = False        # furniture however long (a consent box): not the article's prose
        if cut_rule is not None:
            cut[i] = cut_names.setdefault(cut_rule, len(cut_names))
    quoted = np.flatnonzero((facts & QUOTE).astype(bool) & (n <= _PROMPT_MAX))
    for on_page in np.split(quoted, np.flatnonzero(np.diff(page[quoted])) + 1):
        _mark_prompts([(i, [q[1:-1].strip().casefold() for q in QUOTED.findall(lines[i])]) for i in on_page.tolist()],
                      soft)
    menu = ~prose & ~table & (n <= p.menu_words) & ~(facts & ENDS).astype(bool)
    cols = Cols(blank, n.astype(np.int64), stop.astype(float), prose, bullet, np.array([r is not None for r in rule], dtype=bool),
                np.array(soft), table, _repeated(col, page), listing, menu, cut)
    keys = fold_lines
    spaced = np.flatnonzero(facts & SPACED)
    if len(spaced):
        keys = list(keys)
        for i in spaced.tolist():
            keys[i] = " ".join(keys[i].split())
    return Batch(lines, starts, cols, rule, list(cut_names), _cut_rules(list(cut_names), rules), keys)


def _number_rows(codes: pa.DictionaryArray, parent: np.ndarray, tok: np.ndarray, page: np.ndarray,
                 blank: np.ndarray, p: Params) -> np.ndarray:
    """Per line: is it a row of a table whose cells lost their borders in the rendering ("2 Ana
    Ruiz 812 3 0 9")? Mostly numbers, in a run of such lines on its page. A lone line of figures,
    or a list of links that each carry a number or two, is not."""
    numeric = matches(codes.dictionary, "^[0-9]+$")[codes.indices.to_numpy()]   # each distinct word tested once
    numbers = np.bincount(parent[numeric], minlength=len(tok))
    row = (numbers >= p.table_numbers) & (numbers >= p.table_number_share * tok)
    out = np.zeros(len(tok), dtype=bool)
    if not row.any():
        return out
    # runs of rows among the page's non-blank lines
    lines = np.flatnonzero(~blank)
    r, pg = row[lines], page[lines]
    starts = r & ~np.concatenate(([False], r[:-1] & (pg[1:] == pg[:-1])))
    run = np.cumsum(starts) - 1
    size = np.bincount(run[r], minlength=int(starts.sum()))
    out[lines[r][size[run[r]] >= p.table_rows]] = True
    return out


def _cut_rules(names: list[str], rules: Rules) -> CutRules:
    return CutRules(np.array([rules.in_extracted(x) for x in names], dtype=bool),
                    np.array([rules.sure_at(x) for x in names], dtype=np.int64),
                    np.array([rules.box(x) for x in names], dtype=bool))


def _recheck(flags: np.ndarray, where: np.ndarray, test: Callable[[int], bool]) -> np.ndarray:
    """`flags`, with the lines in `where` (the few a column test cannot decide) decided by `test`."""
    for i in np.flatnonzero(where).tolist():
        flags[i] = test(i)
    return flags


def _punctuated(text: str) -> bool:
    return text[-1] in END_CHARS or SENTENCE_INSIDE.search(text) is not None


def _judge(lines: list[str], fold_lines: list[str], tokens: pa.Array, codes: pa.DictionaryArray,
           parent: np.ndarray, n: np.ndarray, unspaced: np.ndarray, bullet: np.ndarray, blank: np.ndarray,
           rules: Rules, p: Params) -> dict[int, tuple]:
    """`Rules.judge` verdicts of the lines the rules' screens flag (the others are hit by no rule).
    A list item is judged without its marker; a line without words (a glyph) is judged too.
    `n`: each line's tokens; `unspaced`: its words in scripts without spaces, which the rules'
    word limits count too (a Chinese paragraph is a token or two, and no prompt): a line has as
    many words as the larger count says ("首页 > 新闻" is three tokens, two words of characters)."""
    size = np.maximum(n, unspaced)
    judged = ~blank & (size <= rules.top_words * p.soft_scale)
    patterns = rules.screen.patterns(lines, bullet, judged)
    flagged = np.flatnonzero((rules.screen.words(tokens, codes, parent, n, p.soft_scale, size) | patterns) & judged)
    verdicts = {}
    scale, remembered = p.soft_scale, rules.remembered
    for i, pats, item, more, length in zip(flagged.tolist(), patterns[flagged].tolist(), bullet[flagged].tolist(),
                                           unspaced[flagged].tolist(), size[flagged].tolist()):
        line = lines[i]
        # menus and prompts recur: their tokens are taken only for a line not judged before
        verdicts[i] = remembered(line, scale) or rules.judge(line[2:] if item else line, words(fold_lines[i]),
                                                             scale, line, pats, length if more else None)
    return verdicts


def _stop_shares(codes: pa.DictionaryArray, parent: np.ndarray, page: np.ndarray, n: np.ndarray,
                 unspaced: np.ndarray, pages: int, p: Params) -> tuple[np.ndarray, np.ndarray]:
    """Per line, the share of its words that are stop words of its page's language (guessed from
    the words of its first prose-long lines), 0 for lines too short to matter, 1 on pages of no
    known language; and whether the language is known.
    `page` is each line's page; `unspaced` its words in scripts without spaces, which have no stop
    lists: a page written mostly in them has no known language (its few Latin words, product
    names, would pass for English)."""
    ids = word_ids(codes)
    word_page = page[parent]
    # The sample: a page's first words on lines long enough to be prose. Its first words of all
    # would often be a menu of section and brand names, which a stop list of another language
    # may cover best (a German news page under a long menu was read as Finnish, and then its
    # paragraphs had no stop words). A page with few such words samples its first words.
    long = n[parent] >= p.good_words
    before = np.concatenate(([0], np.cumsum(long)))     # long-line words before each word
    first = np.searchsorted(word_page, np.arange(pages))      # each page's first word
    prose_sample = (np.bincount(word_page[long], minlength=pages) >= _LANG_LONG_WORDS)[word_page]
    rank = np.where(prose_sample, before[:-1] - before[first][word_page],      # among the page's long-line words
                    np.arange(len(word_page)) - first[word_page])                # among all its words
    sample = (rank < STOP_SAMPLE) & (long | ~prose_sample)
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


_REASON = {KEEP: None, BEFORE: "rule:before_main", AFTER: "rule:after_main", LINK_BULLET: "rule:link_bullet",
           LINK_LIST: "rule:link_list", WORD_LIST: "rule:word_list"}


def classify_many(b: Batch, p: Params, pres: list[list[str | None] | None],
                  hits_only: list[bool] | None = None) -> list[tuple[list[str | None], int]]:
    """Per page of the batch: per line None to keep, else the reason that removes it; and where
    the main text starts.

    `pres` holds each page's verdicts of earlier layers (site profile, learned template), or None:
    those lines count as rule hits when locating the main text and stay removed.
    `hits_only`: per page, whether it is text an extractor already cut to the article, on which
    the main text is not located again: only the lines a rule removes inside a main text go (a
    prose line of more than `rule_max_prose` words survives, unless its rule is `in_prose`)."""
    earlier: list[str | None] = [None] * len(b.lines)
    for a, verdicts in zip(b.starts.tolist(), pres):
        if verdicts and any(verdicts):
            earlier[a:a + len(verdicts)] = verdicts
    pre = np.array([v is not None for v in earlier], dtype=bool)
    only = np.zeros(len(b.starts) - 1, dtype=bool) if hits_only is None else np.array(hits_only, dtype=bool)
    code, box, start = classify_pages(b.cols, pre, b.starts, b.cut_rules, _knobs(p), only)
    reasons = [_REASON.get(x) for x in code.tolist()]
    named = np.flatnonzero((code == PRE) | (code == RULE) | (code == BOX))
    for i, x in zip(named.tolist(), code[named].tolist()):
        reasons[i] = earlier[i] if x == PRE else f"rule:{b.rule[i] if x == RULE else b.cut_names[box[i]]}"
    return [(reasons[a:z], s) for (a, z), s in zip(pairwise(b.starts.tolist()), start.tolist())]


@lru_cache(maxsize=8)
def _knobs(p: Params) -> tuple:
    """`p` as a named tuple, which compiled code reads field by field."""
    return _Knobs(*astuple(p))


_Knobs = namedtuple("_Knobs", [f.name for f in fields(Params)])
