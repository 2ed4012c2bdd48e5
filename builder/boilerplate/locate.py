"""Where each page's main text is, from its line features: the line classifier's decisions,
compiled with numba (`builder.jit.kernel`) over the feature columns of a whole batch of pages.

The decisions are those described in `lines` (maximum-sum span of line weights, extracted-text
test, cut headings, menu runs, teaser boxes); they visit every line of every page several times,
which in Python cost more than computing the features themselves. Here a page is a slice
[a, b) of the batch's columns, and every index is one of the batch.
Each line gets a code (`KEEP`, `PRE`, ...); `lines.classify_many` turns codes into reasons.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from builder.jit import kernel

KEEP, PRE, RULE, BEFORE, AFTER, LINK_BULLET, LINK_LIST, BOX, WORD_LIST = range(9)


class Cols(NamedTuple):
    """The features of a batch's lines, one array each (see `lines.Line`)."""
    blank: np.ndarray      # bool: an empty line (no features; neither counts nor breaks a run)
    words: np.ndarray      # int64
    stop: np.ndarray       # float64
    prose: np.ndarray      # bool
    bullet: np.ndarray     # bool
    rule: np.ndarray       # bool: a drop rule hits it
    soft: np.ndarray       # bool
    table: np.ndarray      # bool
    repeated: np.ndarray   # bool
    listing: np.ndarray    # bool
    menu: np.ndarray       # bool: a menu item: no prose, no table row, at most `menu_words` words, no end punctuation
    cut: np.ndarray        # int64: the cut rule's number in the batch's list of cut names, -1 for none


class CutRules(NamedTuple):
    """Per cut rule number: `Rules.in_extracted`, `Rules.sure_at`, `Rules.box`."""
    in_extracted: np.ndarray   # bool
    sure_at: np.ndarray        # int64
    box: np.ndarray            # bool


@kernel
def _weight(c, hit, i, k, scale):
    if hit[i] or c.soft[i]:
        return -k.rule_cost
    w = c.words[i]
    if c.repeated[i] and w >= k.repeat_min_words and scale != 0.0:
        return -k.repeat_cost * (w if c.prose[i] else 1)
    if c.prose[i]:
        return float(w) - k.prose_offset * scale
    if c.table[i]:
        return k.table_gain
    if w >= k.medium_words and c.stop[i] >= k.medium_stop:
        return -k.medium_cost * scale
    return -(k.bullet_cost if c.bullet[i] else k.short_cost) * scale


@kernel
def _scale(c, k, a, b, extracted):
    """How much short lines cost: nothing on extracted text, less on pages that are mostly prose."""
    if extracted:
        return 0.0
    total = 0
    prose = 0
    for i in range(a, b):
        total += c.words[i]
        if c.prose[i]:
            prose += c.words[i]
    return min(1.0, (1.0 - prose / total) / k.dense_share) if total else 1.0


@kernel
def _best_run(c, hit, k, scale, lo, hi):
    """(score, start, end) of the maximum-sum run of lines within [lo, hi)."""
    best, best_s, best_e = 0.0, lo, lo
    run, s = 0.0, lo
    for i in range(lo, hi):
        if c.blank[i]:
            continue
        if run <= 0:
            run, s = 0.0, i
        run += _weight(c, hit, i, k, scale)
        if run > best:
            best, best_s, best_e = run, s, i + 1
    return best, best_s, best_e


@kernel
def _main_span(c, hit, k, a, b, extracted):
    """[start, end) of the maximum-sum run of lines; the whole page when it has too little prose."""
    best, s, e = _best_run(c, hit, k, _scale(c, k, a, b, extracted), a, b)
    if best < k.min_main:
        return a, b
    return s, e


