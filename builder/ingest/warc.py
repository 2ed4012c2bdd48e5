"""*.warc, *.warc.gz: one `response` record with an HTML body = one document.

Requests, metadata, revisits and non-HTML responses (images, scripts) are not documents and are
skipped. Records are numbered from 0 in file order (all record types), for `origin` "path#N".
warcio reads a cut-off file without complaint (the last record just comes out short or not at
all), so truncation is checked here: a record shorter than its Content-Length, or bytes left
over after the last record that warcio could parse.
"""
from __future__ import annotations

import zlib
from collections.abc import Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from builder.article import Article
from builder.config import IngestConfig
from builder.ingest.decode import decode_html
from builder.ingest.source import Source

class _QuietArchiveIterator(ArchiveIterator):
    # warcio writes a multi-line warning to stderr for a record with a wrong Content-Length;
    # the CLI promises one-line errors, and the record is still read as well as it can be
    INC_RECORD = ""


_HTML_SNIFF = (b"<!doctype html", b"<html", b"<head", b"<body")
_LEFTOVER_PROBE = 1 << 16


def read_warc(src: Source, cfg: IngestConfig) -> Iterator[Article]:
    done = end = 0
    try:
        with src.path.open("rb") as fh:
            records = _QuietArchiveIterator(fh)
            for record in records:
                a = _document(record, done, src, cfg) if record.rec_type == "response" else None
                end = records.get_record_offset() + records.get_record_length()  # reads the record to its end
                if record.raw_stream.limit > 0:
                    break  # shorter than declared: the file was cut inside this record
                if a is not None:
                    yield a
                done += 1
            else:
                fh.seek(end)
                if not fh.read(_LEFTOVER_PROBE).strip():
                    return
    except (ArchiveLoadFailed, EOFError, zlib.error, ValueError, AttributeError):
        pass  # warcio fails like this on a cut or garbled record header
    # the records before the break are kept; the rest is reported once
    a = Article(id=f"{src.rel}#{done}", site=src.folder_site, origin=f"{src.origin}#{done}")
    a.quarantine("unreadable:truncated" if done else "unreadable:corrupt")
    yield a


def _document(record, n: int, src: Source, cfg: IngestConfig) -> Article | None:
    headers = record.http_headers or record.rec_headers
    ctype = (headers.get_header("Content-Type") or "").lower()
    body = record.content_stream().read(cfg.max_bytes + 1)
    if not body or not ("html" in ctype or (not ctype and body[:512].lstrip().lower().startswith(_HTML_SNIFF))):
        return None
    url = record.rec_headers.get_header("WARC-Target-URI")
    rid = (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<> ") or f"{src.rel}#{n}"
    a = Article(id=rid, url=url, site=src.site(cfg, None, url),
                fetched_at=record.rec_headers.get_header("WARC-Date"), origin=f"{src.origin}#{n}")
    if len(body) > cfg.max_bytes:
        a.quarantine("unreadable:too_large")
        return a
    charset = ctype.split("charset=", 1)[1].split(";")[0].strip(" \"'") if "charset=" in ctype else None
    a.html, reason = decode_html(body, charset)
    if reason:
        a.quarantine(reason)
    return a
