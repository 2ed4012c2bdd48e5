"""*.warc, *.warc.gz: one `response` record with an HTML body = one document.

Requests, metadata, revisits and non-HTML responses (images, scripts) are not documents and are
skipped. Records are numbered from 0 in file order (all record types), for `origin` "path#N".
warcio reads a cut-off file without complaint (the last record just comes out short or not at
all), so truncation is checked here: a record shorter than its Content-Length, or bytes left
over after the last record that warcio could parse.

A damaged record in the middle of a file is one quarantine entry, and reading goes on at the next
record start found after it (a gzip member in a .warc.gz, a `WARC/1.x` line in a .warc): the
records after it are documents like any other. How many records the damaged stretch held cannot
be known, so the numbers of `origin` count it as one.
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
_GZIP_MAGIC = b"\x1f\x8b\x08"
_SCAN_BLOCK = 1 << 20


def read_warc(src: Source, cfg: IngestConfig) -> Iterator[Article]:
    done = 0        # records read (and damaged stretches), for `origin` numbers
    with src.path.open("rb") as fh:
        head = fh.read(_LEFTOVER_PROBE)
        gz = head[:2] == _GZIP_MAGIC[:2]
        if head.strip() and not _opens_a_record(head, gz) and _next_record(fh, 0, gz) is None:
            # not a WARC file at all (warcio would read plain text as an old ARC file and find no
            # document in it, so it would leave no trace): one entry for the file
            yield src.whole_file_error("unreadable:not_warc")
            return
        start = 0
        while True:
            fh.seek(start)
            damage = yield from _records(fh, src, cfg, done)
            if damage is None:
                return      # read to the end
            at, done = damage
            resume = _next_record(fh, at + 1, gz)
            # the records before the damage are kept; the damaged stretch is reported once
            a = Article(id=f"{src.rel}#{done}", site=src.folder_site, origin=f"{src.origin}#{done}")
            a.quarantine("unreadable:corrupt" if resume is not None or not done else "unreadable:truncated")
            yield a
            if resume is None:
                return
            done, start = done + 1, resume


def _records(fh, src: Source, cfg: IngestConfig, done: int):
    """Yield the documents of the records from fh's position on; return None when the file ended
    cleanly, else (offset where the damage starts, records read so far)."""
    end = fh.tell()
    try:
        records = _QuietArchiveIterator(fh)
        for record in records:
            a = _document(record, done, src, cfg) if record.rec_type == "response" else None
            offset = records.get_record_offset()
            length = records.get_record_length()    # reads the record to its end
            if record.raw_stream.limit > 0:
                return offset, done     # shorter than declared: the file was cut inside this record
            end = offset + length
            if a is not None:
                yield a
            done += 1
        fh.seek(end)
        if not fh.read(_LEFTOVER_PROBE).strip():
            return None
    except (ArchiveLoadFailed, EOFError, zlib.error, ValueError, AttributeError):
        pass  # warcio fails like this on a cut or garbled record header
    return end, done


def _next_record(fh, at: int, gz: bool) -> int | None:
    """Offset of the first readable record start at or after `at`, or None (read in blocks: a
    crawl file may be gigabytes)."""
    marker = _GZIP_MAGIC if gz else b"WARC/1."
    while True:
        fh.seek(at)
        block = fh.read(_SCAN_BLOCK)
        pos = block.find(marker)
        while pos >= 0:
            fh.seek(at + pos)
            if _opens_a_record(fh.read(_LEFTOVER_PROBE), gz):
                return at + pos
            pos = block.find(marker, pos + 1)
        if len(block) < _SCAN_BLOCK:
            return None
        at += len(block) - len(marker) + 1      # a marker cut by the block's end is found next time


def _opens_a_record(head: bytes, gz: bool) -> bool:
    if gz:
        try:
            head = zlib.decompressobj(31).decompress(head, 16)
        except zlib.error:
            return False
    return head.startswith(b"WARC/1.")


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