@kernel
def _side_runs(c, hit, k, a, b, s, e):
    """Runs outside the main text scoring at least `side_share` of it (a second text block):
    (start, end) before it and after it, (-1, -1) for none."""
    out = np.full(4, -1, dtype=np.int64)
    if not k.side_share:
        return out
    scale = _scale(c, k, a, b, False)
    main = 0.0
    for i in range(s, e):
        if not c.blank[i]:
            main += _weight(c, hit, i, k, scale)
    for side, lo, hi in ((0, a, s), (1, e, b)):
        best, rs, re_ = _best_run(c, hit, k, scale, lo, hi)
        if best >= max(k.min_main, k.side_share * main):
            out[2 * side] = rs
            out[2 * side + 1] = re_
    return out


@kernel
def _extracted(c, k, a, b):
    """Is this page an extractor's output (or a clean feed) rather than a whole rendered page?
    A rendered page has labels (menus, buttons) and furniture a rule knows before and after its prose."""
    nonblank = labels = hits = 0
    for i in range(a, b):
        if not c.blank[i]:
            nonblank += 1
            labels += c.words[i] <= k.label_words
            hits += c.rule[i] or c.soft[i]
    if not nonblank:
        return False
    share = labels / nonblank
    first = _first_prose(c, a, b, 1, nonblank)
    # A page no rule hits (a language the rules do not know, or a clean feed) is a rendered page
    # only when a menu comes before its prose.
    if share < k.extracted_share or (not hits and (first == nonblank or _labels_before(c, k, a, b) < k.menu_labels)):
        return True
    if first > k.extracted_edge:
        return False
    if hits <= k.extracted_hits:
        return True
    last = _first_prose(c, a, b, -1, nonblank)
    if share < k.extracted_labels and last <= k.extracted_tail and hits <= k.extracted_hit_share * nonblank:
        return True
    return last <= k.extracted_edge and hits <= k.extracted_rules * nonblank


@kernel
def _labels_before(c, k, a, b):
    """How many label-like lines (menu items, buttons) come before the first prose line of [a, b)."""
    n = 0
    for i in range(a, b):
        if c.prose[i]:
            break
        n += not c.blank[i] and c.words[i] <= k.label_words
    return n


@kernel
def _first_prose(c, a, b, step, none):
    """How many non-blank lines come before the first prose line from the top (step 1) or the
    bottom (step -1) of [a, b); `none` when there is none."""
    seen = 0
    i = a if step == 1 else b - 1
    while a <= i < b:
        if not c.blank[i]:
            if c.prose[i]:
                return seen
            seen += 1
        i += step
    return none


@kernel
def _extend(c, hit, i, step, stop):
    """Grow the main text from line i over lines no rule hits; a bullet list that reaches a rule
    hit is a link list: it is given back whole."""
    last = i
    j = i + step
    while j != stop:
        if not c.blank[j]:
            if hit[j] or c.soft[j]:
                kk = last
                while kk != i and not c.blank[kk] and c.bullet[kk]:
                    kk -= step
                return kk
            last = j
        j += step
    return last


@kernel
def _extend_below(c, hit, k, i, b):
    """The last line of the text grown down from line i over lines that no rule hits and that are
    not labels (at most `label_words` words): on a page framed by its site's template, the short
    paragraphs and list items the prose test passed over; the footer template, a rule hit or a
    button ends it."""
    last = i
    for j in range(i + 1, b):
        if not c.blank[j]:
            if hit[j] or c.soft[j] or c.words[j] <= k.label_words:
                return last
            last = j
    return last


@kernel
def _any(flags, lo, hi):
    for i in range(lo, hi):
        if flags[i]:
            return True
    return False


