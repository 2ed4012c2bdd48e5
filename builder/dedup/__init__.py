"""Exact and near-duplicate detection: content hash, MinHash LSH, verified merges, union-find clusters.

Public entry points: `ArticleDedup` + `apply_outcome` (the pipeline's step over a stream of
Articles), `dedup_articles` (the same over a list in memory) and `dedup_jsonl` (the `builder dedup`
command, streaming). Each gives a `DedupReport`.
"""
from __future__ import annotations

import gzip
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import zstandard

from builder.article import Article
from builder.config import DedupConfig
from builder.dedup.index import EXACT, NEAR, DedupIndex, Doc, Outcome
from builder.dedup.lsh import detection_curve, detection_probability
from builder.dedup.previous import write_sidecar
from builder.errors import BuilderError

__all__ = ["ArticleDedup", "DedupReport", "apply_outcome", "dedup_articles", "dedup_jsonl"]


class DedupReport:
    """What a dedup run did, for the manifest, the card (detection curve, similarities) and the sidecar."""

    def __init__(self, index: DedupIndex, outcomes: list[Outcome]):
        self.bands, self.rows = index.bands, index.rows
        self.design_jaccard = index.design_jaccard
        self.threshold = index.threshold
        self.containment = index.containment
        self.num_perm = index.cfg.num_perm
        self.merged_similarities = [o.similarity for o in outcomes if o.reason == NEAR]
        self.exact = sum(o.reason == EXACT for o in outcomes)
        self.near = len(self.merged_similarities)
        self.clusters = len({o.cluster_id for o in outcomes})
        self.documents = len(outcomes)
        self.stats = dict(index.stats)
        self.seconds = {k: round(v, 3) for k, v in index.seconds.items()}
        self._sidecar = index.sidecar()

    def detection_curve(self, points: int = 101) -> list[tuple[float, float]]:
        """(Jaccard, probability that a pair at that Jaccard becomes an LSH candidate)."""
        return detection_curve(self.bands, self.rows, points)

    def write_sidecar(self, release_dir: Path) -> list[Path]:
        """Write `<release>/dedup/signatures.parquet`, which a later `--previous` run reads."""
        if self._sidecar is None:
            raise BuilderError("this dedup run kept no sidecar (builder dedup publishes no release)")
        return write_sidecar(self._sidecar, release_dir)

    def to_dict(self) -> dict:
        """Deterministic summary (no timings: those are in `seconds`)."""
        return {
            "documents": self.documents, "exact_duplicates": self.exact, "near_duplicates": self.near,
            "clusters": self.clusters, "threshold": self.threshold, "containment": self.containment,
            "num_perm": self.num_perm, "bands": self.bands, "rows": self.rows,
            "lsh_design_jaccard": round(self.design_jaccard, 4),
            "lsh_detection_at_design": round(float(detection_probability(self.design_jaccard, self.bands, self.rows)), 4),
            **self.stats,
        }


def _check(cfg: DedupConfig, threshold: float | None) -> None:
    t = cfg.threshold if threshold is None else threshold
    if not 0.0 < t <= 1.0:
        raise BuilderError(f"dedup threshold must be in (0, 1], got {t}")
    if not 0.0 <= cfg.containment <= 1.0 or not 0.0 < cfg.guard_min_share <= 1.0:
        raise BuilderError("dedup.containment must be in [0, 1] and dedup.guard_min_share in (0, 1]")
    if cfg.guard_segments < 1 or cfg.batch_size < 1 or cfg.max_bucket < 1 or not 0.0 < cfg.lsh_recall < 1.0:
        raise BuilderError("dedup.guard_segments, batch_size and max_bucket must be >= 1, lsh_recall in (0, 1)")


class ArticleDedup:
    """The pipeline's dedup step over a stream: `add` the alive articles in order (only id, text and
    date are kept, in batches of `cfg.batch_size`), then `finish` gives one Outcome per article added."""

    def __init__(self, cfg: DedupConfig, previous: Path | None = None):
        _check(cfg, None)
        self.cfg = cfg
        self.index = DedupIndex(cfg, previous=previous)
        self._batch: list[Doc] = []

    def add(self, a: Article) -> None:
        self._batch.append(Doc(a.id, a.text, a.published_at))
        if len(self._batch) == self.cfg.batch_size:
            self.index.add(self._batch)
            self._batch = []

    def finish(self) -> tuple[list[Outcome], DedupReport]:
        if self._batch:
            self.index.add(self._batch)
            self._batch = []
        outcomes = self.index.finish()
        return outcomes, DedupReport(self.index, outcomes)


