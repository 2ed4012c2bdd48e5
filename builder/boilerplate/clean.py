"""The layered cleaner: site profile -> learned site template (+ footer) -> single-page rules -> title.

`apply(a, ...)` cleans one article in place and records every removed line in `a.removed` as
(line, rule); `clean_corpus` learns the templates of all sites in one pass, then applies.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

from builder.article import VOTERS, Article, unescape_title
from builder.boilerplate.columns import column, unspaced_words, words
from builder.boilerplate.lines import Params, batch_features, classify_many
from builder.boilerplate.profiles import SiteProfile, load_profiles
from builder.boilerplate.rules import Rules, load_rules
from builder.boilerplate.templates import QUOTED, SiteTemplate, TemplateLearner, line_hashes
from builder.boilerplate.titles import find_title
from builder.config import BoilerplateConfig

_OWN_LINE_WORDS = 15   # a non-template line this long is the page's own text, never footer
_FULL, _HITS = 1, 2   # how the single-page layer sees a page (`Cleaner._layer`)
_BATCH = 128           # pages cleaned together, an HTML page's other views included: one pass over all their lines
                       # (larger batches hold more memory for little speed: docs/performance.md)


@dataclass
class Cleaner:
    """Everything `apply` needs besides the article: built once per run from the config."""
    cfg: BoilerplateConfig
    rules: Rules = field(init=False)
    profiles: dict[str, SiteProfile] = field(init=False)
    params: Params = field(default_factory=Params)

    def __post_init__(self) -> None:
        self.rules = load_rules(self.cfg.rules_file)
        self.profiles = load_profiles(self.cfg.sites_dir)

    def learner(self) -> TemplateLearner:
        return TemplateLearner.for_config(self.cfg)

    def _layer(self, a: Article) -> int | None:
        """How the single-page layer sees a page: all of it (`_FULL`), its rule hits only on text
        an extractor cut to the article (`_HITS`), or not at all (None)."""
        if not self.cfg.single_page_rules:
            return None
        if not a.extracted or self.cfg.extracted_single_page_rules:
            return _FULL
        return _HITS if self.cfg.extracted_rule_hits else None

    def _views(self, a: Article, rendered: str | None, voters: list[str]) -> tuple[Article | None, list[Article]]:
        """The other views of an HTML page the config has a use for, as articles of their own: its
        full rendering (for `rendered_ratio` or the vote) and its other extractors' texts (the vote)."""
        if not self.cfg.single_page_rules:
            return None, []
        voters = voters if self.cfg.html_vote else []
        if rendered is None or (self.cfg.rendered_ratio <= 0 and not voters):
            r = None
        else:
            r = Article(a.id, rendered, site=a.site, url=a.url, title=a.title, view="rendering")
        return r, [Article(a.id, t, site=a.site, url=a.url, title=a.title, view=name)
                   for name, t in zip(VOTERS, voters) if t]

    def apply(self, a: Article, template: SiteTemplate | None = None) -> None:
        """Clean one alive article in place (text, title, removed)."""
        self.apply_many([a], [template])

    def apply_many(self, articles: list[Article], templates: list[SiteTemplate | None],
                   keep_removed: Callable[[Article], bool] | None = None) -> None:
        """`apply` to each article with its site's template (a parallel list): the same result,
        but the single-page features of all pages are computed in one pass over their lines,
        which is several times faster than page by page from a few dozen pages on.
        `keep_removed`: which articles get their removed lines in `a.removed` (None: all); the
        others get an empty list (a build reads them only to explain a document)."""
        work = []       # (article, template, lines, how the single-page layer sees it: FULL, HITS or None)
        views = []      # (article, its page's full rendering or None, its other extractors' texts): articles of their own
        for a, template in zip(articles, templates, strict=True):
            rendered, voters, a.rendered, a.voters = a.rendered, a.voters or [], None, None
            if not a.alive:
                continue
            work.append((a, template, a.text.split("\n"), self._layer(a)))
            r, others = self._views(a, rendered, voters)
            if r is not None or others:
                # cleaned as text scrapes, with the site's template: it was learned from the site's
                # extractions, and what recurs there recurs in every view of its pages
                work.extend((v, template, v.text.split("\n"), _FULL) for v in [r, *others] if v is not None)
                views.append((a, r, others))
        batch = batch_features([lines for _, _, lines, layer in work if layer], self.rules, self.params)
        spans = iter(pairwise(batch.starts.tolist()))
        pages = []      # (article, lines, layer, earlier verdicts, words, title, keys)
        for a, template, lines, layer in work:
            # words per line as the classifier counts them (a paragraph of Chinese is a token or
            # two); pages it does not see count them only if a template needs them
            span = slice(*next(spans)) if layer else None
            counts = batch.cols.words[span].tolist() if layer else None
            pre: list[str | None] = [None] * len(lines)
            title = a.title
            profile = self.profiles.get((a.site or "").casefold())
            if profile is not None:
                pre, captured = profile.apply(lines)
                title = title or captured
            hashes, a.line_hashes = a.line_hashes, None     # pass 1's, when made under this title
            if template is not None and self.cfg.learn_templates:
                if hashes is None or title != a.title or len(hashes) != len(lines):
                    hashes = line_hashes(lines, title)
                if counts is None:
                    counts = _word_counts(lines)
                _template_verdicts(lines, hashes, counts, pre, template, self.cfg)
            pages.append((a, lines, layer, pre, counts, title, batch.keys[span] if layer else None))
        verdicts = iter(classify_many(batch, self.params, [pre for _, _, layer, pre, *_ in pages if layer],
                                      [layer == _HITS for _, _, layer, *_ in pages if layer]))
        for a, lines, layer, pre, counts, title, keys in pages:
            verdict, main_start = next(verdicts) if layer else (pre, 0)
            _finish(a, lines, counts, verdict, main_start, title, keys, keep_removed is None or keep_removed(a))
        for a, r, others in views:
            # An extractor that took a teaser box or a caption for the article kept a fraction of
            # what the text cleaner finds on the whole page: the page's text is the cleaned rendering.
            if r is not None and self.cfg.rendered_ratio > 0 and \
                    len(words(r.text)) >= self.cfg.rendered_ratio * len(words(a.text)):
                _take(a, r)
            voting = [a, *([r] if r is not None else []), *others]
            if len(voting) >= 3:
                _take(a, _medoid(voting))


