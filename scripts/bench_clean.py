#!/usr/bin/env python3
"""Benchmark the clean stage on a gold folder (e.g. shared/data/clean-dev).

Runs the same library code as `builder clean` (builder.pipeline.clean_articles) on FOLDER/input.jsonl.gz
and, if present, FOLDER/html.jsonl.gz, writes the clean JSONL, scores it with score_clean.py against
FOLDER/gold.jsonl.gz, and prints the scorer's result, docs/s and the boilerplate stage's docs/s.
`--halves` also scores two halves of the sites separately (split by a hash of the site name), to
check that a change helps on sites it was not tuned on.

`--peer` also runs trafilatura as its users call it (`trafilatura.extract(html, url=url)`, default
settings) on the same HTML pages, in the same process and minutes, scores its output the same way
and prints both F1s and the speed ratio.

`--only-rules NAMES` cleans with only these built-in rules (comma-separated; "" for none): the rules
know the furniture words of a dozen languages, so this is how the cleaner does on a language they do
not know, where only layout and repetition are left (e.g. `--only-rules copyright,nav`).

`--repeat N` times the boilerplate stage N times and prints the median and range (shared
machines are noisy: one timing can be off by a third). Every timed run starts with the rules'
memory of verdicts emptied, as in a fresh process: a warm one made repeated runs ~10% faster.

usage: bench_clean.py FOLDER [--out DIR] [--scorer PATH] [--workers N] [--halves] [--only text|html] [--repeat N] [--peer]
                      [--only-rules NAMES]
"""
from __future__ import annotations

import argparse
import copy
import gzip
import json
import re
import statistics
import subprocess
import sys
import time
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from builder import boilerplate, normalize  # noqa: E402
from builder.boilerplate import rules  # noqa: E402
from builder.boilerplate.rules import load_rules  # noqa: E402
from builder.config import load_config  # noqa: E402
from builder.ingest import read_inputs  # noqa: E402
from builder.pipeline import clean_articles  # noqa: E402


def _score(scorer: Path, gold: Path, out: Path) -> str:
    res = subprocess.run([sys.executable, str(scorer), str(gold), str(out)], capture_output=True, text=True)
    lines = [l for l in res.stdout.splitlines() if l.startswith(("clean F1", "titles", "snippets"))]
    return "\n".join(lines) or res.stdout + res.stderr


def _half_gold(gold: Path, tmp: Path) -> list[Path]:
    halves = ([], [])
    with gzip.open(gold, "rt", encoding="utf-8") as f:
        for line in f:
            g = json.loads(line)
            halves[zlib.crc32((g.get("site") or "").encode()) % 2].append(line)
    paths = []
    for name, rows in zip("AB", halves):
        p = tmp / f"gold-half-{name}.jsonl"
        p.write_text("".join(rows), encoding="utf-8")
        paths.append(p)
    return paths


def _trafilatura(src: Path, out: Path) -> float:
    """trafilatura.extract with its defaults on every page of an html.jsonl.gz, written as clean
    records; its docs/s (extraction only, the JSON reading outside the timer)."""
    import trafilatura

    with gzip.open(src, "rt", encoding="utf-8") as f:
        pages = [json.loads(line) for line in f]
    texts, spent = [], 0.0
    for p in pages:
        t = time.perf_counter()
        texts.append(trafilatura.extract(p["html"], url=p.get("url")) or "")
        spent += time.perf_counter() - t
    with open(out, "w", encoding="utf-8") as f:
        for p, text in zip(pages, texts):
            f.write(json.dumps({"id": p["id"], "status": "kept" if text else "dropped", "text": text}, ensure_ascii=False) + "\n")
    return len(pages) / spent


def _only_rules(names: str, tmp: Path) -> None:
    """Make the built-in rules those of `names` only (before any rules are loaded)."""
    keep = {n.strip() for n in names.split(",") if n.strip()}
    blocks = re.split(r"(?m)^(?=\[rule\.)", rules.BUILTIN.read_text(encoding="utf-8"))
    found = {b[6:b.index("]")]: b for b in blocks if b.startswith("[rule.")}
    if keep - found.keys():
        raise SystemExit(f"no built-in rule named: {', '.join(sorted(keep - found.keys()))}")
    path = tmp / "only-rules.toml"
    path.write_text("".join(found[n] for n in found if n in keep), encoding="utf-8")
    rules.BUILTIN = path