def apply_outcome(a: Article, o: Outcome) -> None:
    """Record an article's dedup outcome on it; a duplicate is dropped (exact_duplicate / near_duplicate)."""
    a.content_hash, a.cluster_id, a.duplicate_of, a.similarity = o.content_hash, o.cluster_id, o.duplicate_of, o.similarity
    if o.reason:
        a.drop(o.reason)


def dedup_articles(articles: list[Article], cfg: DedupConfig, previous: Path | None = None) -> DedupReport:
    """Cluster the alive articles; drop every duplicate (exact_duplicate / near_duplicate)."""
    dedup = ArticleDedup(cfg, previous)
    alive = [a for a in articles if a.alive]
    for a in alive:
        dedup.add(a)
    outcomes, report = dedup.finish()
    for a, o in zip(alive, outcomes):
        apply_outcome(a, o)
    return report


def dedup_jsonl(inputs: list[Path], output: Path, cfg: DedupConfig, threshold: float | None = None,
                progress: bool = False) -> dict:
    """`builder dedup`: one output line per input document, in input order. Returns the report dict."""
    _check(cfg, threshold)
    index = DedupIndex(cfg, threshold, sidecar=False)
    batch: list[Doc] = []
    skipped: list[str | None] = []   # per input line: the id of a document left out of clustering
    for doc, usable in _read_docs([Path(p) for p in inputs]):
        skipped.append(None if usable else doc.id)
        if not usable:
            continue
        batch.append(doc)
        if len(batch) == cfg.batch_size:
            index.add(batch)
            batch = []
            if progress:
                print(f"dedup: {len(index.ids)} documents read", file=sys.stderr, flush=True)
    if batch:
        index.add(batch)
    outcomes = index.finish()
    clustered = zip(index.ids, outcomes)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "w", encoding="utf-8") as f:
        for skip_id in skipped:
            if skip_id is not None:
                # nothing to compare (no words, or not kept by `builder clean`): its own cluster
                row = {"id": skip_id, "cluster_id": skip_id, "duplicate_of": None, "similarity": None}
            else:
                doc_id, o = next(clustered)
                row = {"id": doc_id, "cluster_id": o.cluster_id, "duplicate_of": o.duplicate_of,
                       "similarity": o.similarity}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    report = DedupReport(index, outcomes)
    return {**report.to_dict(), "stage_seconds": report.seconds}


def _files(paths: list[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file() and f.name.endswith((".jsonl", ".jsonl.gz", ".jsonl.zst")))
        elif p.is_file():
            yield p
        else:
            raise BuilderError(f"{p}: no such file or folder")


def _open(path: Path) -> io.TextIOBase:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    if path.name.endswith(".zst"):
        return io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True),
                                encoding="utf-8")
    return open(path, encoding="utf-8")


def _read_docs(paths: list[Path]) -> Iterator[tuple[Doc, bool]]:
    """Each document, and whether it takes part in clustering: a line of `builder clean` output
    that was not kept, or a text without a single letter or digit, does not. A repeated id is an
    error: the output names documents by id, and two with one id would make two kept "originals"
    of one cluster, or a duplicate of itself."""
    seen: set[str] = set()
    for path in _files(paths):
        try:
            with _open(path) as f:
                for n, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    try:
                        obj = json.loads(line)
                    except json.JSONDecodeError:
                        obj = None
                    if not isinstance(obj, dict):
                        raise BuilderError(f"{path}:{n}: not a JSON object")
                    doc_id, text = obj.get("id"), obj.get("text")
                    if doc_id is None or isinstance(doc_id, (dict, list)):
                        raise BuilderError(f"{path}:{n}: no usable id")
                    if text is not None and not isinstance(text, str):
                        raise BuilderError(f"{path}:{n}: text is not a string")
                    if str(doc_id) in seen:
                        raise BuilderError(f"{path}:{n}: id {str(doc_id)!r} was used by an earlier document; "
                                           "dedup needs one id per document")
                    seen.add(str(doc_id))
                    published = obj.get("published_at")
                    usable = obj.get("status", "kept") == "kept" and any(c.isalnum() for c in text or "")
                    yield Doc(str(doc_id), text or "", published if isinstance(published, str) else None), usable
        except (OSError, EOFError, UnicodeDecodeError, zstandard.ZstdError) as e:
            raise BuilderError(f"{path}: unreadable: {e}") from None
