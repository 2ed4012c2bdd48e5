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
    # Row group by row group: the footer says how many rows each holds, so a damaged group costs
    # its own rows (each quarantined under its id), never the groups after it.
    row = 0
    for group in range(pf.metadata.num_row_groups):
        end = row + pf.metadata.row_group(group).num_rows
        try:
            for batch in pf.iter_batches(batch_size=_BATCH_ROWS, row_groups=[group], columns=columns):
                for obj in batch.to_pylist():
                    yield from_record(obj, f"{src.rel}#{row}", f"{src.origin}#{row}", src, cfg)
                    row += 1
        except (pa.ArrowException, OSError):
            pass
        for lost in range(row, end):
            a = Article(id=f"{src.rel}#{lost}", site=src.folder_site, origin=f"{src.origin}#{lost}")
            a.quarantine("unreadable:corrupt")
            yield a
        row = end
