#!/usr/bin/env python3
"""Time the whole `builder build` on a raw corpus and print docs/s and peak RSS.

usage: python scripts/bench_build.py [RAW.jsonl.gz] [--copies N[,N...]] [--workers W]

Default input: ../shared/data/corpus-dev/raw.jsonl.gz (3,332 raw scrapes). `--copies N` replicates
it N times with fresh ids into a temporary JSONL (each copy is an exact duplicate of the first,
which exercises dedup at scale); several counts (`--copies 1,10`) give one line each, to show how
peak memory grows (or not) with the corpus. Each build runs in a child process so its peak RSS
is measured alone; run it from another checkout to compare versions.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
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


def bench(raw: Path, copies: int, workers: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = raw
        if copies > 1:
            n = replicate(src, copies, tmp / "raw.jsonl.gz")
            src = tmp / "raw.jsonl.gz"
        else:
            with gzip.open(src, "rt", encoding="utf-8") as f:
                n = sum(1 for line in f if line.strip())
        cfg = tmp / "bench.toml"
        cfg.write_text(f"[engine]\nworkers = {workers}\n[publish]\nplots = false\n")
        cmd = [sys.executable, "-m", "builder", "build", "--quiet", "--config", str(cfg),
               "--input", str(src), "--output", str(tmp / "out"), "--version", "0.0.1"]
        t = time.perf_counter()
        with open(tmp / "stderr", "w+") as err:
            # wait4: this build's own peak RSS (its largest process), not the bench's earlier builds
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
            _, status, rusage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t
            if rc := os.waitstatus_to_exitcode(status):
                err.seek(0)
                print(err.read(), file=sys.stderr)
                return rc
        rss_mb = rusage.ru_maxrss / 1024
        manifest = json.loads(next((tmp / "out").glob("*/0.0.1/manifest.json")).read_text())
    print(f"copies {copies}  documents {n}  wall {wall:.1f} s  {n / wall:.0f} docs/s  peak RSS {rss_mb:.0f} MB "
          f"(largest process)  kept {manifest['counts']['kept']}", flush=True)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("raw", nargs="?", default=str(ROOT.parent / "shared/data/corpus-dev/raw.jsonl.gz"))
    ap.add_argument("--copies", default="1", help="how many copies of the input to build, e.g. 1,10")
    ap.add_argument("--workers", type=int, default=0, help="engine.workers (0 = one per core)")
    args = ap.parse_args()
    for copies in (int(c) for c in args.copies.split(",")):
        if rc := bench(Path(args.raw), copies, args.workers):
            return rc
    return 0


if __name__ == "__main__":
    sys.exit(main())
