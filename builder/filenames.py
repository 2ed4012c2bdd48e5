"""How input files are named in ids, the audit's `origin` and the manifest's input fingerprint.

Its own light module: `check` and `diff` read manifests without loading the input readers.
"""
from __future__ import annotations

from pathlib import Path


def printable(name: str) -> str:
    """A file name as text that can be written anywhere: bytes that are not UTF-8 (which Python
    carries as lone surrogates) become `\\xNN` escapes instead of failing JSON and Arrow."""
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:      # a surrogate that is no escaped byte
        return name.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def printable_parts(root: Path, path: Path) -> tuple[str, ...]:
    """The `printable` folder and file names of `path` under `root`: how ingest (ids, `origin`)
    and the manifest's input fingerprint name an input file."""
    return tuple(printable(x) for x in path.relative_to(root).parts)
