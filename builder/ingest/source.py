"""Where a file sits among the inputs: its kind, its id stem, its folder site, its audit name."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder.article import Article
from builder.config import IngestConfig
from builder.ingest.decode import host_of

# longest suffix first, so "a.jsonl.gz" is jsonl.gz and not gz
KINDS = (
    (".jsonl.gz", "jsonl"), (".jsonl.zst", "jsonl"), (".html.gz", "html"), (".warc.gz", "warc"),
    (".jsonl", "jsonl"), (".txt", "txt"), (".html", "html"), (".htm", "html"), (".warc", "warc"),
    (".parquet", "parquet"),
)


def kind_of(name: str) -> tuple[str | None, str]:
    """(kind, suffix) from a file name, (None, "") when the builder cannot read it."""
    low = name.lower()
    for suffix, kind in KINDS:
        if low.endswith(suffix) and len(low) > len(suffix):
            return kind, name[-len(suffix):]
    return None, ""


@dataclass(frozen=True)
class Source:
    path: Path                 # the file to open
    rel: str                   # posix path under the input root; the file name when the root is the file
    kind: str | None
    suffix: str
    folder_site: str | None    # first folder under the input root
    shown: str = ""            # `rel` under the root folder's own name: the audit's `origin`

    @property
    def origin(self) -> str:
        # Not the path as typed: `in/x`, `./in/x` and `/abs/in/x` are the same inputs and give
        # the same release bytes (the manifest's input fingerprint names files the same way).
        return self.shown or self.rel

    @property
    def stem_id(self) -> str:
        """Id of a whole-file document: its path under the root without the kind's suffix."""
        return self.rel[: -len(self.suffix)] if self.suffix else self.rel

    def site(self, cfg: IngestConfig, explicit: str | None = None, url: str | None = None) -> str:
        return explicit or host_of(url) or self.folder_site or cfg.site

    def whole_file_error(self, reason: str) -> Article:
        """The one quarantine entry for a file that cannot be read at all (or not to its end)."""
        a = Article(id=self.rel, site=self.folder_site, origin=self.origin)
        a.quarantine(reason)
        return a
