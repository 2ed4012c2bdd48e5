"""The dedup run: stages over batches, then one global pass.

    add(batch):  content hash -> (new texts only) dedup key -> shingles -> signatures -> band keys
    finish():    candidate pairs -> signature prefilter -> exact verification -> edges
                 -> components -> kept document, cluster ids, similarities

Each stage is a plain function of arrays (shingles, signatures, lsh, verify, clusters), so another
engine can run the per-batch part in parallel and the global part where the band keys meet.
Memory holds per document only small scalars and the band keys; signatures and shingle sequences
are spilled to a temporary folder and read back for candidate pairs only.
"""
from __future__ import annotations

import math
import time
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from builder.config import DedupConfig
from builder.dedup import lsh, verify
from builder.dedup.clusters import Member, components, keep_rank, parse_time
from builder.dedup.previous import Previous, load_previous, sidecar_table
from builder.dedup.shingles import doc_keys, shingle_hashes, sorted_unique
from builder.dedup.signatures import jaccard_estimate, signatures
from builder.dedup.store import RowStore, SeqStore, SpillDir
from builder.normalize import fold, hash_key

EXACT, NEAR = "exact_duplicate", "near_duplicate"
_SIG_BATCH = 256  # texts hashed together: bounds the numpy temporaries to a few tens of MB


@dataclass(slots=True)
class Doc:
    id: str
    text: str
    published_at: str | None = None


@dataclass(slots=True)
class Outcome:
    """Per input document, in input order."""

    cluster_id: str
    duplicate_of: str | None
    similarity: float | None
    reason: str | None          # EXACT, NEAR or None (kept)
    content_hash: str


def effective_containment(cfg: DedupConfig, threshold: float) -> float:
    """Containment that merges: never below the threshold, so raising --threshold always means
    fewer merges (containment is never smaller than Jaccard, a lower bar would override it)."""
    return max(cfg.containment, threshold) if cfg.containment > 0 else 0.0


def design_jaccard(threshold: float, containment: float) -> float:
    """The Jaccard the LSH is designed to detect: the merge threshold, or lower when containment can
    merge two equally long documents below it (c / (2 - c) is their Jaccard at containment c)."""
    if containment <= 0:
        return threshold
    return min(threshold, containment / (2.0 - containment))


