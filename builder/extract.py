"""HTML -> article text with trafilatura (offline), in the plain-text shape the cleaner expects.

Paragraphs are separated by blank lines and list items written as `- item`; the title comes from
the page's <h1>, <title> and og:title when the input gave none. The site-template layer of
`builder.boilerplate` then runs on the result like on any text input.

trafilatura sometimes takes a caption, a teaser box or an intro for the article (on clean-dev, 6 of
1,020 pages kept less than 30% of their article's words that way), and sometimes a menu, a comment
thread or the next story along with it. So more views of the page travel along: its full visible
text, as `html_text` renders it, and the texts of three other extractors (trafilatura's fast
favor_recall pass, readability, jusText). The cleaner cleans them as text scrapes and lets the
cleaned texts vote (`Cleaner.apply_many`).
"""
from __future__ import annotations

import copy
import functools
import logging
import re

import html_text
import justext
import lxml.etree
import lxml.html
import trafilatura
from justext.core import PARAGRAPH_TAGS, classify_paragraphs, revise_paragraph_classification
from justext.paragraph import Paragraph
from justext.utils import normalize_whitespace
from trafilatura.readability_lxml import Document as ReadabilityDocument
from trafilatura.utils import load_html

from builder.article import Article, unescape_title
from builder.boilerplate.titles import SEPARATOR as _SEPARATOR   # between a <title>'s headline and the site name
from builder.normalize import repair_misdecoded

# trafilatura logs every page it cannot parse; the quarantine reason already says so.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

# Measured on clean-dev (scripts/bench_clean.py --only html): trafilatura's default balance with
# its readability/jusText fallback beats favor_recall (-0.002 F1), favor_precision (-0.015), fast=True
# (-0.015) and include_tables=False (-0.006); a precision pass on every page gains < 0.003 for twice
# the time. Comments are not article text.
_OPTIONS = dict(include_comments=False, include_tables=True, include_links=False, include_images=False,
                favor_precision=False, favor_recall=False, deduplicate=False)
# The default pass prunes a body that sits in link-heavy cards or boxes; a favor_recall pass keeps
# them. It runs where it can find much more: when the page's visible text has `_ROOM` times the
# extraction's words (measured on clean-dev: 281 of 1,020 pages, replacing 12 texts, F1 +0.0009 over
# running it on extractions shorter than 700 words, which cost about as much and replaced 8; on
# every page it replaced 13 for 3.3x the time). Without a rendering, short extractions get it. With
# the vote (`extract_html`'s `vote`) the fast variant of the pass runs on every page and serves here too.
_ROOM = 2.0            # visible words per extracted word that call for a favor_recall pass ...
_SHORT_WORDS = 700     # ... or, when the page was not rendered, extractions shorter than this ...
_RECALL_GAIN = 1.5     # ... whose text replaces the default one when it has this many times its words

_WORD = re.compile(r"\w+")
_H1_OVERLAP = 0.5      # share of an <h1>'s words found in the metadata title for it to be the headline
_LONE_H1_WORDS = 4     # a lone <h1> shorter than this that the metadata does not back is a section name
_REPEAT_WORDS = 8      # a paragraph this long that repeats an earlier one is a duplicated page block


def _squash(s: str) -> str:
    return " ".join(s.split()).casefold()


def _to_text(body: str) -> str:
    """trafilatura's txt: one block per line; make blocks paragraphs, keep list items as `- item`.

    Blocks without a word (empty list items, rules) and long blocks the page repeats verbatim
    (responsive layouts render the article two or three times) are dropped."""
    out: list[str] = []
    seen: set[str] = set()
    for line in body.split("\n"):
        line = line.strip()
        if not _WORD.search(line):
            continue
        if len(_WORD.findall(line)) >= _REPEAT_WORDS:
            key = _squash(line)
            if key in seen:
                continue
            seen.add(key)
        if out and not (line.startswith("- ") and out[-1].startswith("- ")):
            out.append("")
        out.append(line)
    return "\n".join(out)


def _recall_text(tree, url: str | None, fast: bool = False) -> str:
    """trafilatura's favor_recall text of `tree`, a tree of its own (extraction prunes the tree it
    is given); `fast`: without its readability/jusText fallback."""
    doc = trafilatura.bare_extraction(tree, url=url, **{**_OPTIONS, "favor_recall": True, "fast": fast}) if tree is not None else None
    return _to_text(getattr(doc, "text", None) or "")


def _readability_text(tree) -> str:
    """The text of the block readability (trafilatura's copy of readability-lxml) takes for the
    article in `tree` (which it alters), rendered like the full page."""
    return _rendering(lxml.html.fromstring(ReadabilityDocument(tree, min_text_length=25).summary()))


