"""Deterministic Parquet shards: the kept articles (DATA_SCHEMA) and the audit of removed ones.

Byte-identical output for identical input is part of the release promise, so: the schema is
explicit (never inferred), rows keep input order, row groups have a fixed size, the page index
is written, and nothing time-dependent enters the file (pyarrow's `created_by` names only the
library version, which the manifest records anyway).
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from builder.article import DATA_SCHEMA, KEPT, QUARANTINED, Article, n_words
from builder.config import LEVELLED_CODECS, PublishConfig
from builder.errors import BuilderError
from builder.normalize import content_hash


def is_kept(a: Article) -> bool:
    """Kept = status kept and not pointing at another document (a duplicate never ships)."""
    return a.status == KEPT and a.duplicate_of is None


def audit_status(a: Article) -> str:
    # a "kept" article that names its original is a duplicate the dedup step marked only by duplicate_of
    return a.status if a.status != KEPT else "dropped"


def audit_reason(a: Article) -> str:
    return a.reason or ("duplicate" if a.duplicate_of else "unknown")


def _hash(a: Article) -> str | None:
    """Dedup hashes every alive document; one it did not see (dedup off, or dropped by a filter
    before it) is hashed here. A quarantined document has no clean text to hash."""
    if a.content_hash or a.status == QUARANTINED:
        return a.content_hash
    return content_hash(a.text or "")


def data_row(a: Article, cluster_sizes: Counter) -> dict:
    return {
        "id": a.id, "text": a.text, "title": a.title, "site": a.site, "url": a.url,
        "published_at": a.published_at, "fetched_at": a.fetched_at, "dateline": a.dateline,
        "source": a.source, "lang": a.lang, "lang_score": a.lang_score,
        "n_words": n_words(a.text), "content_hash": _hash(a), "cluster_id": a.cluster_id,
        "cluster_size": cluster_sizes[a.cluster_id] if a.cluster_id is not None else 1,
    }


def audit_row(a: Article) -> dict:
    return {
        "id": a.id, "status": audit_status(a), "reason": audit_reason(a), "site": a.site, "url": a.url,
        "origin": a.origin or None, "title": a.title, "lang": a.lang, "text": a.text,
        "content_hash": _hash(a), "cluster_id": a.cluster_id,
        "duplicate_of": a.duplicate_of, "similarity": a.similarity,
    }


@dataclass
class ReleasePlan:
    """What the shard writers must know before the first row: the number of shards of each part
    is in every shard's name, and each data row carries the size of its cluster."""
    documents: int                      # every article of the release, kept or not
    kept: int
    cluster_sizes: Counter = field(default_factory=Counter)   # cluster_id -> articles in it

    @classmethod
    def of(cls, articles: list[Article]) -> ReleasePlan:
        return cls(len(articles), sum(map(is_kept, articles)),
                   Counter(a.cluster_id for a in articles if a.cluster_id is not None))


def shard_name(prefix: str, index: int, total: int) -> str:
    return f"{prefix}-{index:05d}-of-{total:05d}.parquet"


