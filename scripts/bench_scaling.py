#!/usr/bin/env python3
"""Time the boilerplate stage on single pages of growing size and print how the time grows.

usage: python scripts/bench_scaling.py [--lines N] [--steps K] [--repeat R]

A scrape can hold one enormous page (a forum thread, a site's whole archive flattened into one
document). Each page shape below is cleaned at N, 2N, 4N, ... lines (K sizes); the printed
exponent is log2 of the time ratio between the two largest sizes: 1 is linear, 2 quadratic.
The pages are generated (invented words), so the figures do not depend on any corpus.
"""
from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from builder.article import Article  # noqa: E402
from builder.boilerplate import clean_corpus  # noqa: E402
from builder.config import load_config  # noqa: E402

_WORDS = ("the of and a to in is was for on that with as by it at from the harbour council "
          "said ferry town bridge repairs would open again next spring after winter storms").split()


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n)).capitalize() + "."


def _menu_with_headings(rng: random.Random, n: int) -> str:
    """Short label lines, link bullets and a "related" heading every ten lines."""
    out = []
    for i in range(n):
        out.append("Related stories" if i % 10 == 0 else rng.choice(["Home", "Weather", "- Ferry times", "Sport"]))
    return "\n".join(out)


def _story_with_boxes(rng: random.Random, n: int) -> str:
    """Paragraphs with a teaser box (heading and two labels) between every few."""
    out = []
    for i in range(n):
        k = i % 6
        out.append(_sentence(rng, 40) if k < 3 else "You might also like" if k == 3 else "Harbour works")
    return "\n".join(out)


def _prose(rng: random.Random, n: int) -> str:
    return "\n".join(_sentence(rng, rng.randint(15, 60)) for _ in range(n))


def _prompts(rng: random.Random, n: int) -> str:
    return "\n".join(f'Comment on "{_sentence(rng, 8)}"' if i % 2 else _sentence(rng, 20) for i in range(n))


SHAPES = {"menu lines with cut headings": _menu_with_headings, "prose with teaser boxes": _story_with_boxes,
          "prose paragraphs": _prose, "quoted prompts": _prompts}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=5000, help="lines of the smallest page (default 5000)")
    ap.add_argument("--steps", type=int, default=4, help="sizes, doubling each time (default 4)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per size, the best is printed (default 3)")
    args = ap.parse_args()
    cfg = load_config(None, {"engine.workers": 1}).boilerplate
    clean_corpus([Article("warm-up", "Home\n" + _sentence(random.Random(0), 30), site="warm.example")], cfg)
    for name, make in SHAPES.items():
        times = []
        for step in range(args.steps):
            n = args.lines << step
            text = make(random.Random(step), n)
            best = math.inf
            for _ in range(args.repeat):
                page = Article(f"p{n}", text, site="big.example")
                t = time.perf_counter()
                clean_corpus([page], cfg)
                best = min(best, time.perf_counter() - t)
            times.append((n, best))
        growth = math.log2(times[-1][1] / times[-2][1]) if len(times) > 1 and times[-2][1] > 0 else float("nan")
        print(f"{name:30s} " + "  ".join(f"{n:>7,} lines {s:6.3f} s" for n, s in times) + f"  exponent {growth:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
