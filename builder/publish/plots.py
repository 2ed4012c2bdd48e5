"""The card's PNG plots, rendered with matplotlib's Agg canvas (no pyplot, no global state).

PNGs are written without the "Software" tag and matplotlib writes no timestamp, so the same
numbers give the same bytes and the release stays byte-identical.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

CURVE_POINTS = 101


def _save(fig: Figure, path: Path) -> Path:
    FigureCanvasAgg(fig)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100, metadata={"Software": None})
    return path


def length_histogram(n_words: Sequence[int], path: Path) -> Path:
    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot()
    ax.hist(n_words, bins=40, color="#4c72b0")
    ax.set_xlabel("words per document")
    ax.set_ylabel("documents")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.5 documents on the axis
    ax.set_title("Document length (kept)")
    return _save(fig, path)


def languages(langs: Counter, path: Path, top: int = 15) -> Path:
    items = langs.most_common(top)
    fig = Figure(figsize=(6, 0.3 * len(items) + 1.2))
    ax = fig.add_subplot()
    ax.barh([k for k, _ in reversed(items)], [v for _, v in reversed(items)], color="#55a868")
    ax.set_xlabel("documents")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Languages (kept)")
    return _save(fig, path)


def merged_similarities(similarities: list[float], threshold: float | None, path: Path) -> Path:
    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot()
    ax.hist(similarities, bins=40, range=(0.0, 1.0), color="#c44e52")
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:g}")
        ax.legend()
    ax.set_xlabel("estimated Jaccard similarity to the kept document")
    ax.set_ylabel("merged pairs")
    ax.set_title("Similarity of merged near-duplicates")
    return _save(fig, path)


def detection_curve(curve: list[tuple[float, float]], threshold: float | None, bands: int | None,
                    rows: int | None, path: Path) -> Path:
    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot()
    ax.plot([j for j, _ in curve], [p for _, p in curve], color="#8172b2")
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:g}")
        ax.legend(loc="upper left")
    ax.set_xlabel("Jaccard similarity of a pair")
    ax.set_ylabel("probability of becoming a candidate")
    ax.set_title(f"LSH detection curve (b={bands}, r={rows})")
    return _save(fig, path)


def render_all(folder: Path, n_words: Sequence[int], langs: Counter, dedup) -> dict[str, str]:
    """Every plot the data allows; returns {plot name: path relative to the release}."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    if n_words:
        made["lengths"] = length_histogram(n_words, folder / "lengths.png")
    if langs:
        made["languages"] = languages(langs, folder / "languages.png")
    if dedup is not None:
        threshold = getattr(dedup, "threshold", None)
        sims = list(getattr(dedup, "merged_similarities", None) or [])
        if sims:
            made["similarities"] = merged_similarities(sims, threshold, folder / "similarities.png")
        made["detection_curve"] = detection_curve(
            list(dedup.detection_curve(CURVE_POINTS)), threshold, getattr(dedup, "bands", None),
            getattr(dedup, "rows", None), folder / "detection_curve.png")
    return {name: f"{folder.name}/{p.name}" for name, p in made.items()}
