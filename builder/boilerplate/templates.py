"""Learned site templates: lines that recur across a site's pages once what varies is masked.

One streaming pass: `TemplateLearner.observe(article)` hashes each masked line of a page and
counts, per site, on how many pages each hash occurs (once per page). Memory holds only those
counts (8-byte hashes), capped per site. `finalize()` keeps the hashes seen on at least
`min_pages` pages (and on enough of the site's pages) as the site's `SiteTemplate`.

Masking makes a prompt that quotes the page's own title, a date, a count or a name look the same
on every page: quoted spans, digits and the page's title are replaced by placeholders (one
compiled pass per page, `masking`).
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import xxhash

from builder.article import Article, count_words
from builder.boilerplate.masking import mask_lines
from builder.config import BoilerplateConfig

QUOTED = re.compile(r"\"[^\"\n]{2,200}\"|“[^”\n]{2,200}”|„[^“”\n]{2,200}[“”]|»[^«\n]{2,200}«|«[^»\n]{2,200}»|‘[^’\n]{2,200}’|'[^'\n]{8,200}'")
_MAX_HASHES_PER_SITE = 200_000   # bounded memory: beyond this, hashes seen once are pruned
_MAX_KEYS_PER_SITE = 200_000     # ... and beyond this many addresses and headlines, every page counts as a known story
_REPEAT_SHARE = 0.5              # a page with this share of its prose already seen on its site is a repeat
_TRACKING = re.compile(r"(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid)(=|$)")   # query parameters that name no page
_PROSE_WORDS = 12                # a line of this many words is prose for that test (Han and kana: one a character)
_PENDING_CHARS = 16_000_000      # characters of first pages held unhashed (beyond: hashed, oldest first; a deferred
                                 # learner holds up to a window of pages more until its caller counts them)


def mask(line: str, title: str | None = None) -> str:
    """The line with the page-specific parts replaced: title, quoted spans, dates, numbers.

    Titles and quotes are masked only inside a line that keeps words of its own: a line that is
    nothing but a quotation is article text, not a prompt quoting the page."""
    return masks([line], title)[0]


def masks(lines: list[str], title: str | None = None) -> list[str]:
    """`mask` of each line of a page: one casefold and title replacement for the page (a title
    with a line break is in no line), then one compiled pass (`masking`)."""
    if not lines:
        return []
    plain = "\n".join(lines).casefold()
    masked = plain
    if title and len(title) >= 8 and "\n" not in title.casefold():
        masked = masked.replace(title.casefold(), "\u2036T\u2036")
    return mask_lines(plain, masked)


def line_hash(line: str, title: str | None = None) -> int:
    return line_hashes([line], title)[0]


def line_hashes(lines: list[str], title: str | None = None) -> list[int]:
    """The masked-line hash of each line of a page."""
    digest = xxhash.xxh3_64_intdigest
    return [digest(m.encode("utf-8", "surrogatepass")) for m in masks(lines, title)]


@dataclass
class SiteTemplate:
    """What one site's pages share: the masked-line hashes seen on enough of its pages."""
    site: str
    pages: int
    lines: dict[int, int] = field(default_factory=dict)   # hash -> pages it was seen on
    examples: dict[int, str] = field(default_factory=dict)  # hash -> the line as printed on one page, for the audit

    def __contains__(self, h: int) -> bool:
        return h in self.lines

    def to_dict(self) -> dict:
        """JSON-able summary for a release's audit: one example line per template hash.

        `lines[i]` is the line as printed on one page, `hashes[i]` its masked-line hash and the
        number of pages it was seen on (the `builder check` boilerplate gate reads `lines`)."""
        order = sorted(self.lines.items(), key=lambda kv: (-kv[1], kv[0]))
        return {
            "site": self.site,
            "pages": self.pages,
            "lines": [self.examples.get(h, "") for h, _ in order],
            "hashes": [{"hash": f"{h:016x}", "pages": n} for h, n in order],
        }


def _is_repeat(prose: list[tuple[int, bool]], known: bool) -> bool:
    """Is a page, given its long lines as (characters, seen before on its site), another crawl,
    rendering or update of a story already counted? Counting it would make that story's own
    paragraphs "template" and strip them from every copy. `known`: the page shares its address or
    its headline with a page seen before on the site (`page_keys`). A page with a new address and a
    new headline is another story even when half its prose was seen before: a long block of
    teasers or related stories that two pages share is template. Without an address to tell, a
    page whose prose was mostly seen is taken for a repeat (losing a story is the worse harm)."""
    seen = [n for n, was in prose if was]
    return known and len(seen) >= 2 and sum(seen) >= _REPEAT_SHARE * sum(n for n, _ in prose)