@kernel
def _resumes(c, k, i, e):
    """Does the article go on after an inline box? Long paragraphs follow it soon, and the first
    two follow each other without a rule hit between them: teasers of a "Latest news" list each
    end in a "Read more" or a date."""
    seen = long = 0
    first = -1
    between = False     # a rule hit after the first long paragraph, before the second
    for j in range(i + 1, e):
        if c.blank[j]:
            continue
        if first < 0 and seen >= k.resume_within and k.resume_lines > 0:
            return False        # the first long paragraph comes too late (decided: stop here,
                                # a page of many such headings would be read to its end each time)
        if c.prose[j] and c.words[j] >= k.resume_words:
            long += 1
            if first < 0:
                first = seen
            elif long == 2 and between:
                return False
            if long >= 2 and long >= k.resume_lines:
                return first < k.resume_within     # nothing later changes the answer
        elif long == 1 and c.rule[j]:
            between = True
        seen += 1
    return long >= k.resume_lines and first < k.resume_within


@kernel
def _cut(c, cr, k, s, e, extracted):
    """Where the main text [s, e) ends: at a "cut" heading (comments, related links), else at e;
    either way before the cut headings that close it."""
    return _without_closing_cuts(c, s, _cut_heading(c, cr, k, s, e, extracted))


@kernel
def _without_closing_cuts(c, s, e):
    """The end of the text [s, e) without the cut headings that close it: a "Related" or
    "Comments" heading that nothing follows heads nothing of the page's text."""
    while e > s and (c.blank[e - 1] or c.cut[e - 1] >= 0):
        e -= 1
    return e


@kernel
def _cut_heading(c, cr, k, s, e, extracted):
    """The first "cut" heading (comments, related links) where the main text [s, e) ends, else e."""
    counts = np.zeros(len(cr.sure_at), dtype=np.int64)
    prose_total = lines_total = prose_lines = 0
    any_cut = False
    for i in range(s, e):
        if c.blank[i]:
            continue
        x = c.cut[i]
        if x >= 0 and (not extracted or cr.in_extracted[x]):
            counts[x] += 1
            any_cut = True
        lines_total += 1
        if c.prose[i]:
            prose_total += c.words[i]
            prose_lines += 1
    if not any_cut:
        return e
    seen = seen_lines = seen_prose = 0
    for i in range(s, e):
        if c.blank[i]:
            continue
        x = c.cut[i]
        if x >= 0 and counts[x] and seen_prose:
            sure = 0 < cr.sure_at[x] <= counts[x]
            if sure or not cr.sure_at[x]:     # a cut with too few hits to be sure is ignored
                after = (prose_lines - seen_prose) / max(lines_total - seen_lines, 1)
                if (seen >= k.cut_after * prose_total or sure
                        or (after < k.cut_density * seen_prose / seen_lines
                            and (seen >= k.cut_min_words or prose_total - seen < k.cut_min_words))) and not (
                        not cr.in_extracted[x] and _resumes(c, k, i, e)):
                    return i
        seen_lines += 1
        if c.prose[i]:
            seen += c.words[i]
            seen_prose += 1
    return e


@kernel
def _trim_edges(c, hit, pre, cr, k, a, b, code):
    """Extracted text: cut the leading/trailing runs of prompts and notices and what follows a
    comments or "related" heading, keep all in between; returns where the kept text starts."""
    s, e = _main_span(c, hit, k, a, b, True)
    s, e = _extend(c, hit, s, -1, a - 1), _extend(c, hit, e - 1, 1, b) + 1
    e = _cut(c, cr, k, s, e, True)
    for i in range(a, b):
        if c.blank[i]:
            code[i] = KEEP
        elif pre[i]:
            code[i] = PRE
        elif i < s or i >= e:
            code[i] = RULE if c.rule[i] else BEFORE if i < s else AFTER
        elif c.rule[i] and not c.prose[i]:
            code[i] = RULE      # inside, only what a rule is sure of: a short line
        elif c.listing[i]:
            code[i] = WORD_LIST
    return s


