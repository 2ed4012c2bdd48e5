"""Articles spilled to disk between the passes of a build, so memory does not grow with the corpus.

A spill is one Arrow IPC stream file (lz4-compressed record batches): written batch by batch
while a pass runs, read back batch by batch by the next pass. Every `Article` field survives the
round trip, None values included; the file lives in the caller's temporary folder.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
import pyarrow as pa

from builder.article import Article

_REMOVED = pa.list_(pa.struct([pa.field("line", pa.string()), pa.field("rule", pa.string())]))
_TYPES = {"str": pa.string(), "str | None": pa.string(), "float | None": pa.float64(),
          "bool": pa.bool_(), "list[tuple[str, str]]": _REMOVED, "list[int] | None": pa.list_(pa.uint64()),
          "list[str] | None": pa.list_(pa.string())}
FIELDS = [f.name for f in dataclasses.fields(Article)]
SCHEMA = pa.schema([pa.field(f.name, _TYPES[f.type]) for f in dataclasses.fields(Article)])
_OPTIONS = pa.ipc.IpcWriteOptions(compression="lz4")


class Spill:
    """`write` Articles (buffered into batches of `batch_size`), `close`, then `read` the batches back."""

    def __init__(self, path: Path, batch_size: int = 1024):
        self.path = Path(path)
        self.batch_size = batch_size
        self.count = 0
        self._buffer: list[Article] = []
        self._sink = pa.OSFile(str(self.path), "wb")
        self._writer = pa.ipc.new_stream(self._sink, SCHEMA, options=_OPTIONS)

    def write(self, a: Article) -> None:
        self._buffer.append(a)
        self.count += 1
        if len(self._buffer) >= self.batch_size:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            columns = {name: [getattr(a, name) for a in self._buffer] for name in FIELDS}
            self._writer.write_batch(pa.RecordBatch.from_pydict(columns, schema=SCHEMA))
            self._buffer = []

    def close(self) -> None:
        if self._writer is not None:
            self._flush()
            self._writer.close()
            self._sink.close()
            self._writer = None

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def read(self) -> Iterator[list[Article]]:
        """The written Articles, in write order, one batch (list) at a time."""
        self.close()
        with pa.OSFile(str(self.path), "rb") as source:
            for batch in pa.ipc.open_stream(source):
                yield [_article(row) for row in batch.to_pylist()]


def _article(row: dict) -> Article:
    row["removed"] = [(r["line"], r["rule"]) for r in row["removed"]]
    return Article(**row)
