"""Deterministic Parquet shards: the kept articles (DATA_SCHEMA) and the audit of removed ones.

Byte-identical output for identical input is part of the release promise, so: the schema is
explicit (never inferred), rows keep input order, row groups have a fixed size, the page index
is written, and nothing time-dependent enters the file (pyarrow's `created_by` names only the
library version, which the manifest records anyway).
"""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from builder.article import AUDIT_SCHEMA, DATA_SCHEMA, KEPT, QUARANTINED, Article, n_words
from builder.config import PublishConfig
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


def data_rows(articles: list[Article]) -> list[dict]:
    sizes = Counter(a.cluster_id for a in articles if a.cluster_id is not None)
    return [{
        "id": a.id, "text": a.text, "title": a.title, "site": a.site, "url": a.url,
        "published_at": a.published_at, "fetched_at": a.fetched_at, "dateline": a.dateline,
        "source": a.source, "lang": a.lang, "lang_score": a.lang_score,
        "n_words": n_words(a.text), "content_hash": _hash(a), "cluster_id": a.cluster_id,
        "cluster_size": sizes[a.cluster_id] if a.cluster_id is not None else 1,
    } for a in articles if is_kept(a)]


def audit_rows(articles: list[Article]) -> list[dict]:
    rows = []
    for a in articles:
        if is_kept(a):
            continue
        rows.append({
            "id": a.id, "status": audit_status(a), "reason": audit_reason(a), "site": a.site, "url": a.url,
            "origin": a.origin or None, "title": a.title, "lang": a.lang, "text": a.text,
            "content_hash": _hash(a), "cluster_id": a.cluster_id,
            "duplicate_of": a.duplicate_of, "similarity": a.similarity,
        })
    return rows


def shard_name(prefix: str, index: int, total: int) -> str:
    return f"{prefix}-{index:05d}-of-{total:05d}.parquet"


def write_shards(rows: list[dict], schema: pa.Schema, folder: Path, prefix: str,
                 cfg: PublishConfig) -> tuple[list[Path], int]:
    """Write rows as `prefix-0000i-of-0000N.parquet` (at least one, possibly empty, shard).

    Returns the paths and the rows' in-memory Arrow size (what the card calls num_bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    total = max(1, math.ceil(len(rows) / cfg.shard_rows))
    paths, nbytes = [], 0
    for i in range(total):
        chunk = rows[i * cfg.shard_rows:(i + 1) * cfg.shard_rows]
        table = pa.Table.from_pylist(chunk, schema=schema)
        path = folder / shard_name(prefix, i, total)
        pq.write_table(
            table, path,
            row_group_size=cfg.row_group_rows,
            compression=cfg.compression,
            compression_level=cfg.compression_level,
            write_page_index=True,
            write_statistics=True,
            use_dictionary=True,
        )
        paths.append(path)
        nbytes += table.nbytes
    return paths, nbytes


def write_data(articles: list[Article], release: Path, cfg: PublishConfig) -> tuple[list[Path], int]:
    return write_shards(data_rows(articles), DATA_SCHEMA, release / "data", "train", cfg)


def write_audit(articles: list[Article], release: Path, cfg: PublishConfig) -> list[Path]:
    return write_shards(audit_rows(articles), AUDIT_SCHEMA, release / "audit", "removed", cfg)[0]


def read_columns(paths: list[Path], columns: list[str]) -> pa.Table:
    """Selected columns of several shards, concatenated in shard order."""
    tables = [pq.read_table(p, columns=columns) for p in sorted(paths)]
    return pa.concat_tables(tables) if tables else pa.table({c: [] for c in columns})


CARRIED = "release:"  # Article.origin prefix of a document carried over from the previous release


def read_kept_articles(release: Path, skip_ids: set[str]) -> list[Article]:
    """The kept articles of an earlier release as Articles (origin "release:<dir>"), for carrying
    them into the next version; ids in `skip_ids` are left out (this build supplies them again)."""
    names = [f.name for f in DATA_SCHEMA if f.name in Article.__dataclass_fields__]
    out = []
    for path in sorted((release / "data").glob("*.parquet")):
        for row in pq.read_table(path, columns=names).to_pylist():
            if row["id"] not in skip_ids:
                out.append(Article(**row, origin=f"{CARRIED}{release.name}"))
    return out