def _is_prose(line: str) -> bool:
    """Is the line long enough to be a paragraph of the story (for `_is_repeat`)? Words are
    counted by spaces, but Chinese and Japanese write a paragraph without any."""
    return line.count(" ") >= _PROSE_WORDS - 1 or (
        len(line) >= _PROSE_WORDS and not line.isascii() and count_words(line) >= _PROSE_WORDS)


def page_keys(url: str | None, title: str | None, lines: list[str]) -> tuple[int, ...]:
    """What names a story on its site, as 8-byte keys: its exact address (scheme, "www.", fragment,
    tracking parameters and a final "/" left out; `_count` takes a page of a known exact address
    for a repeat), its address without the query, then its headline (the given title, else the
    first non-blank of the page's `lines`, of which the first 50 are enough).
    Nothing for a page without an address: a title alone does not tell two renderings of one
    page apart (the <title> line of the full page, the headline of an extraction)."""
    address = (url or "").strip().casefold().split("#", 1)[0].split("://", 1)[-1].removeprefix("www.")
    path, _, query = address.partition("?")
    u = path.rstrip("/")
    if not u:
        return ()
    # "news_view.html?idx=8576": many sites name the story in the query
    params = sorted(p for p in query.split("&") if p and not _TRACKING.match(p))
    exact = u + ("?" + "&".join(params) if params else "")
    head = title if title and title.strip() else next((l for l in lines[:50] if l.strip()), "")
    head = " ".join(head.split()).casefold()
    return tuple(xxhash.xxh3_64_intdigest(k.encode("utf-8", "surrogatepass"))
                 for k in ("a " + exact, "u " + u, "t " + head) if k[2:])


