"""*.parquet: one row = one document, same columns as JSONL, streamed by record batches."""
from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from builder.article import Article
from builder.config import IngestConfig
from builder.ingest.records import FIELDS, from_record
from builder.ingest.source import Source

_BATCH_ROWS = 1024


def read_parquet(src: Source, cfg: IngestConfig) -> Iterator[Article]:
    try:
        pf = pq.ParquetFile(src.path)
    except (pa.ArrowException, OSError):
        yield src.whole_file_error("unreadable:corrupt")
        return
    columns = [c for c in FIELDS if c in pf.schema_arrow.names]
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=_BATCH_ROWS, columns=columns):
            for obj in batch.to_pylist():
                yield from_record(obj, f"{src.rel}#{row}", f"{src.origin}#{row}", src, cfg)
                row += 1
    except (pa.ArrowException, OSError):
        a = Article(id=f"{src.rel}#{row}", site=src.folder_site, origin=f"{src.origin}#{row}")
        a.quarantine("unreadable:truncated")
        yield a
