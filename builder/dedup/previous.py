"""The dedup sidecar of a release, and loading an earlier release for incremental dedup.

`<release>/dedup/signatures.parquet` holds, per story the release holds (its kept documents, plus
the stories of earlier releases it was built against), the id, cluster id, content hash, number of
shingles and MinHash signature, with the settings that made them in the schema metadata.
A later `--previous` run turns those rows into band keys, so new copies of a published story are
found without re-reading its text; the text (from `data/`) is read only for the exact check of a
candidate pair. A release without a usable sidecar (none, or other dedup settings) is rebuilt
from its `data/` shards.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from builder.config import DedupConfig
from builder.dedup.shingles import doc_key, shingle_hashes
from builder.dedup.signatures import signatures
from builder.errors import BuilderError

SIDECAR = Path("dedup") / "signatures.parquet"
METHOD = "oph-densified-v1"  # signature scheme; part of the compatibility check


def settings(cfg: DedupConfig) -> dict:
    return {"method": METHOD, "num_perm": cfg.num_perm, "seed": cfg.seed,
            "shingle_size": cfg.shingle_size, "fold_digits": cfg.fold_digits}


@dataclass
class Previous:
    release: Path
    ids: list[str]
    cluster_ids: list[str]
    hashes: list[str]
    sizes: np.ndarray        # int64 shingles per document (the prefilter's size estimate)
    signatures: np.ndarray   # uint32 [n, num_perm]

    def texts(self, ids: list[str]) -> dict[str, str]:
        """Texts of these ids from the release's data shards (missing ones are left out)."""
        files = sorted((self.release / "data").glob("*.parquet"))
        out: dict[str, str] = {}
        wanted = pa.array(sorted(set(ids)), pa.string())
        for f in files:
            t = pq.read_table(f, columns=["id", "text"])
            t = t.filter(pc.is_in(t["id"], value_set=wanted))
            out.update(zip(t["id"].to_pylist(), t["text"].to_pylist()))
        return out


def load_previous(release: Path, cfg: DedupConfig) -> Previous:
    release = Path(release)
    if not release.is_dir():
        raise BuilderError(f"--previous: no such release folder: {release}")
    side = release / SIDECAR
    if side.is_file():
        try:
            table = pq.read_table(side)
        except (pa.ArrowInvalid, OSError) as e:
            raise BuilderError(f"--previous: unreadable dedup sidecar {side}: {e}") from None
        meta = json.loads((table.schema.metadata or {}).get(b"builder.dedup", b"{}"))
        if meta == settings(cfg):
            return _from_table(release, table, cfg.num_perm)
    return _from_data(release, cfg)


def _from_table(release: Path, table: pa.Table, num_perm: int) -> Previous:
    flat = table["signature"].combine_chunks().flatten().to_numpy(zero_copy_only=False)
    return Previous(release, table["id"].to_pylist(), table["cluster_id"].to_pylist(),
                    table["content_hash"].to_pylist(), table["n_shingles"].to_numpy().astype(np.int64),
                    flat.astype(np.uint32).reshape(len(table), num_perm))


def _from_data(release: Path, cfg: DedupConfig) -> Previous:
    files = sorted((release / "data").glob("*.parquet"))
    if not files:
        raise BuilderError(f"--previous: {release} has neither {SIDECAR} nor data/*.parquet")
    ids, clusters, hashes, sizes, sigs = [], [], [], [], []
    for f in files:
        t = pq.read_table(f, columns=["id", "text", "content_hash", "cluster_id"])
        for batch in t.to_batches(max_chunksize=cfg.batch_size):
            b = batch.to_pydict()
            keys = [doc_key(x, cfg.fold_digits) for x in b["text"]]
            sh = shingle_hashes(keys, cfg.shingle_size, cfg.seed)
            sigs.append(signatures(sh, cfg.num_perm, cfg.seed))
            sizes.append(np.diff(sh.offsets))
            ids += b["id"]
            hashes += b["content_hash"]
            clusters += [c or i for c, i in zip(b["cluster_id"], b["id"])]
    return Previous(release, ids, clusters, hashes, np.concatenate(sizes), np.concatenate(sigs))


def sidecar_table(ids: list[str], cluster_ids: list[str], hashes: list[str], sizes: np.ndarray,
                  sigs: np.ndarray, cfg: DedupConfig, previous: Previous | None) -> pa.Table:
    """This release's stories plus the earlier ones it carries forward, sorted by id (deterministic bytes)."""
    ids, cluster_ids, hashes = list(ids), list(cluster_ids), list(hashes)
    if previous is not None:
        mine = set(ids)
        carried = [k for k, pid in enumerate(previous.ids) if pid not in mine]
        ids += [previous.ids[k] for k in carried]
        cluster_ids += [previous.cluster_ids[k] for k in carried]
        hashes += [previous.hashes[k] for k in carried]
        sizes = np.concatenate([sizes, previous.sizes[carried]])
        sigs = np.concatenate([sigs, previous.signatures[carried]])
    order = sorted(range(len(ids)), key=ids.__getitem__)
    schema = pa.schema([
        pa.field("id", pa.string(), nullable=False),
        pa.field("cluster_id", pa.string()),
        pa.field("content_hash", pa.string()),
        pa.field("n_shingles", pa.int32()),
        pa.field("signature", pa.list_(pa.uint32(), cfg.num_perm)),
    ], metadata={"builder.dedup": json.dumps(settings(cfg), sort_keys=True)})
    flat = np.ascontiguousarray(sigs[order] if len(order) else sigs, np.uint32).ravel()
    return pa.table([
        pa.array([ids[k] for k in order], pa.string()),
        pa.array([cluster_ids[k] for k in order], pa.string()),
        pa.array([hashes[k] for k in order], pa.string()),
        pa.array(np.asarray(sizes)[order].astype(np.int32) if len(order) else np.zeros(0, np.int32), pa.int32()),
        pa.FixedSizeListArray.from_arrays(pa.array(flat, pa.uint32()), cfg.num_perm),
    ], schema=schema)


def write_sidecar(table: pa.Table, release_dir: Path) -> list[Path]:
    path = Path(release_dir) / SIDECAR
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", compression_level=3)
    return [path]