class TemplateLearner:
    """Counts masked lines per site over a stream of articles; `finalize()` gives the templates."""

    def __init__(self, min_pages: int = 2, min_share: float = 0.0, deferred: bool = False):
        self.min_pages = min_pages          # a template line recurs on at least this many pages ...
        self.min_share = min_share          # ... and on at least this share of the site's pages
        # deferred: the caller counts the waiting pages beyond the budget itself (`over_budget`),
        # after hashing them elsewhere; else `observe` hashes and counts them at once
        self.deferred = deferred
        self._counts: dict[str, Counter[int]] = {}
        self._pages: Counter[str] = Counter()
        self._examples: dict[str, dict[int, str]] = {}
        # The first page of each site, unhashed, until a second page of the site shows up: most
        # sites of a crawl have one page, and hashing is most of the cost (bounded: `_PENDING_CHARS`).
        self._pending: dict[str, tuple[str, str | None]] = {}
        self._pending_chars = 0
        self._given: dict[str, list[int]] = {}   # hashes of waiting pages, made elsewhere (`give`)
        self._pending_keys: dict[str, tuple[int, ...]] = {}   # `page_keys` of the waiting pages
        self._known: dict[str, set[int]] = {}   # per site, `page_keys` of every page seen (capped)

    @classmethod
    def for_config(cls, cfg: BoilerplateConfig, deferred: bool = False) -> TemplateLearner:
        return cls(cfg.min_site_pages, cfg.min_site_share, deferred)

    def observe(self, a: Article) -> None:
        """Count one page. Its `line_hashes` are taken from `a.line_hashes` when a worker made them
        already (the counting must stay in one process, in order). A site's first page without
        them waits, unhashed, for the site's second page; pages hashed here keep their hashes on
        the article for pass 2, which needs them again on its site's template."""
        if not a.alive or not a.text:
            return
        site = a.site or ""
        if site in self._pending:
            self._flush(site)
        elif site not in self._counts and a.line_hashes is None:
            self._pending[site] = (a.text, a.title)
            self._pending_keys[site] = page_keys(a.url, a.title, a.text.split("\n", 50))
            self._pending_chars += len(a.text)
            while self._pending_chars > _PENDING_CHARS and not self.deferred:
                self._flush(next(iter(self._pending)))
            return
        page = a.text.split("\n")
        if a.line_hashes is None:
            a.line_hashes = line_hashes(page, a.title)
        self._count(site, page, a.line_hashes, page_keys(a.url, a.title, page))

    def waiting(self, sites: Iterable[str]) -> list[tuple[str, str, str | None]]:
        """(site, text, title) of the unhashed first pages of these sites, for a caller that will
        hash them elsewhere (in parallel) and `give` their hashes back before their site's next
        page is observed."""
        return [(site, *self._pending[site]) for site in dict.fromkeys(sites) if site in self._pending]

    def over_budget(self) -> list[tuple[str, str, str | None]]:
        """(site, text, title) of the oldest waiting pages beyond the budget (`_PENDING_CHARS`), for a
        `deferred` learner's caller: it hashes them elsewhere, `give`s the hashes and `count_waiting`s
        them. Counting them later than `observe` would have changes nothing as long as it happens
        before their site's next page: each site's pages are still counted in order."""
        out, chars = [], self._pending_chars
        for site, (text, title) in self._pending.items():
            if chars <= _PENDING_CHARS:
                break
            out.append((site, text, title))
            chars -= len(text)
        return out

    def give(self, site: str, hashes: list[int]) -> None:
        """The `line_hashes` of the site's waiting first page (see `waiting`)."""
        if site in self._pending:
            self._given[site] = hashes

    def count_waiting(self, site: str) -> None:
        """Count the site's waiting first page now (with its given hashes, if any)."""
        if site in self._pending:
            self._flush(site)

    def _flush(self, site: str) -> None:
        """Count a waiting first page now."""
        text, title = self._pending.pop(site)
        self._pending_chars -= len(text)
        page = text.split("\n")
        hashes = self._given.pop(site, None)
        self._count(site, page, hashes if hashes is not None else line_hashes(page, title), self._pending_keys.pop(site))

    def _count(self, site: str, page: list[str], hashes: list[int], keys: tuple[int, ...] = ()) -> None:
        """Count one page's line hashes for its site, unless it repeats a story counted already;
        `keys`: its `page_keys`."""
        if len(page) != len(hashes):
            raise ValueError("template count: one hash per line expected")
        counts = self._counts.setdefault(site, Counter())
        examples = self._examples.setdefault(site, {})
        # each hash once per page, with the first line that has it (built backwards: the first wins)
        lines = dict(zip(reversed(hashes), reversed(page)))
        if "" in page:
            lines.pop(hashes[page.index("")], None)     # blank lines count for nothing
        before = lines.keys() & counts.keys()           # seen on an earlier page of the site
        known = self._known.setdefault(site, set())
        # beyond the cap, every page counts as known: the conservative side
        seen_story = not keys or not known.isdisjoint(keys) or len(known) >= _MAX_KEYS_PER_SITE
        # An address seen before is the same page, crawled or rendered again, whatever share of its
        # prose changed (an extractor's rendering of it shares less than half with the full page):
        # counted twice, its own paragraphs would be template.
        same_address = bool(keys) and keys[0] in known      # (`page_keys`: the exact address first)
        if len(known) < _MAX_KEYS_PER_SITE:
            known.update(keys)
        if same_address or _is_repeat([(len(line), h in before) for h, line in lines.items() if _is_prose(line)],
                                      seen_story):
            return
        self._pages[site] += 1
        counts.update(lines.keys())
        for h in before - examples.keys():
            examples[h] = lines[h]
        if len(counts) > _MAX_HASHES_PER_SITE:
            for h in [h for h, n in counts.items() if n < 2]:
                del counts[h]
                examples.pop(h, None)

    def finalize(self) -> dict[str, SiteTemplate]:
        while self._pending and self.min_pages <= 1:    # a site of one page can have a template then
            self._flush(next(iter(self._pending)))
        self._pending.clear()
        self._given.clear()
        self._pending_keys.clear()
        self._known.clear()
        self._pending_chars = 0
        out: dict[str, SiteTemplate] = {}
        for site in sorted(self._counts):
            pages = self._pages[site]
            need = max(self.min_pages, self.min_share * pages)
            lines = {h: n for h, n in self._counts[site].items() if n >= need}
            if pages >= self.min_pages:
                ex = self._examples[site]
                out[site] = SiteTemplate(site, pages, lines, {h: ex[h] for h in lines if h in ex})
        self._counts.clear()
        self._examples.clear()
        return out