def _f1(scored: str) -> str:
    """The F1 figure of a scorer's "clean F1 ..." line."""
    line = next((l for l in scored.splitlines() if l.startswith("clean F1")), "")
    return line.split()[2] if len(line.split()) > 2 else "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--out", type=Path, default=Path("out/bench_clean"))
    ap.add_argument("--scorer", type=Path, default=REPO.parent / "shared" / "bench" / "score_clean.py")
    ap.add_argument("--config", type=Path, default=None)
    ap.add_argument("--workers", type=int, default=1, help="engine workers (1 = one core)")
    ap.add_argument("--halves", action="store_true", help="also score two halves of the sites")
    ap.add_argument("--only", choices=("text", "html"), default=None)
    ap.add_argument("--repeat", type=int, default=1, help="time the boilerplate stage this many times (median, range)")
    ap.add_argument("--peer", action="store_true", help="also time and score plain trafilatura on the HTML pages")
    ap.add_argument("--only-rules", default=None, metavar="NAMES",
                    help="clean with only these built-in rules (comma-separated, '' for none): a language the rules do not know")
    args = ap.parse_args()

    cfg = load_config(args.config, {"engine.workers": args.workers})
    gold = args.folder / "gold.jsonl.gz"
    args.out.mkdir(parents=True, exist_ok=True)
    halves = _half_gold(gold, args.out) if args.halves else []
    if args.only_rules is not None:
        _only_rules(args.only_rules, args.out)
    for kind, name in (("text", "input.jsonl.gz"), ("html", "html.jsonl.gz")):
        src = args.folder / name
        if not src.exists() or (args.only and args.only != kind):
            continue
        articles = list(read_inputs([src], cfg.ingest))
        # The boilerplate stage alone, on its own normalised copy (no HTML parsing, no filters),
        # keeping no removed lines, as a build does for documents it is not asked to explain.
        if kind == "text":
            sample = [copy.copy(a) for a in articles]
            for a in sample:
                normalize.normalize_article(a, cfg.normalize)
            # One-time work (loading rules and stop lists, compiling kernels on a fresh checkout) is
            # not per-document work: a first pass over every page does it before the timed runs.
            boilerplate.clean_corpus([copy.copy(a) for a in sample], cfg.boilerplate)
            rates = []
            for _ in range(max(args.repeat, 1)):
                # Each run starts with no remembered rule verdicts, as a fresh process does.
                load_rules(cfg.boilerplate.rules_file).memo.clear()
                run = [copy.copy(a) for a in sample]
                t = time.perf_counter()
                boilerplate.clean_corpus(run, cfg.boilerplate, keep_removed=lambda a: False)
                rates.append(len(run) / (time.perf_counter() - t))
            bp_rate = statistics.median(rates)
            bp_range = f" (range {min(rates):,.0f}-{max(rates):,.0f} over {len(rates)} runs)" if len(rates) > 1 else ""
        load_rules(cfg.boilerplate.rules_file).memo.clear()
        t = time.perf_counter()
        clean_articles(articles, cfg)
        rate = len(articles) / (time.perf_counter() - t)
        out = args.out / f"clean-{kind}.jsonl"
        with open(out, "w", encoding="utf-8") as f:
            for a in articles:
                f.write(json.dumps(a.clean_record(), ensure_ascii=False) + "\n")
        print(f"== {kind}: {src} ({len(articles)} docs) -> {out}")
        scored = _score(args.scorer, gold, out)
        print(scored)
        print(f"clean stage {rate:,.0f} docs/s ({cfg.engine.workers} worker(s))"
              + (f"; boilerplate alone {bp_rate:,.0f} docs/s{bp_range}" if kind == "text" else ""))
        for name, g in zip("AB", halves):
            print(f"  half {name}: " + _score(args.scorer, g, out).splitlines()[-1])
        if args.peer and kind == "html":
            peer_out = args.out / "peer-trafilatura-html.jsonl"
            peer_rate = _trafilatura(src, peer_out)
            peer_f1 = _score(args.scorer, gold, peer_out).splitlines()[-1]
            print(f"peer trafilatura.extract: {peer_f1}\npeer {peer_rate:,.1f} docs/s; builder/peer speed "
                  f"{rate / peer_rate:.2f}x; F1 {_f1(scored)} against {_f1(peer_f1)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