@functools.cache
def _stop_words() -> frozenset[str]:
    """Every stop word of every language jusText knows: it runs before the language is known."""
    return frozenset(w for lang in justext.get_stoplists() for w in justext.get_stoplist(lang))


class _Paragraph(Paragraph):
    """jusText's paragraph, made for its classifier only: without the XPath jusText writes out
    for every paragraph it starts, and with its text made once, where jusText joins and
    re-spaces its parts again on each of the five or more reads its classifier makes."""

    def __init__(self, dom_path: str, text_nodes: list[str], links: int, tags: int):
        self.dom_path = dom_path
        self.xpath = None
        self.text_nodes = text_nodes
        self.chars_count_in_links = links
        self.tags_count = tags
        self.class_type = ""

    @functools.cached_property
    def text(self) -> str:
        return Paragraph.text.fget(self)


def _paragraphs(root) -> list[Paragraph]:
    """The paragraphs `ParagraphMaker.make_paragraphs(root)` makes (a test holds them to it), by
    its rules, from a walk of the tree rather than lxml's SAX events, and with a paragraph object
    made only for the 28% of the paragraphs it starts that hold text (on 100 clean-dev pages):
    jusText took ~22 ms a page for this (SAX events, an XPath and a dictionary per element)."""
    paragraphs: list[Paragraph] = []
    dom = [""]                   # the DOM path ("html.body.div") at each depth
    at, nodes, links, tags = "", [], 0, 0      # the paragraph being made: its DOM path, texts, counts
    link = br = False
    outside = lxml.etree.ProcessingInstruction     # beside the root, only their tails are text

    def close() -> None:         # jusText's _start_new_pragraph
        nonlocal at, nodes, links, tags
        if nodes:
            p = _Paragraph(at, nodes, links, tags)
            if p.text:
                paragraphs.append(p)
        at, nodes, links, tags = dom[-1], [], 0, 0

    def siblings(step):
        node = step(root)
        while node is not None and node.tag is outside:
            yield node
            node = step(node)

    stack: list = [(node, None) for node in siblings(lambda e: e.getnext())][::-1]
    stack.append((root, None))
    stack.extend((node, None) for node in siblings(lambda e: e.getprevious()))
    while stack:
        node, closing = stack.pop()
        tag = node.tag
        if closing is not None:              # the element's end
            dom.pop()
            if closing in PARAGRAPH_TAGS:
                close()
            if closing == "a":
                link = False
            content = node.tail
        elif tag is lxml.etree.Comment or tag is outside:
            content = node.tail
        elif not isinstance(tag, str):
            raise TypeError(f"no SAX event for a {tag!r} node")   # as saxify fails on an entity
        else:
            name = tag.rpartition("}")[2]
            dom.append(f"{dom[-1]}.{name}" if len(dom) > 1 else name)
            if name in PARAGRAPH_TAGS or (name == "br" and br):
                if name == "br":
                    tags -= 1
                close()
            else:
                br = name == "br"
                if br:
                    nodes.append(" ")
                elif name == "a":
                    link = True
                tags += 1
            stack.append((node, name))
            stack.extend((child, None) for child in reversed(node))
            content = node.text
        if content and not content.isspace():
            content = normalize_whitespace(content)
            nodes.append(content)
            if link:
                links += len(content)
            br = False
    close()
    return paragraphs


def _justext_text(tree) -> str:
    """The paragraphs jusText does not class as boilerplate in `tree` (which loses its scripts),
    with its defaults as trafilatura calls it, one per paragraph."""
    # jusText would read a script's JSON-LD as a paragraph of text
    lxml.etree.strip_elements(tree, "script", "style", "noscript", "template", with_tail=False)
    paragraphs = _paragraphs(tree)
    classify_paragraphs(paragraphs, _stop_words(), 50, 150, 0.1, 0.2, 0.25, True)
    revise_paragraph_classification(paragraphs, 150)
    return "\n\n".join(t for t in (" ".join(p.text.split()) for p in paragraphs if not p.is_boilerplate) if t)


def _voter(make, *args) -> str:
    """One voter's text; a failing extractor costs the page only that vote."""
    try:
        return make(*args)
    except Exception:   # readability and jusText raise many types on odd trees
        return ""


def _rendering(tree) -> str:
    """All visible text of the page (on a copy of `tree`: the extraction prunes it); "" when the
    renderer fails, which costs the page only the comparison, not its extraction."""
    try:
        return html_text.extract_text(tree)
    except Exception:   # lxml's cleaner raises several types on odd trees
        return ""


