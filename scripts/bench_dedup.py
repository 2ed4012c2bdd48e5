#!/usr/bin/env python3
"""Benchmark near-dedup: builder's against plain datasketch, datasketch bulk and rensa.

    python scripts/bench_dedup.py --docs 20000                 # all contenders, one table
    python scripts/bench_dedup.py --docs 100000 --only builder # the 100k / 300 MB target

The corpus is corpus-dev's raw scrapes scaled to N documents: every further copy of a page is
made distinct (a third of its words get a copy-specific suffix, so no 5-gram repeats across
copies), and ~20% of the documents are seeded near-duplicates of earlier ones (dateline, truncation,
word edits, typos, a dropped paragraph, an appended footer). Each contender runs in its own
subprocess, so its peak RSS is its own. Three speeds per contender:
  end-to-end  read JSONL -> dedup key -> signatures -> LSH -> clusters (what a user waits for)
  signatures  dedup keys -> signatures (the keys are prepared outside the timer; same for all)
  kernel      shingle hashes -> signatures (only where the library accepts hashes: builder, rensa)
Slow contenders run on the first --baseline-docs documents only; docs/s is per document either way.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

RAW = Path("/work/shared/data/corpus-dev/raw.jsonl.gz")
CONTENDERS = ("builder", "datasketch", "datasketch-bulk", "rensa")
SIG_DOCS = 3000


# ---- corpus -----------------------------------------------------------------------------------
def respell(text: str, copy: int) -> str:
    suffix = "".join(chr(97 + (copy // 26 ** k) % 26) for k in range(3))
    words = text.split(" ")
    return " ".join(w + suffix if i % 3 == copy % 3 and w else w for i, w in enumerate(words))


def perturb(text: str, rng: random.Random, donor: str) -> str:
    words = text.split(" ")
    edits = rng.sample(["dateline", "truncate", "words", "typos", "drop", "footer"], rng.randint(1, 3))
    if "truncate" in edits:
        words = words[: max(20, int(len(words) * rng.uniform(0.6, 0.9)))]
    if "words" in edits:
        for _ in range(int(len(words) * rng.uniform(0.01, 0.05))):
            i = rng.randrange(len(words))
            words[i] = rng.choice(words) if rng.random() < 0.5 else ""
    if "typos" in edits:
        for _ in range(rng.randint(2, 8)):
            i = rng.randrange(len(words))
            if len(words[i]) > 3:
                w = list(words[i])
                j = rng.randrange(len(w) - 1)
                w[j], w[j + 1] = w[j + 1], w[j]
                words[i] = "".join(w)
    out = " ".join(w for w in words if w)
    if "drop" in edits:
        paras = out.split("\n\n")
        if len(paras) > 2:
            del paras[rng.randrange(1, len(paras))]
        out = "\n\n".join(paras)
    if "footer" in edits:
        out += "\n\n" + " ".join(donor.split(" ")[-40:])
    if "dateline" in edits:
        out = rng.choice(["PARIS (Wire) – ", "(Agency) - ", "TOKYO (News) — "]) + out
    return out


def make_corpus(n: int, seed: int, path: Path) -> Path:
    if path.exists():
        return path
    with gzip.open(RAW, "rt", encoding="utf-8") as f:
        raw = [json.loads(line)["text"] for line in f]
    rng = random.Random(seed)
    fresh: list[int] = []
    texts: list[str] = []
    tmp = path.with_suffix(".part")
    with open(tmp, "w", encoding="utf-8") as out:
        for i in range(n):
            if fresh and rng.random() < 0.2:
                src = texts[rng.choice(fresh)]
                text = perturb(src, rng, raw[rng.randrange(len(raw))])
            else:
                k = len(fresh)
                text = raw[k % len(raw)] if k < len(raw) else respell(raw[k % len(raw)], k // len(raw))
                fresh.append(i)
            texts.append(text)
            out.write(json.dumps({"id": f"b{i:07d}", "text": text}) + "\n")
    os.replace(tmp, path)
    return path


# ---- contenders (each in its own process) ----------------------------------------------------
def read_docs(path: Path, limit: int):
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= limit:
                return
            d = json.loads(line)
            yield d["id"], d["text"]


def shingle_strings(key: str) -> list[str]:
    w = key.split()
    return list(map(" ".join, zip(w, w[1:], w[2:], w[3:], w[4:]))) if len(w) >= 5 else [" ".join(w)] if w else []


def run_builder(corpus: Path, limit: int, out: Path) -> dict:
    from builder.config import DedupConfig
    from builder.dedup import dedup_jsonl
    if limit < sum(1 for _ in open(corpus, encoding="utf-8")):
        corpus = _head(corpus, limit, out)
    t = time.perf_counter()
    summary = dedup_jsonl([corpus], out, DedupConfig())
    return {"seconds": time.perf_counter() - t, "duplicates": summary["near_duplicates"] + summary["exact_duplicates"],
            "bands_rows": f"{summary['bands']}x{summary['rows']}", "stages": summary["stage_seconds"],
            "pairs": [summary["candidate_pairs"], summary["verified_pairs"], summary["edges"]]}


def _head(corpus: Path, limit: int, out: Path) -> Path:
    part = out.with_suffix(".head.jsonl")
    with open(corpus, encoding="utf-8") as f, open(part, "w", encoding="utf-8") as g:
        for i, line in enumerate(f):
            if i >= limit:
                break
            g.write(line)
    return part


def sig_builder(keys: list[str]) -> tuple[float, float]:
    from builder.dedup.shingles import shingle_hashes
    from builder.dedup.signatures import signatures
    t = time.perf_counter()
    batches = [shingle_hashes(keys[i:i + 256]) for i in range(0, len(keys), 256)]
    for b in batches:
        signatures(b)
    total = time.perf_counter() - t
    t = time.perf_counter()
    for b in batches:
        signatures(b)
    return total, time.perf_counter() - t


def run_datasketch(corpus: Path, limit: int, out: Path, bulk: bool) -> dict:
    import xxhash
    from datasketch import MinHash, MinHashLSH
    from builder.dedup.shingles import doc_key
    t = time.perf_counter()
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    dups = 0
    batch: list[tuple[str, str]] = []

    def flush():
        nonlocal dups
        sets = [[s.encode() for s in shingle_strings(doc_key(text))] for _, text in batch]
        if bulk:
            mhs = MinHash.bulk(sets, num_perm=128, hashfunc=xxhash.xxh32_intdigest)
        else:
            mhs = []
            for s in sets:
                m = MinHash(num_perm=128)
                for x in s:
                    m.update(x)
                mhs.append(m)
        for (doc_id, _), m in zip(batch, mhs):
            if lsh.query(m):
                dups += 1
            else:
                lsh.insert(doc_id, m)
        batch.clear()

    for doc in read_docs(corpus, limit):
        batch.append(doc)
        if len(batch) == 256:
            flush()
    flush()
    return {"seconds": time.perf_counter() - t, "duplicates": dups, "bands_rows": "%dx%d" % (lsh.b, lsh.r)}


def sig_datasketch(keys: list[str], bulk: bool) -> tuple[float, None]:
    import xxhash
    from datasketch import MinHash
    t = time.perf_counter()
    for i in range(0, len(keys), 256):
        sets = [[s.encode() for s in shingle_strings(k)] for k in keys[i:i + 256]]
        if bulk:
            MinHash.bulk(sets, num_perm=128, hashfunc=xxhash.xxh32_intdigest)
        else:
            for s in sets:
                m = MinHash(num_perm=128)
                for x in s:
                    m.update(x)
    return time.perf_counter() - t, None


def run_rensa(corpus: Path, limit: int, out: Path) -> dict:
    import rensa
    from builder.dedup.shingles import doc_key
    t = time.perf_counter()
    lsh = rensa.RMinHashLSH(threshold=0.8, num_perm=128, num_bands=16)
    dups, start, batch = 0, 0, []
    for _, text in read_docs(corpus, limit):
        batch.append(shingle_strings(doc_key(text)))
        if len(batch) == 256:
            m = rensa.RMinHash.digest_matrix_from_token_sets(batch, 128, 1)
            dups += sum(lsh.insert_matrix_and_query_duplicate_flags(m, start))
            start += len(batch)
            batch = []
    if batch:
        m = rensa.RMinHash.digest_matrix_from_token_sets(batch, 128, 1)
        dups += sum(lsh.insert_matrix_and_query_duplicate_flags(m, start))
    return {"seconds": time.perf_counter() - t, "duplicates": dups, "bands_rows": "16x8"}


def sig_rensa(keys: list[str]) -> tuple[float, float]:
    import numpy as np
    import rensa
    from builder.dedup.shingles import shingle_hashes
    t = time.perf_counter()
    for i in range(0, len(keys), 256):
        rensa.RMinHash.digest_matrix_from_token_sets([shingle_strings(k) for k in keys[i:i + 256]], 128, 1)
    total = time.perf_counter() - t
    batches = [shingle_hashes(keys[i:i + 256]) for i in range(0, len(keys), 256)]
    t = time.perf_counter()
    for b in batches:
        rensa.RMinHash.digest_matrix_from_flat_token_hashes(b.hashes, b.offsets.astype(np.uint64), 128, 1)
    return total, time.perf_counter() - t


def peak_rss_mb() -> float:
    """VmHWM of this process (ru_maxrss would carry the parent's peak across fork + exec)."""
    for line in open("/proc/self/status", encoding="ascii"):
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child(name: str, corpus: Path, limit: int, out: Path) -> dict:
    runners = {"builder": lambda: run_builder(corpus, limit, out),
               "datasketch": lambda: run_datasketch(corpus, limit, out, bulk=False),
               "datasketch-bulk": lambda: run_datasketch(corpus, limit, out, bulk=True),
               "rensa": lambda: run_rensa(corpus, limit, out)}
    result = runners[name]()  # the peak RSS is taken here, before the signature timings below
    result.update(name=name, docs=min(limit, sum(1 for _ in open(corpus, encoding="utf-8"))),
                  peak_rss_mb=peak_rss_mb())
    from builder.dedup.shingles import doc_key
    sig_docs = min(result["docs"], SIG_DOCS if name != "datasketch" else 300)
    keys = [doc_key(text) for _, text in read_docs(corpus, sig_docs)]
    sig = {"builder": lambda: sig_builder(keys), "datasketch": lambda: sig_datasketch(keys, False),
           "datasketch-bulk": lambda: sig_datasketch(keys, True), "rensa": lambda: sig_rensa(keys)}[name]
    sig_s, kernel_s = sig()
    result["docs_per_s"] = result["docs"] / result["seconds"]
    result["sig_docs_per_s"] = sig_docs / sig_s
    result["kernel_docs_per_s"] = sig_docs / kernel_s if kernel_s else None
    return result


# ---- driver -----------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", default=",".join(CONTENDERS), help="comma-separated contenders")
    ap.add_argument("--baseline-docs", type=int, default=3000, help="documents for the slow datasketch baseline")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/bench_dedup"))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "make-corpus":
        make_corpus(args.docs, args.seed, args.corpus)
        return 0
    if args.child:
        print(json.dumps(child(args.child, args.corpus, args.limit, args.workdir / f"out-{args.child}.jsonl")))
        return 0
    args.workdir.mkdir(parents=True, exist_ok=True)
    corpus = args.workdir / f"corpus-{args.docs}-{args.seed}.jsonl"
    # in a subprocess too, so this driver stays small while the contenders run
    subprocess.run([sys.executable, __file__, "--child", "make-corpus", "--docs", str(args.docs),
                    "--seed", str(args.seed), "--corpus", str(corpus)], check=True)
    rows = []
    for name in args.only.split(","):
        limit = args.baseline_docs if name == "datasketch" else args.docs
        env = dict(os.environ, RAYON_NUM_THREADS="1", OMP_NUM_THREADS="1",
                   PYTHONPATH=str(Path(__file__).resolve().parent.parent))
        if name == "rensa":
            try:
                import rensa  # noqa: F401
            except ImportError:
                print("rensa not installed: skipped", file=sys.stderr)
                continue
        proc = subprocess.run([sys.executable, __file__, "--child", name, "--corpus", str(corpus),
                               "--limit", str(limit), "--workdir", str(args.workdir)],
                              capture_output=True, text=True, env=env)
        if proc.returncode:
            print(f"{name} failed:\n{proc.stderr}", file=sys.stderr)
            continue
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), file=sys.stderr)
    ref = next((r for r in rows if r["name"] == "builder"), None)
    print(f"{'contender':16} {'docs':>7} {'e2e docs/s':>11} {'peak MB':>8} {'sig docs/s':>11} {'kernel docs/s':>14} "
          f"{'bands':>6} {'dups':>6}  builder is x faster (e2e / sig / kernel)")
    for r in rows:
        ratios = ""
        if ref and r is not ref:
            k = (f"{ref['kernel_docs_per_s'] / r['kernel_docs_per_s']:.2f}" if r["kernel_docs_per_s"] else "-")
            ratios = (f"{ref['docs_per_s'] / r['docs_per_s']:.2f} / {ref['sig_docs_per_s'] / r['sig_docs_per_s']:.2f}"
                      f" / {k}")
        kernel = f"{r['kernel_docs_per_s']:.0f}" if r["kernel_docs_per_s"] else "-"
        print(f"{r['name']:16} {r['docs']:>7} {r['docs_per_s']:>11.0f} {r['peak_rss_mb']:>8.1f} "
              f"{r['sig_docs_per_s']:>11.0f} {kernel:>14} {r['bands_rows']:>6} {r['duplicates']:>6}  {ratios}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
