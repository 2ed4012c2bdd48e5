"""The one record type that flows through every step, and the Arrow schemas of a release.

An `Article` is created by ingest, mutated in place by each step, and finally written either to
the release's `data/` shards (status "kept") or to its `audit/` shards (everything else).
Every input document becomes exactly one Article, so counting Articles is counting inputs.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import pyarrow as pa

KEPT = "kept"
DROPPED = "dropped"
QUARANTINED = "quarantined"
STATUSES = (KEPT, DROPPED, QUARANTINED)


# The extractors whose texts of an HTML page vote with its extraction and its full rendering, in
# the order of `Article.voters`.
VOTERS = ("favor_recall", "readability", "jusText")


@dataclass
class Article:
    id: str
    text: str = ""                      # the working body; cleaned in place by the steps
    site: str | None = None
    url: str | None = None
    title: str | None = None
    published_at: str | None = None
    fetched_at: str | None = None
    lang_hint: str | None = None        # `lang` as given by the input, if any
    html: str | None = None             # raw HTML for HTML/WARC input; cleared once text is extracted
    extracted: bool = False             # text came from HTML extraction (page furniture already gone)
    rendered: str | None = None         # HTML input: all of the page's visible text, when the extraction
                                        # looks short next to it (or to vote with); the cleaner compares and clears it
    voters: list[str] | None = None     # HTML input: other extractors' texts of the page (`VOTERS`, "" for none), to
                                        # vote with; cleared likewise
    view: str | None = None             # HTML input: the view whose cleaned text the page kept, when not its extraction
    origin: str = ""                    # where it came from: "path" or "path:line" / "path#record"
    # set by the steps
    dateline: str | None = None
    source: str | None = None
    lang: str | None = None
    lang_score: float | None = None
    status: str = KEPT
    reason: str | None = None
    removed: list[tuple[str, str]] = field(default_factory=list)  # (line, rule) removed as boilerplate
    content_hash: str | None = None     # hash of the normalised key, for exact dedup and `check`
    cluster_id: str | None = None
    duplicate_of: str | None = None
    similarity: float | None = None
    # pass 1's site-template hashes of the text's lines (under `title`), kept for pass 2; never published
    line_hashes: list[int] | None = None

    @property
    def alive(self) -> bool:
        """Still on its way to the release (not dropped or quarantined)."""
        return self.status == KEPT

    def drop(self, reason: str) -> None:
        self.status, self.reason = DROPPED, reason

    def quarantine(self, reason: str) -> None:
        self.status, self.reason = QUARANTINED, reason

    def clean_record(self) -> dict:
        """One line of `builder clean` output (see CONTRACT.md)."""
        return {
            "id": self.id, "site": self.site, "url": self.url, "status": self.status,
            "reason": self.reason, "text": self.text, "title": self.title,
            "dateline": self.dateline, "source": self.source, "lang": self.lang,
            "lang_score": None if self.lang_score is None else round(self.lang_score, 4),
        }


# The kept articles, as published in data/*.parquet. Field order is part of the contract.
DATA_SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("text", pa.string(), nullable=False),
    pa.field("title", pa.string()),
    pa.field("site", pa.string()),
    pa.field("url", pa.string()),
    pa.field("published_at", pa.string()),
    pa.field("fetched_at", pa.string()),
    pa.field("dateline", pa.string()),
    pa.field("source", pa.string()),
    pa.field("lang", pa.string()),
    pa.field("lang_score", pa.float32()),
    pa.field("n_words", pa.int32(), nullable=False),
    pa.field("content_hash", pa.string(), nullable=False),
    pa.field("cluster_id", pa.string()),
    pa.field("cluster_size", pa.int32()),
])

# Everything removed, as published in audit/*.parquet.
AUDIT_SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("status", pa.string(), nullable=False),
    pa.field("reason", pa.string(), nullable=False),
    pa.field("site", pa.string()),
    pa.field("url", pa.string()),
    pa.field("origin", pa.string()),
    pa.field("title", pa.string()),
    pa.field("lang", pa.string()),
    pa.field("text", pa.string()),
    pa.field("content_hash", pa.string()),
    pa.field("cluster_id", pa.string()),
    pa.field("duplicate_of", pa.string()),
    pa.field("similarity", pa.float32()),
])


# Han ideographs (with extensions and compatibility forms) and kana: written without spaces.
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
# Thai, Lao, Khmer and Myanmar put spaces between phrases, not words: a word is about four letters.
_SEA = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
_SEA_LETTERS_PER_WORD = 4
UNSPACED_SCRIPTS = f"[{_CJK.pattern[1:-1]}{_SEA.pattern[1:-1]}]"   # either kind, as one character class
_EITHER = re.compile(UNSPACED_SCRIPTS)    # one scan to tell that a text has neither


def count_words(text: str) -> int:
    """Whitespace words, plus one word per Han/kana character (Chinese and Japanese use no spaces)
    and one per four letters of Thai, Lao, Khmer or Myanmar (spaces there end phrases).

    Korean (Hangul) separates words with spaces, so it is counted like European text.
    """
    if text.isascii() or not _EITHER.search(text):
        return len(text.split())
    cjk = len(_CJK.findall(text))
    sea = len(_SEA.findall(text))
    return len(_CJK.sub(" ", text).split()) + cjk + sea // _SEA_LETTERS_PER_WORD


def n_words(text: str) -> int:
    return count_words(text)


# A character reference ("&#x26;", "&amp;"): left in a headline only by a site that escaped it twice.
_ENTITY = re.compile(r"&(?:#[0-9]{2,7}|#[xX][0-9a-fA-F]{2,6}|[a-zA-Z]{2,8});")


def unescape_title(title: str | None) -> str | None:
    """A headline with character references decoded, for sites that escape their titles twice
    (one level is decoded by the HTML parser, or never applied in a text scrape)."""
    return html.unescape(title) if title and _ENTITY.search(title) else title
