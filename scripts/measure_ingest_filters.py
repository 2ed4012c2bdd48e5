"""Dev-data measurements for ingest, normalisation and the filters (not part of the test suite).

    python scripts/measure_ingest_filters.py [DATA_DIR]   # DATA_DIR defaults to /work/shared/data

Prints: docs/s of ingest, normalize_text and language detection on corpus-dev, and how many
gold bodies (clean-dev gold, dedup-dev docs) the default filters drop, with the reasons.
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from builder.config import FilterConfig, IngestConfig, LangConfig, NormalizeConfig
from builder.filters import LanguageFilter, apply_filters
from builder.ingest import read_inputs
from builder.normalize import normalize_text


def timed(label: str, n: int, fn):
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    print(f"{label}: {n} docs in {dt:.2f} s = {n / dt:,.0f} docs/s")
    return out


def main(data: Path) -> None:
    corpus = data / "corpus-dev" / "raw.jsonl.gz"
    arts = timed("ingest corpus-dev", 3332, lambda: list(read_inputs([corpus], IngestConfig())))
    print(f"  {sum(len(a.text) for a in arts):,} characters")
    ncfg = NormalizeConfig()
    texts = timed("normalize_text", len(arts), lambda: [normalize_text(a.text, ncfg) for a in arts])
    for backend, n in (("fasttext", len(texts)), ("langdetect", 300)):
        f = LanguageFilter(LangConfig(backend=backend))
        f.detect("warm up")
        timed(f"language ({backend})", n, lambda: [f.detect(t) for t in texts[:n]])
    for gold in (data / "clean-dev" / "gold.jsonl.gz", data / "dedup-dev" / "docs.jsonl.gz"):
        docs = list(read_inputs([gold], IngestConfig()))
        for a in docs:
            a.text = normalize_text(a.text, ncfg)
        apply_filters(docs, FilterConfig())
        dropped = [a for a in docs if not a.alive]
        print(f"default filters on {gold.parent.name}/{gold.name}: dropped {len(dropped)} of {len(docs)} "
              f"({100 * len(dropped) / len(docs):.2f}%) {dict(Counter(a.reason for a in dropped))}")
        for a in dropped:
            print(f"  {a.id} {a.reason} lang={a.lang} {a.text[:80]!r}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/data"))