def _take(a: Article, view: Article) -> None:
    """Give `a` the cleaned text (title, removed lines) of another view of its page."""
    if view is not a:
        a.text, a.title, a.removed, a.extracted, a.view = view.text, view.title, view.removed, False, view.view


def _medoid(views: list[Article]) -> Article:
    """The view whose cleaned text agrees most with the others' (sum of word F1 against each):
    two views that agree outvote one that took a box, a menu or a comment thread for the article.
    Ties go to the earlier view."""
    bags = [Counter(w.casefold() for w in words(v.text)) for v in views]
    sizes = [b.total() for b in bags]

    def f1(i: int, j: int) -> float:
        both = sizes[i] + sizes[j]
        return 2 * (bags[i] & bags[j]).total() / both if both else 1.0

    agreement = [sum(f1(i, j) for j in range(len(views)) if j != i) for i in range(len(views))]
    return views[max(range(len(views)), key=lambda i: (agreement[i], -i))]


def _finish(a: Article, lines: list[str], counts: list[int] | None, verdict: list[str | None], main_start: int,
            title: str | None, keys: list[str] | None = None, keep_removed: bool = True) -> None:
    """Find the title if the input gave none, drop its copies; set text, title and removed.
    `keys`: the lines' comparison keys (`Batch.keys`), or None to make them here."""
    if not title:
        def removed() -> list[str]:
            # A template line that quotes something page-specific quotes the page's title.
            return ([l for l, v in zip(lines, verdict) if l and v]
                    + [l for l, v in zip(lines, verdict) if v and v.startswith("template:") and QUOTED.search(l)])
        furniture = {i for i, v in enumerate(verdict)
                     if v and v not in ("rule:before_main", "rule:after_main", "rule:link_bullet")}
        title, at = find_title(lines, main_start, removed, furniture, keys)
        title = unescape_title(title)
        if at is not None:
            verdict[at] = verdict[at] or "title"
    if title:
        _drop_title_lines(lines, verdict, title, main_start)
    _drop_repeated_blocks(lines, counts, verdict, keys)
    a.title = title
    a.removed = [(l, v) for l, v in zip(lines, verdict) if l and v] if keep_removed else []
    a.text = "\n\n".join(l for l, v in zip(lines, verdict) if l and not v)


