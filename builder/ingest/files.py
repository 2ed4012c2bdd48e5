"""Whole-file documents: *.txt, *.html, *.htm, *.html.gz (one file = one document)."""
from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator

from builder.article import Article
from builder.config import IngestConfig
from builder.ingest.decode import decode_bytes, decode_html
from builder.ingest.source import Source


def read_whole_file(src: Source, cfg: IngestConfig) -> Iterator[Article]:
    a = Article(id=src.stem_id, site=src.site(cfg), origin=src.origin)
    data, reason = _read_bytes(src, cfg)
    if data is not None:
        text, reason = (decode_html if src.kind == "html" else decode_bytes)(data)
        if text is not None:
            if src.kind == "html":
                a.html = text   # builder.extract turns it into text later
            else:
                a.text = text
    if reason:
        a.quarantine(reason)
    yield a


def _read_bytes(src: Source, cfg: IngestConfig) -> tuple[bytes | None, str | None]:
    if src.suffix.lower().endswith(".gz"):
        try:
            with gzip.open(src.path, "rb") as fh:
                data = fh.read(cfg.max_bytes + 1)
        except EOFError:
            return None, "unreadable:truncated"
        except (gzip.BadGzipFile, zlib.error):
            return None, "unreadable:corrupt"
    else:
        if src.path.stat().st_size > cfg.max_bytes:
            return None, "unreadable:too_large"
        data = src.path.read_bytes()
    if len(data) > cfg.max_bytes:
        return None, "unreadable:too_large"
    return data, None
