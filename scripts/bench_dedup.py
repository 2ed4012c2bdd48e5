#!/usr/bin/env python3
"""Benchmark near-dedup: builder's against plain datasketch, datasketch bulk and rensa.

    python scripts/bench_dedup.py --docs 20000                 # all contenders, one table
    python scripts/bench_dedup.py --docs 100000 --only builder # the 100k / 300 MB target

The corpus is corpus-dev's raw scrapes scaled to N documents: every further copy of a page is
made distinct (a third of its words get a copy-specific suffix, so no 5-gram repeats across
copies), and ~20% of the documents are seeded near-duplicates of earlier ones (dateline, truncation,
word edits, typos, a dropped paragraph, an appended footer). Each contender runs in its own
subprocess pinned to one CPU core (and RAYON_NUM_THREADS=1), so every contender is single-threaded
and its peak RSS is its own. Three speeds per contender:
  end-to-end  read JSONL -> dedup key -> signatures -> LSH -> clusters (what a user waits for;
              wall clock; builder also verifies every candidate pair exactly, the others do not)
  signatures  dedup keys -> signatures (the keys are prepared outside the timer; same for all)
  kernel      the same uint64 shingle hashes + offsets -> 128 MinHash values per document (only
              where the library accepts hashes: builder, rensa's classic RMinHash and its
              one-permutation "rho" sketch, the counterpart of builder's scheme)
signatures and kernel are CPU seconds of the process (all its threads), best of --repeat passes, so
load from other processes on the machine does not count. Slow contenders run on the first
--baseline-docs documents only; docs/s is per document either way.
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


def sig_builder(keys: list[str], repeat: int) -> dict:
    from builder.dedup.shingles import shingle_hashes
    from builder.dedup.signatures import signatures
    batches = [shingle_hashes(keys[i:i + 256]) for i in range(0, len(keys), 256)]
    return {"sig": cpu_seconds(lambda: [signatures(shingle_hashes(keys[i:i + 256])) for i in range(0, len(keys), 256)], repeat),
            "kernel": cpu_seconds(lambda: [signatures(b) for b in batches], repeat),
            "shingles_per_doc": sum(len(b.hashes) for b in batches) / max(len(keys), 1)}


def run_datasketch(corpus: Path, limit: int, out: Path, bulk: bool) -> dict:
    import xxhash
    from datasketch import MinHash, MinHashLSH
    from builder.dedup.shingles import doc_keys
    t = time.perf_counter()
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    dups = 0
    batch: list[tuple[str, str]] = []

    def flush():
        nonlocal dups
        sets = [[s.encode() for s in shingle_strings(k)] for k in doc_keys([text for _, text in batch])]
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


def sig_datasketch(keys: list[str], bulk: bool, repeat: int) -> dict:
    import xxhash
    from datasketch import MinHash

    def run():
        for i in range(0, len(keys), 256):
            sets = [[s.encode() for s in shingle_strings(k)] for k in keys[i:i + 256]]
            if bulk:
                MinHash.bulk(sets, num_perm=128, hashfunc=xxhash.xxh32_intdigest)
            else:
                for s in sets:
                    m = MinHash(num_perm=128)
                    for x in s:
                        m.update(x)
    return {"sig": cpu_seconds(run, repeat)}


def run_rensa(corpus: Path, limit: int, out: Path) -> dict:
    import rensa
    from builder.dedup.shingles import doc_keys
    t = time.perf_counter()
    lsh = rensa.RMinHashLSH(threshold=0.8, num_perm=128, num_bands=16)
    dups, start = 0, 0

    def flush(texts: list[str]) -> None:
        nonlocal dups, start
        m = rensa.RMinHash.digest_matrix_from_token_sets([shingle_strings(k) for k in doc_keys(texts)], 128, 1)
        dups += sum(lsh.insert_matrix_and_query_duplicate_flags(m, start))
        start += len(texts)

    texts: list[str] = []
    for _, text in read_docs(corpus, limit):
        texts.append(text)
        if len(texts) == 256:
            flush(texts)
            texts = []
    if texts:
        flush(texts)
    return {"seconds": time.perf_counter() - t, "duplicates": dups, "bands_rows": "16x8"}


def sig_rensa(keys: list[str], repeat: int) -> dict:
    import numpy as np
    import rensa
    from builder.dedup.shingles import shingle_hashes
    R = rensa.RMinHash
    batches = [shingle_hashes(keys[i:i + 256]) for i in range(0, len(keys), 256)]
    offsets = [b.offsets.astype(np.uint64) for b in batches]
    return {
        "sig": cpu_seconds(lambda: [R.digest_matrix_from_token_sets([shingle_strings(k) for k in keys[i:i + 256]], 128, 1)
                                    for i in range(0, len(keys), 256)], repeat),
        "kernel": cpu_seconds(lambda: [R.digest_matrix_from_flat_token_hashes(b.hashes, o, 128, 1)
                                       for b, o in zip(batches, offsets)], repeat),
        "kernel_rho": cpu_seconds(lambda: [R.digest_matrix_from_flat_token_hashes_rho(b.hashes, o, 128, 1)
                                           for b, o in zip(batches, offsets)], repeat),
        "shingles_per_doc": sum(len(b.hashes) for b in batches) / max(len(keys), 1)}


def cpu_seconds(run, repeat: int) -> float:
    """Best CPU time of `repeat` runs (process time: all threads, none of other processes' load)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        run()
        best = min(best, time.process_time() - t)
    return best


def peak_rss_mb() -> float:
    """VmHWM of this process (ru_maxrss would carry the parent's peak across fork + exec)."""
    for line in open("/proc/self/status", encoding="ascii"):
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child(name: str, corpus: Path, limit: int, out: Path, repeat: int) -> dict:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core: single-threaded, whatever the library does
    runners = {"builder": lambda: run_builder(corpus, limit, out),
               "datasketch": lambda: run_datasketch(corpus, limit, out, bulk=False),
               "datasketch-bulk": lambda: run_datasketch(corpus, limit, out, bulk=True),
               "rensa": lambda: run_rensa(corpus, limit, out)}
    cpu = time.process_time()
    result = runners[name]()  # the peak RSS is taken here, before the signature timings below
    result.update(name=name, docs=min(limit, sum(1 for _ in open(corpus, encoding="utf-8"))),
                  peak_rss_mb=peak_rss_mb(), cpu_seconds=time.process_time() - cpu)
    from builder.dedup.shingles import doc_keys
    sig_docs = min(result["docs"], SIG_DOCS if name != "datasketch" else 300)
    keys = doc_keys([text for _, text in read_docs(corpus, sig_docs)])
    sig = {"builder": lambda: sig_builder(keys, repeat), "datasketch": lambda: sig_datasketch(keys, False, 1),
           "datasketch-bulk": lambda: sig_datasketch(keys, True, 1), "rensa": lambda: sig_rensa(keys, repeat)}[name]()
    result["docs_per_s"] = result["docs"] / result["seconds"]
    result["docs_per_cpu_s"] = result["docs"] / result["cpu_seconds"]
    result["sig_docs"] = sig_docs
    for k in ("sig", "kernel", "kernel_rho"):
        result[f"{k}_docs_per_s"] = sig_docs / sig[k] if k in sig else None
    result["shingles_per_doc"] = sig.get("shingles_per_doc")
    return result


# ---- driver -----------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", default=",".join(CONTENDERS), help="comma-separated contenders")
    ap.add_argument("--baseline-docs", type=int, default=3000, help="documents for the slow datasketch baseline")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/bench_dedup"))
    ap.add_argument("--repeat", type=int, default=3, help="passes of the signature timings (the best counts)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "make-corpus":
        make_corpus(args.docs, args.seed, args.corpus)
        return 0
    if args.child:
        print(json.dumps(child(args.child, args.corpus, args.limit, args.workdir / f"out-{args.child}.jsonl",
                               args.repeat)))
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
                               "--limit", str(limit), "--workdir", str(args.workdir), "--repeat", str(args.repeat)],
                              capture_output=True, text=True, env=env)
        if proc.returncode:
            print(f"{name} failed:\n{proc.stderr}", file=sys.stderr)
            continue
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), file=sys.stderr)
    ref = next((r for r in rows if r["name"] == "builder"), None)
    print(f"{'contender':16} {'docs':>7} {'e2e docs/s':>11} {'docs/cpu-s':>11} {'peak MB':>8} {'sig docs/s':>11} "
          f"{'kernel docs/s':>14} {'bands':>6} {'dups':>6}  builder is x faster (e2e cpu / sig / kernel)")

    def ratio(key: str, r: dict, value: float | None = None) -> str:
        value = value or r[key]
        return f"{ref[key] / value:.2f}" if ref and ref.get(key) and value else "-"

    for r in rows:
        ratios = "" if r is ref else " / ".join(ratio(k, r) for k in ("docs_per_cpu_s", "sig_docs_per_s", "kernel_docs_per_s"))
        kernel = f"{r['kernel_docs_per_s']:.0f}" if r["kernel_docs_per_s"] else "-"
        print(f"{r['name']:16} {r['docs']:>7} {r['docs_per_s']:>11.0f} {r['docs_per_cpu_s']:>11.0f} {r['peak_rss_mb']:>8.1f} "
              f"{r['sig_docs_per_s']:>11.0f} {kernel:>14} {r['bands_rows']:>6} {r['duplicates']:>6}  {ratios}")
        if r["kernel_rho_docs_per_s"]:
            rho = r["kernel_rho_docs_per_s"]
            print(f"{r['name'] + '-rho':16} {r['sig_docs']:>7} {'-':>11} {'-':>11} {'-':>8} {'-':>11} {rho:>14.0f} "
                  f"{'-':>6} {'-':>6}  - / - / {ratio('kernel_docs_per_s', r, rho)}")
    spd = next((r["shingles_per_doc"] for r in rows if r.get("shingles_per_doc")), 0.0)
    print(f"e2e: wall clock and CPU seconds of the whole run. sig, kernel: {min(SIG_DOCS, args.docs)} documents, "
          f"CPU seconds, best of {args.repeat}; kernel input: the same {spd:.0f} shingle hashes per document (mean) "
          f"-> 128 values. Every contender on one core.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
