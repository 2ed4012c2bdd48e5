#!/usr/bin/env python3
"""Time the whole `builder build` on a raw corpus and print docs/s and peak RSS.

usage: python scripts/bench_build.py [RAW.jsonl.gz] [--copies N] [--workers W]

Default input: ../shared/data/corpus-dev/raw.jsonl.gz (3,332 raw scrapes). `--copies N` replicates
it N times with fresh ids (each copy is an exact duplicate of the first, which exercises dedup at
scale). The build runs in a child process so its peak RSS is measured alone.
"""
from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def replicate(src: Path, copies: int, dst: Path) -> int:
    n = 0
    with gzip.open(src, "rt", encoding="utf-8") as f:
        lines = [json.loads(line) for line in f if line.strip()]
    with gzip.open(dst, "wt", encoding="utf-8") as out:
        for c in range(copies):
            for d in lines:
                if c:
                    d = dict(d, id=f"{d['id']}~{c}")
                out.write(json.dumps(d, ensure_ascii=False) + "\n")
                n += 1
    return n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("raw", nargs="?", default=str(ROOT.parent / "shared/data/corpus-dev/raw.jsonl.gz"))
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--workers", type=int, default=0, help="engine.workers (0 = one per core)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = Path(args.raw)
        if args.copies > 1:
            n = replicate(src, args.copies, tmp / "raw.jsonl.gz")
            src = tmp / "raw.jsonl.gz"
        else:
            with gzip.open(src, "rt", encoding="utf-8") as f:
                n = sum(1 for line in f if line.strip())
        cfg = tmp / "bench.toml"
        cfg.write_text(f"[engine]\nworkers = {args.workers}\n[publish]\nplots = false\n")
        cmd = [sys.executable, "-m", "builder", "build", "--quiet", "--config", str(cfg),
               "--input", str(src), "--output", str(tmp / "out"), "--version", "0.0.1"]
        t = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t
        if proc.returncode:
            print(proc.stderr, file=sys.stderr)
            return proc.returncode
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        manifest = json.loads(next((tmp / "out").glob("*/0.0.1/manifest.json")).read_text())
    print(f"documents {n}  wall {wall:.1f} s  {n / wall:.0f} docs/s  peak RSS {rss_mb:.0f} MB")
    print("counts", json.dumps(manifest.get("counts", {}), sort_keys=True)[:800])
    return 0


if __name__ == "__main__":
    sys.exit(main())
