"""Read raw inputs (files or folders) into Articles, one per input document.

`read_inputs` never raises for a bad document: whatever cannot be read becomes a quarantined
Article with an `unreadable:<what>` reason, so every input document is accounted for. Only a
path that does not exist is a usage error (BuilderError), checked before anything is yielded.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from builder.article import Article
from builder.config import IngestConfig
from builder.errors import BuilderError
from builder.ingest.files import read_whole_file
from builder.ingest.jsonl import read_jsonl
from builder.ingest.parquet import read_parquet
from builder.filenames import printable, printable_parts
from builder.ingest.source import Source, kind_of
from builder.ingest.warc import read_warc

READERS: dict[str, Callable[[Source, IngestConfig], Iterator[Article]]] = {
    "txt": read_whole_file, "html": read_whole_file, "jsonl": read_jsonl,
    "warc": read_warc, "parquet": read_parquet,
}


def read_inputs(paths: list[str | Path], cfg: IngestConfig) -> Iterator[Article]:
    """Articles from every document under `paths`, in a deterministic order."""
    roots = [Path(p) for p in paths]
    for root in roots:
        if not root.exists():
            raise BuilderError(f"input not found: {root}")
        if root.is_file() and kind_of(root.name)[0] is None:
            raise BuilderError(f"input {root}: unsupported kind (expected .txt, .jsonl[.gz|.zst], "
                               ".html[.gz], .htm, .warc[.gz] or .parquet)")
    return _read_all(roots, cfg)


def _read_all(roots: list[Path], cfg: IngestConfig) -> Iterator[Article]:
    seen: set[str] = set()
    for root in roots:
        for src in sources(root, cfg):
            for a in _read_one(src, cfg):
                # an unreadable document still gets the contract's site fallback, like a readable one
                a.site = a.site or cfg.site
                if a.alive:
                    if a.id in seen:
                        a.quarantine("duplicate_id")
                    else:
                        seen.add(a.id)
                yield a


def _read_one(src: Source, cfg: IngestConfig) -> Iterator[Article]:
    if not src.path.is_file():
        # a named pipe would block the run, a device never end; a dangling link has nothing to read
        yield src.whole_file_error("unreadable:not_a_file")
        return
    if src.kind is None:
        yield src.whole_file_error("unreadable:unsupported_kind")
        return
    try:
        yield from READERS[src.kind](src, cfg)
    except OSError:
        # permissions, a file vanishing mid-run, a disk error: one entry for what is left of it
        yield src.whole_file_error("unreadable:io")


def sources(root: Path, cfg: IngestConfig) -> Iterator[Source]:
    """The files under one input root, sorted by path; hidden files and folders, and symbolic
    links unless `follow_symlinks`, are not inputs. A folder reached twice through links (a link
    to a parent makes a loop) is read once."""
    if root.is_file():
        kind, suffix = kind_of(root.name)
        name = printable(root.name)
        yield Source(root, name, kind, suffix, None, name)
        return
    top = printable(root.resolve().name)
    found: list[tuple[tuple[str, ...], Path]] = []
    visited: set[str] = set()
    for folder, dirs, files in os.walk(root, followlinks=cfg.follow_symlinks):
        if cfg.follow_symlinks:
            real = os.path.realpath(folder)
            if real in visited:
                dirs[:] = []
                continue
            visited.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))    # sorted: which copy is read first is fixed
        for name in files:
            path = Path(folder, name)
            if name.startswith(".") or (path.is_symlink() and not cfg.follow_symlinks):
                continue
            found.append((printable_parts(root, path), path))
    for parts, path in sorted(found):
        kind, suffix = kind_of(path.name)
        rel = "/".join(parts)
        yield Source(path, rel, kind, suffix, parts[0] if len(parts) > 1 else None, f"{top}/{rel}")