def extract_html(a: Article, rendered_ratio: float = 0.0, fix_mojibake: bool = True, vote: bool = False) -> None:
    """Set a.text (and a.title if missing) from a.html and clear a.html; unreadable -> quarantine.

    `rendered_ratio` > 0: also render all of the page's visible text, and keep it in a.rendered
    when it has at least this many times the extracted text's words (the extractor may have
    taken a box of the page for its article; the cleaner then compares, see `Cleaner.apply_many`).
    `vote`: keep other views of the page for the cleaner to vote with: the full rendering
    (a.rendered, always) and the texts of three other extractors (a.voters: trafilatura's
    favor_recall, readability, jusText).
    `fix_mojibake`: first repair a page whose UTF-8 was read as Latin-1 (the normaliser cannot do
    it afterwards: the extractor drops the C1 controls that half of those characters became)."""
    if a.html is None:
        return
    html, a.html = a.html, None
    if fix_mojibake:
        html = repair_misdecoded(html)
    headings: list[str] = []
    page_title = og_title = ""
    text = rendered = recalled = ""
    n = 0       # words of `text`
    visible = None      # words of `rendered`
    pristine = None     # with the vote, an untouched copy of the parsed page for the other extractors (the
                        # default extraction prunes `tree`; copying it is faster than parsing the page again)

    def fresh():
        return copy.deepcopy(pristine) if pristine is not None else load_html(html)

    try:
        tree = load_html(html)
        if tree is not None and vote:
            pristine = copy.deepcopy(tree)
        if tree is not None and (rendered_ratio > 0 or vote):
            rendered = _rendering(tree)
        if tree is not None:
            headings = [h for h in (" ".join(e.text_content().split()) for e in tree.iter("h1")) if h]
            t = tree.find(".//title")
            page_title = " ".join(t.text_content().split()) if t is not None else ""
            og_title = " ".join(" ".join(tree.xpath('//meta[@property="og:title" or @name="og:title"]/@content')[:1]).split())
        # No with_metadata: its date/author search took a third of the time and only the title was used.
        doc = trafilatura.bare_extraction(tree, url=a.url, **_OPTIONS) if tree is not None else None
        text = _to_text(getattr(doc, "text", None) or "")
        n = len(_WORD.findall(text))
        visible = len(_WORD.findall(rendered)) if rendered else None
        room = (n < _SHORT_WORDS) if visible is None else (visible >= _ROOM * n)
        if room or vote:
            # one pass serves both; the fast one (no fallback) is the better third view (clean-dev:
            # F1 0.9574 against 0.9568 with the full pass, which takes ~4 ms a page more)
            recalled = _recall_text(fresh(), a.url, fast=vote)
            m = len(_WORD.findall(recalled))
            if room and m >= _RECALL_GAIN * n:
                text, n = recalled, m
    except Exception:  # trafilatura/lxml raise many types on broken markup; one reason for all
        pass
    if not text.strip():
        a.quarantine("unreadable:html")
        return
    a.text = text
    if rendered and visible is not None and (vote or visible >= rendered_ratio * n):
        a.rendered = rendered
    if vote:     # in the order of VOTERS
        a.voters = [t if _WORD.search(t) else "" for t in
                    (recalled, _voter(_readability_text, fresh()), _voter(_justext_text, pristine))]
    # The extractor already dropped the page furniture; the cleaner then applies only the site
    # template layer (see BoilerplateConfig.extracted_single_page_rules).
    a.extracted = True
    if not a.title:
        title = _title(og_title or page_title, page_title, headings)
        a.title = unescape_title(title)


def _title(meta: str, page_title: str, headings: list[str]) -> str | None:
    """The page's headline from its metadata title (og:title, else <title>), its <title> element
    and its <h1>s.

    An <h1> that repeats the metadata title's words is the headline (the metadata usually carries a
    site suffix or an SEO variant); an <h1> that is the <title>'s site part is the logo, never the
    headline; a lone <h1> of a few words the metadata does not back is a section name ("Blog"),
    so then the <title> without its " | Site" suffix wins."""
    parts = [p.strip() for p in _SEPARATOR.split(page_title) if p.strip()]
    site_parts = {_squash(p) for p in parts[1:]}
    headings = [h for h in headings if _squash(h) not in site_parts]
    meta_words = set(_WORD.findall(meta.casefold()))
    for h in headings:
        words = set(_WORD.findall(h.casefold()))
        if words and len(words & meta_words) >= _H1_OVERLAP * len(words):
            return h
    if len(headings) == 1 and len(_WORD.findall(headings[0])) >= _LONE_H1_WORDS:
        return headings[0]
    if len(parts) > 1:
        return parts[0]
    return meta or (headings[0] if headings else None)