def _template_verdicts(lines: list[str], hashes: list[int], counts: list[int], pre: list[str | None],
                       t: SiteTemplate, cfg: BoilerplateConfig) -> None:
    """Mark template lines, then the footer: from where the rest of the page is mostly template.
    `hashes`, `counts`: each line's `line_hashes` and words (`_word_counts`)."""
    hit = [bool(l) and h in t for l, h in zip(lines, hashes)]
    total = sum(w for w, p in zip(counts, pre) if not p)
    templ = sum(w for w, p, x in zip(counts, pre, hit) if x and not p)
    # Near-copies of one page on a site share their prose too: keep it, drop only the short lines.
    keep_prose = total and templ > cfg.max_template_share * total
    for i, l in enumerate(lines):
        if hit[i] and not pre[i] and not (keep_prose and counts[i] >= 10):
            pre[i] = f"template:{hashes[i]:016x}"
    # Footer: the earliest template line after which the template share of words stays high;
    # what varies from page to page inside it (job ads, teasers) goes with it.
    # It never swallows a sentence-long line of the page's own.
    suffix_all = suffix_tpl = 0
    footer = None
    for i in range(len(lines) - 1, -1, -1):
        if not lines[i]:
            continue
        if not hit[i] and not pre[i] and counts[i] >= _OWN_LINE_WORDS:
            break
        w = max(counts[i], 1)
        suffix_all += w
        if hit[i]:
            suffix_tpl += w
            if suffix_tpl >= cfg.footer_share * suffix_all:
                footer = i
    if footer is not None and not keep_prose:
        for i in range(footer, len(lines)):
            if lines[i] and not pre[i]:
                pre[i] = "footer"


def _word_counts(lines: list[str]) -> list[int]:
    """Words of each line as the line classifier counts them: a paragraph of Chinese is a token
    or two, so its characters count."""
    return [len(words(l)) + u for l, u in zip(lines, unspaced_words(column("\n".join(lines))).tolist())]


_REPEAT_RUN = 3   # kept lines repeated in this long a run, in order, are a second rendering of the page
_FLAT_WORDS = 100  # a kept line this long ...
_FLAT_PARTS = 2    # ... holding at least this many other long kept lines of its page ...
_FLAT_COVER = 0.8  # ... that make up this share of its characters is a run-on copy of them
_FLAT_PROBE = 24   # characters compared at both ends of the copy and the lines in it
_LEAD = re.compile(r"\W*")   # a bullet or mark before a line's first word


def _drop_repeated_blocks(lines: list[str], counts: list[int] | None, verdict: list[str | None],
                          keys: list[str] | None = None) -> None:
    """A page that prints its article twice (layouts for phone and desktop, a print view) shows
    a run of kept lines again in the same order: the later copy goes. A single repeated line (a
    pull quote, a refrain) stays. `counts`: the words of each line (`_word_counts`), or None to
    count those of repeated lines only; `keys`: each line casefolded with its spaces collapsed,
    or None to make them here."""
    def long(i: int) -> bool:
        return (counts[i] if counts is not None else _word_counts([lines[i]])[0]) >= _OWN_LINE_WORDS

    kept = [i for i, l in enumerate(lines) if l and not verdict[i]]
    kept_keys = [keys[i] for i in kept] if keys is not None else [" ".join(lines[i].split()).casefold() for i in kept]
    _drop_flattened_copies(lines, kept, kept_keys, counts, verdict)
    if len(kept_keys) - len(set(kept_keys)) < _REPEAT_RUN:
        return      # too few kept lines printed again to make a run (most pages)
    first: dict[str, int] = {}
    copy_of = []
    for pos, key in enumerate(kept_keys):
        copy_of.append(first.get(key, -1))
        first.setdefault(key, pos)
    pos = 0
    while pos < len(kept):
        if copy_of[pos] < 0:
            pos += 1
            continue
        end = pos + 1
        while end < len(kept) and copy_of[end] == copy_of[end - 1] + 1:
            end += 1
        if end - pos >= _REPEAT_RUN and any(long(kept[k]) for k in range(pos, end)):
            for k in range(pos, end):
                verdict[kept[k]] = "repeat"
        pos = end