class ShardWriter:
    """Rows appended one at a time become `prefix-0000i-of-0000N.parquet` (at least one, possibly
    empty, shard), written one row group at a time: at most a row group is held in memory, as
    Arrow batches of `ARROW_ROWS` rows, not as Python rows.

    The bytes equal those of `pq.write_table` over each shard's rows at once (the writer encodes in
    runs of 1024 values, and every batch but a row group's last holds a multiple of that), and
    `nbytes` equals that whole-shard table's in-memory Arrow size (what the card calls num_bytes)."""

    ARROW_ROWS = 1024

    def __init__(self, schema: pa.Schema, folder: Path, prefix: str, rows: int, cfg: PublishConfig):
        folder.mkdir(parents=True, exist_ok=True)
        self.schema, self.folder, self.prefix, self.cfg, self.rows = schema, folder, prefix, cfg, rows
        self.total = max(1, math.ceil(rows / cfg.shard_rows))
        self.paths: list[Path] = []
        self.nbytes = 0
        self._added = 0          # rows added in all
        self._group = 0          # rows of the row group being collected
        self._buffer: list[dict] = []
        self._batches: list[pa.RecordBatch] = []
        self._writer: pq.ParquetWriter | None = None
        self._shard = _ShardSize(schema)

    def add(self, row: dict) -> None:
        if self._added >= self.rows:
            raise BuilderError(f"{self.prefix} shards: more than the {self.rows} rows planned")
        self._buffer.append(row)
        self._added += 1
        self._group += 1
        if len(self._buffer) == self.ARROW_ROWS:
            self._to_arrow()
        if self._group == self.cfg.row_group_rows or self._added % self.cfg.shard_rows == 0:
            self._flush()

    def _to_arrow(self) -> None:
        self._batches.append(pa.RecordBatch.from_pylist(self._buffer, schema=self.schema))
        self._buffer = []

    def _flush(self) -> None:
        if self._buffer:
            self._to_arrow()
        table = pa.Table.from_batches(self._batches, schema=self.schema)
        self._batches, self._group = [], 0
        if self._writer is None:
            path = self.folder / shard_name(self.prefix, len(self.paths), self.total)
            self._writer = pq.ParquetWriter(path, self.schema, **self._options())
            self.paths.append(path)
        self._writer.write_table(table, row_group_size=self.cfg.row_group_rows)
        self._shard.add(table)
        if self._added % self.cfg.shard_rows == 0 or self._added == self.rows:
            self._writer.close()
            self._writer = None
            self.nbytes += self._shard.pop()

    def _options(self) -> dict:
        # pyarrow refuses a level for a codec that takes none ("none", "snappy")
        level = self.cfg.compression_level if self.cfg.compression.lower() in LEVELLED_CODECS else None
        return {"compression": self.cfg.compression, "compression_level": level,
                "write_page_index": True, "write_statistics": True, "use_dictionary": True}

    def close(self) -> tuple[list[Path], int]:
        """The shard paths and their rows' Arrow size; every planned row must have come."""
        if self._group:
            self._flush()
        if self._added != self.rows:
            raise BuilderError(f"{self.prefix} shards: {self._added} rows written, {self.rows} planned")
        if not self.paths:
            path = self.folder / shard_name(self.prefix, 0, 1)
            pq.write_table(pa.Table.from_pylist([], schema=self.schema), path,
                           row_group_size=self.cfg.row_group_rows, **self._options())
            self.paths.append(path)
        return self.paths, self.nbytes


class _ShardSize:
    """`pa.Table.nbytes` of a shard built from all its rows at once, summed from its row groups:
    per column 4 bytes a row (offsets or values), the string bytes, and a validity bitmap
    (one bit a row) when the shard holds a null in that column."""

    def __init__(self, schema: pa.Schema):
        self.schema = schema
        self.pop()

    def add(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        for i, f in enumerate(self.schema):
            col = table.column(i)
            self.nulls[i] = self.nulls[i] or col.null_count > 0
            if pa.types.is_string(f.type):
                self.data += pc.sum(pc.binary_length(col)).as_py() or 0

    def pop(self) -> int:
        """The size of the shard so far; starts the next shard."""
        size = 0
        if getattr(self, "rows", 0):
            widths = sum(4 if pa.types.is_string(f.type) else f.type.byte_width for f in self.schema)
            size = self.rows * widths + self.data + sum(self.nulls) * ((self.rows + 7) // 8)
        self.rows, self.data, self.nulls = 0, 0, [False] * len(self.schema)
        return size


def read_columns(paths: list[Path], columns: list[str]) -> pa.Table:
    """Selected columns of several shards, concatenated in shard order."""
    tables = [pq.read_table(p, columns=columns) for p in sorted(paths)]
    return pa.concat_tables(tables) if tables else pa.table({c: [] for c in columns})


CARRIED = "release:"  # Article.origin prefix of a document carried over from the previous release


def read_kept_articles(release: Path, skip_ids: Container[str], batch_size: int = 1024) -> Iterator[Article]:
    """The kept articles of an earlier release as Articles (origin "release:<dir>"), streamed, for
    carrying them into the next version; ids in `skip_ids` are left out (this build supplies them again)."""
    names = [f.name for f in DATA_SCHEMA if f.name in Article.__dataclass_fields__]
    for path in sorted((release / "data").glob("*.parquet")):
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size, columns=names):
            for row in batch.to_pylist():
                if row["id"] not in skip_ids:
                    yield Article(**row, origin=f"{CARRIED}{release.name}")


def kept_ids(release: Path) -> set[str]:
    """The ids of an earlier release's kept articles."""
    return set(read_columns(sorted((release / "data").glob("*.parquet")), ["id"])["id"].to_pylist())


def carried_clusters(release: Path, skip_ids: Container[str]) -> tuple[int, Counter]:
    """How many kept articles of an earlier release carry over, and their cluster ids, counted."""
    n, sizes = 0, Counter()
    for path in sorted((release / "data").glob("*.parquet")):
        for batch in pq.ParquetFile(path).iter_batches(columns=["id", "cluster_id"]):
            for doc_id, cluster_id in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist()):
                if doc_id not in skip_ids:
                    n += 1
                    if cluster_id is not None:
                        sizes[cluster_id] += 1
    return n, sizes
