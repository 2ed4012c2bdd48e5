"""One JSON object or Parquet row (the same columns) to an Article."""
from __future__ import annotations

from builder.article import Article
from builder.config import IngestConfig
from builder.ingest.decode import clean_str
from builder.ingest.source import Source

FIELDS = ("id", "text", "html", "url", "site", "title", "published_at", "fetched_at", "lang")


def from_record(obj: dict, fallback_id: str, origin: str, src: Source, cfg: IngestConfig) -> Article:
    """Unknown fields are ignored; a record with neither text nor html is unreadable:no_text."""
    url = clean_str(obj.get("url"))
    a = Article(
        id=clean_str(obj.get("id")) or fallback_id,
        url=url,
        site=src.site(cfg, clean_str(obj.get("site")), url),
        title=clean_str(obj.get("title")),
        published_at=clean_str(obj.get("published_at")),
        fetched_at=clean_str(obj.get("fetched_at")),
        lang_hint=clean_str(obj.get("lang")),
        origin=origin,
    )
    text, html = obj.get("text"), obj.get("html")
    # an empty text is still a document (the quality filter drops it); html only fills in for no text
    if isinstance(html, str) and html and not (isinstance(text, str) and text):
        body, is_html = html, True
    elif isinstance(text, str):
        body, is_html = text, False
    else:
        a.quarantine("unreadable:no_text")
        return a
    if len(body) > cfg.max_bytes:
        a.quarantine("unreadable:too_large")
    elif is_html:
        a.html = clean_str(body)
    else:
        a.text = clean_str(body)
    return a