@kernel
def _rendered(c, hit, pre, cr, k, a, b, code, box):
    """A whole rendered page: the main text, side runs, cut, menu runs and teaser boxes."""
    s, e = _main_span(c, hit, k, a, b, False)
    side = _side_runs(c, hit, k, a, b, s, e)
    if k.template_extend and _any(pre, a, s) and _any(pre, e, b):
        e = _extend_below(c, hit, k, e - 1, b) + 1
    e = _cut(c, cr, k, s, e, False)
    in_run = np.zeros(b - a, dtype=np.bool_)
    if k.menu_run:
        i = s
        while i < e:
            j = i
            count = 0
            while j < e and (c.blank[j] or c.menu[j]):
                count += not c.blank[j]
                j += 1
            if count >= k.menu_run:
                in_run[i - a:j - a] = True
            i = j + 1
    _inline_boxes(c, cr, k, s, e, box)
    for i in range(a, b):
        if c.blank[i]:
            code[i] = KEEP
        elif pre[i]:
            code[i] = PRE
        elif (i < s or i >= e) and not (side[0] <= i < side[1] or side[2] <= i < side[3]):
            # outside the main text everything goes; the most specific reason
            code[i] = (RULE if c.rule[i] else LINK_BULLET if c.bullet[i] and not c.prose[i]
                       else BEFORE if i < s else AFTER)
        elif _goes_inside(c, k, i):
            code[i] = RULE
        elif in_run[i - a]:
            code[i] = LINK_LIST
        elif box[i] >= 0:
            code[i] = BOX
        elif c.listing[i]:
            code[i] = WORD_LIST
    return s


@kernel
def _inline_boxes(c, cr, k, s, e, box):
    """A "related" heading inside the main text that does not end it heads or closes a box of
    teasers: it and the lines up to the nearest prose on either side (at most `box_lines`)
    get its cut number in `box`."""
    run = np.empty(e - s, dtype=np.int64)
    for i in range(s, e):
        x = c.cut[i]
        if c.blank[i] or x < 0 or c.prose[i] or not cr.box[x]:
            continue
        size = 1
        run[0] = i
        for step, stop in ((-1, s - 1), (1, e)):
            j = i + step
            while j != stop and size <= k.box_lines and (c.blank[j] or not c.prose[j]):
                if not c.blank[j]:
                    run[size] = j
                    size += 1
                j += step
        if size <= k.box_lines:
            for m in range(size):
                if box[run[m]] < 0:
                    box[run[m]] = x


@kernel
def _goes_inside(c, k, i):
    """Does a rule hit remove line i inside the main text? A prose line longer than
    `rule_max_prose` survives (an article may mention cookies; `in_prose` rules unset `prose`)."""
    return c.rule[i] and not (c.prose[i] and c.words[i] > k.rule_max_prose)


@kernel
def _rule_hits(c, pre, k, a, b, code):
    """Text an extractor already cut to the article: the main text is not located again, only
    the lines that a rule removes inside it go (and those of earlier layers)."""
    for i in range(a, b):
        if pre[i] and not c.blank[i]:
            code[i] = PRE
        elif _goes_inside(c, k, i):
            code[i] = RULE


@kernel
def classify_pages(c, pre, starts, cr, k, hits_only):
    """Per line of the batch: a code (`KEEP`, `PRE`, ...) and, for `BOX`, the cut rule number;
    per page: where its main text starts (a line number on the page).
    `pre`: lines an earlier layer removed (site profile, template): rule hits, kept removed.
    `hits_only`: per page, whether only its rule hits go (`_rule_hits`)."""
    code = np.zeros(len(c.words), dtype=np.int8)
    box = np.full(len(c.words), -1, dtype=np.int64)
    start = np.zeros(len(starts) - 1, dtype=np.int64)
    hit = c.rule | pre
    for p in range(len(starts) - 1):
        a, b = starts[p], starts[p + 1]
        if hits_only[p]:
            _rule_hits(c, pre, k, a, b, code)
        elif _extracted(c, k, a, b):
            start[p] = _trim_edges(c, hit, pre, cr, k, a, b, code) - a
        else:
            start[p] = _rendered(c, hit, pre, cr, k, a, b, code, box) - a
    return code, box, start
