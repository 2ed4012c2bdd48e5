"""The dataset card: README.md with Hugging Face YAML front matter and real statistics.

The YAML goes through huggingface_hub's own `DatasetCardData` (what `datasets` reads), with
`configs` pointing at `data/train-*.parquet` only, so `audit/` is never picked up as a split, and
`dataset_info` carrying the true row count. The body is `dataset_card.md` with `${name}`
placeholders (string.Template: no template engine is needed for filling in tables).
"""
from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from string import Template

import pyarrow as pa
from huggingface_hub import DatasetCard, DatasetCardData

import builder
from builder.article import DATA_SCHEMA
from builder.config import Config
from builder.errors import BuilderError
from builder.publish.summary import ReleaseSummary

_DTYPES = {pa.string(): "string", pa.float32(): "float32", pa.int32(): "int32"}
_SIZES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
          (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")]
_FIELDS = {
    "id": "stable document id (from the input)", "text": "cleaned article body, paragraphs separated by a blank line",
    "title": "title, when known", "site": "publisher site", "url": "source URL, when known",
    "published_at": "publication time as given by the input", "fetched_at": "scrape time as given by the input",
    "dateline": "place of a leading dateline moved out of the body", "source": "agency/source of that dateline",
    "lang": "detected language (ISO 639-1)", "lang_score": "language detector confidence",
    "n_words": "whitespace-separated words in text", "content_hash": "hash of the normalised text (exact-dedup key)",
    "cluster_id": "near-duplicate cluster this document represents", "cluster_size": "input documents in that cluster",
}
PIPELINE = ("ingest (read every input, quarantine unreadable ones) → normalise (Unicode, whitespace, "
            "mojibake, datelines) → boilerplate (site templates learned from the site's own pages, plus "
            "single-page rules) → filters (language, quality) → exact and MinHash-LSH near-duplicate "
            "removal → publish (this release)")


def size_category(n: int) -> str:
    return next((label for limit, label in _SIZES if n < limit), "n>1T")


def template_path(cfg: Config) -> Path:
    """The card template: the configured path, else the project's own `dataset_card.md`."""
    for candidate in (Path(cfg.publish.card_template),
                      Path(__file__).resolve().parents[2] / "dataset_card.md"):
        if candidate.is_file():
            return candidate
    raise BuilderError(f"card template not found: {cfg.publish.card_template}")


def card_data(cfg: Config, langs: Counter, kept: int, num_bytes: int, download_size: int) -> DatasetCardData:
    codes = sorted(k for k in langs if k.isalpha() and k.islower() and 2 <= len(k) <= 3)
    return DatasetCardData(
        language=codes or None,
        license=cfg.release.license,
        pretty_name=cfg.release.pretty_name,
        size_categories=[size_category(kept)],
        task_categories=["text-generation"],
        multilinguality="multilingual" if len(codes) > 1 else "monolingual",
        configs=[{"config_name": "default", "default": True,
                  "data_files": [{"split": "train", "path": "data/train-*.parquet"}]}],
        dataset_info={
            "features": [{"name": f.name, "dtype": _DTYPES.get(f.type, str(f.type))} for f in DATA_SCHEMA],
            "splits": [{"name": "train", "num_bytes": num_bytes, "num_examples": kept}],
            "download_size": download_size,
            "dataset_size": num_bytes,
        },
    )


def _table(header: tuple[str, str], counts: Counter, total: int, top: int = 30) -> str:
    if not counts:
        return "_none_"
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    lines = [f"| {header[0]} | {header[1]} | share |", "|---|---:|---:|"]
    lines += [f"| {k} | {v} | {v / total:.1%} |" for k, v in rows[:top]]
    if len(rows) > top:
        rest = sum(v for _, v in rows[top:])
        lines.append(f"| … {len(rows) - top} more | {rest} | {rest / total:.1%} |")
    return "\n".join(lines)


def _lengths(words: Sequence[int]) -> str:
    if not words:
        return "_no kept documents_"
    qs = statistics.quantiles(words, n=10, method="inclusive") if len(words) > 1 else [words[0]] * 9
    cells = [min(words), qs[0], qs[4], qs[8], max(words), statistics.fmean(words)]
    return ("| min | p10 | median | p90 | max | mean |\n|---:|---:|---:|---:|---:|---:|\n| "
            + " | ".join(f"{c:,.0f}" for c in cells) + " |")


def _plots(plots: dict[str, str]) -> str:
    if not plots:
        return ""
    titles = {"lengths": "Length distribution", "languages": "Languages",
              "similarities": "Similarity of merged near-duplicate pairs",
              "detection_curve": "LSH detection curve (chance that a pair of a given similarity is compared)"}
    out = ["## Plots", ""]
    for name, rel in plots.items():
        out += [f"### {titles.get(name, name)}", "", f"![{titles.get(name, name)}]({rel})", ""]
    return "\n".join(out)


def _dedup(dedup, duplicates: int) -> str:
    if dedup is None:
        return "Near-duplicate detection was not run for this release."
    sims = list(getattr(dedup, "merged_similarities", None) or [])
    line = (f"Near duplicates: MinHash LSH with {getattr(dedup, 'bands', '?')} bands of "
            f"{getattr(dedup, 'rows', '?')} rows, Jaccard threshold {getattr(dedup, 'threshold', '?')}; "
            f"{duplicates} documents removed as duplicates")
    if sims:
        line += f", median similarity of merged pairs {statistics.median(sims):.3f}"
    return line + ". The cluster sidecar is under `dedup/`."


def render_card(summary: ReleaseSummary, cfg: Config, *, version: str, previous: str | None,
                input_fp: str, num_bytes: int, download_size: int, plots: dict[str, str],
                dedup) -> DatasetCard:
    duplicates, kept, removed = summary.duplicates, summary.kept, summary.removed
    langs = summary.langs
    passed = kept + duplicates
    values = {
        "pretty_name": cfg.release.pretty_name, "description": cfg.release.description,
        "version": version, "builder_version": builder.__version__,
        "previous_line": f"Previous version: {previous}." if previous else "First version.",
        "config_hash": cfg.hash(), "input_fingerprint": input_fp,
        "inputs": summary.documents, "kept": kept, "removed": removed, "duplicates": duplicates,
        "dedup_rate": f"{duplicates / passed:.1%}" if passed else "n/a",
        "sites_table": _table(("site", "documents"), summary.sites, kept),
        "langs_table": _table(("language", "documents"), langs, kept),
        "lengths_table": _lengths(summary.n_words),
        "reasons_table": _table(("reason", "documents"), summary.reasons, removed),
        "plots_section": _plots(plots),
        "pipeline_section": PIPELINE,
        "dedup_section": _dedup(dedup, duplicates),
        "config_json": json.dumps(cfg.to_dict(invocation=False), indent=2, sort_keys=True, ensure_ascii=False),
        "fields_table": "| field | type | meaning |\n|---|---|---|\n" + "\n".join(
            f"| `{f.name}` | {_DTYPES.get(f.type, f.type)} | {_FIELDS.get(f.name, '')} |" for f in DATA_SCHEMA),
        "license": cfg.release.license,
    }
    body = Template(template_path(cfg).read_text(encoding="utf-8")).safe_substitute(values)
    data = card_data(cfg, langs, kept, num_bytes, download_size)
    return DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{body.strip()}\n")