def _drop_flattened_copies(lines: list[str], kept: list[int], kept_keys: list[str], counts: list[int] | None,
                           verdict: list[str | None]) -> None:
    """A page that also prints its article as one run-on line (a hidden copy for a paywall or a
    print view, its paragraphs glued together) keeps its paragraphs; the line made of them goes.
    A long line counts as such a copy when other kept lines of the page, each long, make up
    `_FLAT_COVER` of it (a paragraph that quotes one other line is not). `counts` as in
    `_drop_repeated_blocks`."""
    if counts is not None and max(counts, default=0) < _FLAT_WORDS:
        return      # no line long enough (most pages)
    sizes = [counts[i] for i in kept] if counts is not None else _word_counts([lines[i] for i in kept])
    flat = [pos for pos, n in enumerate(sizes) if n >= _FLAT_WORDS]
    if not flat:
        return
    parts = [q for q, n in enumerate(sizes) if n >= _OWN_LINE_WORDS]
    # A cheap test first: a copy begins like one of the lines in it (after a bullet) or ends like one.
    heads = {kept_keys[pos][_LEAD.match(kept_keys[pos]).end():][:_FLAT_PROBE]: pos for pos in flat}
    tails = {kept_keys[pos][-_FLAT_PROBE:]: pos for pos in flat}
    probed = {x for q in parts for x in (heads.get(kept_keys[q][:_FLAT_PROBE]), tails.get(kept_keys[q][-_FLAT_PROBE:]))
              if x is not None and x != q}
    for pos in sorted(probed):
        key = kept_keys[pos]
        inside = {kept_keys[q] for q in parts if q != pos and len(kept_keys[q]) < len(key) and kept_keys[q] in key}
        if len(inside) >= _FLAT_PARTS and sum(map(len, inside)) >= _FLAT_COVER * len(key):
            verdict[kept[pos]] = "repeat"


def _drop_title_lines(lines: list[str], verdict: list[str | None], title: str, main_start: int) -> None:
    """The headline printed on the page is metadata, not body: drop its copies near the top, also
    one printed as a list item (an extractor writes a headline it found in a list as "- ...")."""
    t = " ".join(title.split()).casefold()
    for i in range(min(len(lines), main_start + 3)):
        if lines[i] and not verdict[i]:
            line = " ".join(lines[i].split()).casefold()
            if line == t or (line[2:] == t and line.startswith("- ")):
                verdict[i] = "title"


def pages(a: Article) -> int:
    """How many pages cleaning `a` is: itself and each other view of it (HTML input)."""
    return 1 + (a.rendered is not None) + sum(1 for t in a.voters or () if t)


def batched_by_pages(articles: list[Article], size: int) -> list[list[Article]]:
    """Consecutive runs of `articles` of about `size` pages each (`pages`), one article at least:
    a batch's line columns grow with its pages, and an HTML page brings four more views."""
    out: list[list[Article]] = []
    run, n = [], 0
    for a in articles:
        if run and n + pages(a) > size:
            out.append(run)
            run, n = [], 0
        run.append(a)
        n += pages(a)
    if run:
        out.append(run)
    return out


def learn_templates(articles: list[Article], cleaner: Cleaner) -> dict[str, SiteTemplate]:
    """Templates of every site with enough pages (sites with fewer are not even hashed)."""
    learner = cleaner.learner()
    pages = Counter(a.site or "" for a in articles if a.alive)
    for a in articles:
        if pages[a.site or ""] >= cleaner.cfg.min_site_pages:
            learner.observe(a)
    return learner.finalize()


def clean_corpus(articles: list[Article], cfg: BoilerplateConfig,
                 keep_removed: Callable[[Article], bool] | None = None) -> dict[str, dict]:
    """Learn every site's template from the alive articles, clean them in place; {site: template}
    for the audit. `keep_removed`: as in `Cleaner.apply_many`."""
    cleaner = Cleaner(cfg)
    alive = [a for a in articles if a.alive]
    templates = learn_templates(alive, cleaner) if cfg.learn_templates else {}
    for batch in batched_by_pages(alive, _BATCH):
        cleaner.apply_many(batch, [templates.get(a.site or "") for a in batch], keep_removed)
    return {site: t.to_dict() for site, t in templates.items() if t.lines}
