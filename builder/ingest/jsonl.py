"""*.jsonl, *.jsonl.gz, *.jsonl.zst: one document per line, streamed (never the whole file in memory)."""
from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Iterator
from typing import BinaryIO

import zstandard

from builder.article import Article
from builder.config import IngestConfig
from builder.ingest.decode import decode_bytes
from builder.ingest.records import from_record
from builder.ingest.source import Source

_CHUNK = 1 << 20


def read_jsonl(src: Source, cfg: IngestConfig) -> Iterator[Article]:
    line_no = 0
    try:
        with src.path.open("rb") as raw:
            stream = _decompressed(raw, src.suffix.lower())
            if stream.peek(2)[:2] in _UTF16_BOMS:
                stream = _Utf8Lines(stream)
            while True:
                line = stream.readline(cfg.max_bytes + 1)
                if not line:
                    return
                line_no += 1
                if len(line) > cfg.max_bytes and not line.endswith(b"\n"):
                    _skip_rest_of_line(stream)
                    yield _bad(src, line_no, "unreadable:too_large")
                elif line.strip():
                    yield _parse(line, line_no, src, cfg)
    except EOFError:
        # the docs before the break are kept; what is lost is reported once, as one entry
        yield _bad(src, line_no + 1, "unreadable:truncated")
    except UnicodeDecodeError:
        # a UTF-16 file broken from here on: the lines before it are kept, the rest is one entry
        yield _bad(src, line_no + 1, "unreadable:encoding")
    except (gzip.BadGzipFile, zlib.error, zstandard.ZstdError):
        yield _bad(src, line_no + 1, "unreadable:truncated" if line_no else "unreadable:corrupt")


def _decompressed(raw: BinaryIO, suffix: str) -> BinaryIO:
    if suffix.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw, mode="rb")  # raises EOFError on a cut stream
    if suffix.endswith(".zst"):
        return io.BufferedReader(_ChunkReader(_zstd_chunks(raw)), _CHUNK)
    return raw


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class _Utf8Lines:
    """The lines of a UTF-16 stream (one with a byte order mark: Windows tools write JSON Lines
    so), as the UTF-8 bytes the reader expects; split on UTF-8 bytes, it would break every line."""

    def __init__(self, stream: BinaryIO):
        self._text = io.TextIOWrapper(stream, encoding="utf-16", newline="")
        self._left = b""         # the rest of a line longer than the last call's limit

    def readline(self, limit: int = -1) -> bytes:
        """At most `limit` bytes of UTF-8, as a binary stream's readline: the limit counts bytes
        (`max_bytes`), while the text stream's counts characters, which take up to four."""
        if not self._left:
            self._left = self._text.readline(limit).encode("utf-8", "surrogatepass")
        n = len(self._left) if limit < 0 else limit
        out, self._left = self._left[:n], self._left[n:]
        return out


def _zstd_chunks(raw: BinaryIO) -> Iterator[bytes]:
    """Decompressed chunks of all frames; EOFError when the last frame is cut off.

    zstandard's stream_reader just stops at a cut frame, which would pass a half line on as
    malformed JSON instead of reporting the truncation.
    """
    dobj, pending = zstandard.ZstdDecompressor().decompressobj(), False
    while chunk := raw.read(_CHUNK):
        while chunk:
            pending = True
            yield dobj.decompress(chunk)
            chunk = b""
            if dobj.eof:
                chunk, pending = dobj.unused_data, False
                dobj = zstandard.ZstdDecompressor().decompressobj()
    if pending:
        raise EOFError("zstd stream ended inside a frame")


class _ChunkReader(io.RawIOBase):
    """A raw stream over an iterator of byte chunks, so io.BufferedReader can split lines."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks, self._buf = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._buf:
            try:
                self._buf = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buf))
        b[:n], self._buf = self._buf[:n], self._buf[n:]
        return n


def _skip_rest_of_line(stream: BinaryIO) -> None:
    while True:
        chunk = stream.readline(_CHUNK)
        if not chunk or chunk.endswith(b"\n"):
            return


def _parse(line: bytes, line_no: int, src: Source, cfg: IngestConfig) -> Article:
    text, reason = decode_bytes(line)
    if text is None:
        return _bad(src, line_no, reason or "unreadable:encoding")
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return _bad(src, line_no, "unreadable:json")
    if not isinstance(obj, dict):
        return _bad(src, line_no, "unreadable:json")
    return from_record(obj, f"{src.rel}:{line_no}", f"{src.origin}:{line_no}", src, cfg)


def _bad(src: Source, line_no: int, reason: str) -> Article:
    a = Article(id=f"{src.rel}:{line_no}", site=src.folder_site, origin=f"{src.origin}:{line_no}")
    a.quarantine(reason)
    return a