class DedupIndex:
    def __init__(self, cfg: DedupConfig, threshold: float | None = None, previous: Path | None = None,
                 sidecar: bool = True):
        self.cfg = cfg
        self._want_sidecar = sidecar  # `builder dedup` publishes nothing, so it skips the sidecar table
        self.threshold = cfg.threshold if threshold is None else threshold
        self.containment = effective_containment(cfg, self.threshold)
        self.design_jaccard = design_jaccard(self.threshold, self.containment)
        self.bands, self.rows = lsh.choose_bands(self.design_jaccard, cfg.num_perm, cfg.lsh_recall)
        self.rule = verify.Rule(self.threshold, self.containment, cfg.guard_segments, cfg.guard_min_share, cfg.num_perm)
        self.previous: Previous | None = load_previous(previous, cfg) if previous else None
        self._spill = SpillDir()
        self._sigs = RowStore(self._spill.path / "signatures.u32", cfg.num_perm)
        self._seqs = SeqStore(self._spill.path / "shingles.u32")
        # per input document
        self.ids: list[str] = []
        self.hashes: list[str] = []
        # compact arrays, not lists of Python numbers: a 100k-document run keeps these all along
        self.published = array("d")           # POSIX seconds, NaN when unknown
        self.rep = array("q")                 # node (row of the signature store) holding its text
        # per node (distinct content hash)
        self._first_of_hash: dict[str, int] = {}
        self._node_doc = array("q")
        self._lengths = array("q")
        self._sizes: list[np.ndarray] = []
        self._band_keys: list[np.ndarray] = []
        self._anchor_id: dict[int, str] = {}  # input node -> the published id it stands for
        self._prev_rows = np.zeros(0, np.int64)
        self.candidates = self.verified = 0
        self.stats: dict = {}
        self.seconds: dict[str, float] = {}   # wall time per stage

    # -- per batch ---------------------------------------------------------------------------
    def add(self, batch: list[Doc]) -> None:
        t = time.perf_counter()
        new_keys: list[str] = []
        # one key per document: its hash finds exact copies (whatever their dateline), and
        # the same key is shingled below, since computing it dominates the whole run
        for d, k in zip(batch, doc_keys([d.text for d in batch])):
            h = hash_key(k)
            self.ids.append(d.id)
            self.hashes.append(h)
            when = parse_time(d.published_at)
            self.published.append(math.nan if when is None else when)
            node = self._first_of_hash.get(h)
            if node is None:
                node = self._first_of_hash[h] = len(self._node_doc)
                self._node_doc.append(len(self.ids) - 1)
                new_keys.append(fold(k) if self.cfg.fold_digits else k)
            self.rep.append(node)
        self._tick("content_hash", t)
        for start in range(0, len(new_keys), _SIG_BATCH):
            self._add_keys(new_keys[start:start + _SIG_BATCH])

    def _tick(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - since
        return now

    def _add_keys(self, keys: list[str]) -> None:
        cfg = self.cfg
        t = time.perf_counter()
        shingles = shingle_hashes(keys, cfg.shingle_size, cfg.seed)
        self._lengths.extend(shingles.words.tolist())
        t = self._tick("shingles", t)
        sig = signatures(shingles, cfg.num_perm, cfg.seed)
        t = self._tick("signatures", t)
        self._sigs.append(sig)
        self._seqs.append(shingles.hashes.astype(np.uint32), shingles.offsets)
        self._sizes.append(np.diff(shingles.offsets))
        self._band_keys.append(lsh.band_keys(sig, self.bands, self.rows, cfg.seed))
        self._tick("spill_and_bands", t)

    # -- global ------------------------------------------------------------------------------
    def finish(self) -> list[Outcome]:
        try:
            return self._finish()
        finally:
            self._seqs.close()
            self._spill.close()

    def _finish(self) -> list[Outcome]:
        n_nodes = len(self._node_doc)
        prev = self.previous
        sizes = np.concatenate(self._sizes) if self._sizes else np.zeros(0, np.int64)
        keys = np.concatenate(self._band_keys) if self._band_keys else np.zeros((0, self.bands), np.uint32)
        self._band_keys = []  # the concatenated copy replaces the per-batch pieces
        anchored = np.zeros(n_nodes, bool)
        anchor_cluster: dict[int, str] = {}
        edges: list[tuple[int, int, float]] = []
        extra_sigs = np.zeros((0, self.cfg.num_perm), np.uint32)
        if prev is not None:
            # an input that *is* a published document (same id) stands for it; the others join as nodes
            node_of_id = {self.ids[d]: self.rep[d] for d in range(len(self.ids))}
            outside = []
            for k, pid in enumerate(prev.ids):
                node = node_of_id.get(pid)
                if node is None or anchored[node]:
                    outside.append(k)
                else:
                    anchored[node] = True
                    anchor_cluster[node] = prev.cluster_ids[k]
                    self._anchor_id[node] = pid
            self._prev_rows = np.array(outside, np.int64)
            extra_sigs = prev.signatures[self._prev_rows]
            for k, row in enumerate(outside):
                anchor_cluster[n_nodes + k] = prev.cluster_ids[row]
            anchored = np.r_[anchored, np.ones(len(outside), bool)]
            sizes = np.r_[sizes, prev.sizes[self._prev_rows]]
            keys = np.concatenate([keys, lsh.band_keys(extra_sigs, self.bands, self.rows, self.cfg.seed)])
            by_hash = {prev.hashes[row]: n_nodes + k for k, row in enumerate(outside)}
            for h, node in self._first_of_hash.items():
                if h in by_hash:
                    edges.append((node, by_hash[h], 1.0))
        n_all = n_nodes + len(extra_sigs)

        def sig_rows(idx: np.ndarray) -> np.ndarray:
            out = np.empty((len(idx), self.cfg.num_perm), np.uint32)
            mine = idx < n_nodes
            out[mine] = self._sigs[idx[mine]]
            out[~mine] = extra_sigs[idx[~mine] - n_nodes]
            return out

        t = time.perf_counter()
        pairs = lsh.candidate_pairs(keys, self.cfg.max_bucket)
        self.candidates = len(pairs)
        t = self._tick("candidates", t)
        pairs, est = verify.prefilter(pairs, sig_rows, sizes, self.rule)
        self.verified = len(pairs)
        t = self._tick("prefilter", t)
        prev_seqs = self._previous_sequences(pairs, n_nodes) if prev is not None else {}
        last_i, a, set_a = -1, None, None
        for (i, j), e in zip(pairs.tolist(), est.tolist()):
            if i != last_i:  # pairs come sorted by i: read and sort each left document once
                last_i = i
                a = self._seqs.get(i) if i < n_nodes else prev_seqs.get(i)
                set_a = None if a is None else sorted_unique(a)
            b = self._seqs.get(j) if j < n_nodes else prev_seqs.get(j)
            if a is None or b is None:  # a published story whose text is gone: trust the estimate
                if e >= self.threshold:
                    edges.append((i, j, e))
                continue
            v = verify.exact(a, b, self.rule, set_a=set_a)
            if v.merge:
                edges.append((i, j, v.jaccard))
        t = self._tick("exact_check", t)
        self.stats = {"candidate_pairs": self.candidates, "verified_pairs": self.verified,
                      "edges": len(edges)}
        roots = components(n_all, edges, anchored)
        out = self._assign(roots, n_nodes, anchored, anchor_cluster, sig_rows)
        self._tick("clusters", t)
        return out

    def _previous_sequences(self, pairs: np.ndarray, n_nodes: int) -> dict[int, np.ndarray]:
        needed = sorted({x for x in pairs.ravel().tolist() if x >= n_nodes})
        if not needed:
            return {}
        texts = self.previous.texts([self.previous.ids[self._prev_rows[x - n_nodes]] for x in needed])
        out = {}
        have = [(x, texts[self.previous.ids[self._prev_rows[x - n_nodes]]]) for x in needed
                if self.previous.ids[self._prev_rows[x - n_nodes]] in texts]
        if have:
            keys = doc_keys([t for _, t in have], self.cfg.fold_digits)
            sh = shingle_hashes(keys, self.cfg.shingle_size, self.cfg.seed)
            for k, (x, _) in enumerate(have):
                out[x] = sh.of(k).astype(np.uint32)
        return out

    def _assign(self, roots, n_nodes, anchored, anchor_cluster, sig_rows) -> list[Outcome]:
        policy = self.cfg.keep
        best: dict[int, tuple] = {}   # root -> (rank, doc index or -node for outside anchors)
        for doc, node in enumerate(self.rep):
            # an exact copy of a published document is not that document: only the same id is
            when = self.published[doc]
            m = Member(doc, self._lengths[node], None if math.isnan(when) else when,
                       self._anchor_id.get(node) == self.ids[doc])
            rank = keep_rank(m, policy)
            r = roots[node]
            if r not in best or rank < best[r][0]:
                best[r] = (rank, doc)
        for node in range(n_nodes, len(roots)):
            best[roots[node]] = ((False, -1), -node - 1)  # outside anchors beat every input
        kept_doc = {r: v[1] for r, v in best.items()}

        def node_of(ref: int) -> int:
            return -ref - 1 if ref < 0 else self.rep[ref]

        # similarity to the kept document, from the signatures
        dup_nodes = np.array([self.rep[d] for d in range(len(self.ids))], np.int64)
        kept_nodes = np.array([node_of(kept_doc[roots[self.rep[d]]]) for d in range(len(self.ids))], np.int64)
        sims = np.ones(len(self.ids))
        differ = np.flatnonzero(dup_nodes != kept_nodes)
        for start in range(0, len(differ), 20_000):
            sel = differ[start:start + 20_000]
            sims[sel] = jaccard_estimate(sig_rows(dup_nodes[sel]), sig_rows(kept_nodes[sel]))

        out: list[Outcome] = []
        for doc in range(len(self.ids)):
            r = roots[self.rep[doc]]
            ref = kept_doc[r]
            anchor_node = node_of(ref) if anchored[node_of(ref)] else None
            if ref < 0:
                kept_id, kept_hash = self.previous.ids[self._prev_rows[-ref - 1 - n_nodes]], \
                    self.previous.hashes[self._prev_rows[-ref - 1 - n_nodes]]
            else:
                kept_id, kept_hash = self.ids[ref], self.hashes[ref]
            cluster = anchor_cluster.get(anchor_node, kept_id) if anchor_node is not None else kept_id
            if ref == doc:
                out.append(Outcome(cluster, None, None, None, self.hashes[doc]))
            else:
                reason = EXACT if self.hashes[doc] == kept_hash else NEAR
                out.append(Outcome(cluster, kept_id, round(float(sims[doc]), 4), reason, self.hashes[doc]))
        self._kept_sidecar = self._sidecar_rows(out, sig_rows) if self._want_sidecar else None
        return out

    def _sidecar_rows(self, out: list[Outcome], sig_rows) -> pa.Table:
        kept = [d for d, o in enumerate(out) if o.duplicate_of is None]
        nodes = np.array([self.rep[d] for d in kept], np.int64)
        sigs = sig_rows(nodes) if len(nodes) else np.zeros((0, self.cfg.num_perm), np.uint32)
        sizes = np.concatenate(self._sizes) if self._sizes else np.zeros(0, np.int64)
        return sidecar_table(
            [self.ids[d] for d in kept], [out[d].cluster_id for d in kept], [self.hashes[d] for d in kept],
            sizes[nodes] if len(nodes) else np.zeros(0, np.int64), sigs, self.cfg, self.previous)

    def sidecar(self) -> pa.Table | None:
        return self._kept_sidecar

