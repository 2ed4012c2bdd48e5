"""The typed config: defaults, the documented default file, and loud errors."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from builder.config import Config, load_config
from builder.errors import ConfigError

DEFAULT = Path(__file__).resolve().parent.parent / "configs" / "default.toml"


def leaf_fields(cls, prefix=""):
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(f.type) or (isinstance(f.default_factory, type)
                                                 and dataclasses.is_dataclass(f.default_factory)):
            yield from leaf_fields(f.default_factory, f"{prefix}{f.name}.")
        else:
            yield prefix + f.name


def test_default_file_equals_builtin_defaults():
    assert load_config(DEFAULT) == Config()


def test_default_file_documents_every_field():
    text = DEFAULT.read_text(encoding="utf-8")
    sections = dict(re.findall(r"^\[([\w.]+)\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S))
    for dotted in leaf_fields(Config):
        section, name = dotted.rsplit(".", 1)
        assert section in sections, section
        line = re.search(rf"^{name} = .*$", sections[section], re.M)
        assert line and "#" in line.group(0), f"{dotted} is not documented"


def test_overrides_and_hash_change():
    a, b = load_config(), load_config(overrides={"dedup.threshold": 0.9})
    assert b.dedup.threshold == 0.9
    assert a.hash() != b.hash() and a.hash() == load_config().hash()


@pytest.mark.parametrize("toml, message", [
    ("[dedup]\nthreshold = 'high'\n", "dedup.threshold"),
    ("[nope]\nx = 1\n", "nope"),
    ("[dedup]\nkeep = 'random'\n", "dedup.keep"),
    ("[filters.lang]\nallow = 'de'\n", "filters.lang.allow"),
    ("not toml [", "not valid TOML"),
    ("[filters.quality]\nmin_words = -5\n", "filters.quality.min_words must not be negative"),
    # codecs and levels pyarrow's Parquet writer refuses (checked at load, not at publish)
    ("[publish]\ncompression = 'nope'\n", "publish.compression must be one of none, snappy, gzip, brotli, lz4, lz4_raw, zstd"),
    ("[publish]\ncompression = ''\n", "got ''"),
    ("[publish]\ncompression = 'uncompressed'\n", "got 'uncompressed'"),
    ("[publish]\ncompression = 'zstd'\ncompression_level = 23\n", "publish.compression_level for zstd must be in 0..22, got 23"),
    ("[publish]\ncompression = 'gzip'\ncompression_level = 10\n", "publish.compression_level for gzip must be in 1..9, got 10"),
    ("[publish]\ncompression = 'gzip'\ncompression_level = 0\n", "gzip must be in 1..9, got 0"),
    ("[publish]\ncompression = 'brotli'\ncompression_level = 12\n", "brotli must be in 0..11"),
    ("[publish]\ncompression = 'lz4'\ncompression_level = 13\n", "lz4 must be in 1..12"),
    # a bool is no number (max_bytes = true was 1), nor a number a bool
    ("[ingest]\nmax_bytes = true\n", "config: ingest.max_bytes must be int, got bool"),
    ("[ingest]\nmax_bytes = false\n", "config: ingest.max_bytes must be int, got bool"),
    ("[dedup]\nthreshold = true\n", "config: dedup.threshold must be float, got bool"),
    ("[ingest]\nfollow_symlinks = 1\n", "config: ingest.follow_symlinks must be bool, got int"),
    ("[ingest]\nmax_bytes = 1.5\n", "config: ingest.max_bytes must be int, got float"),
    # values that would fail, or drop everything, only after the pipeline ran
    ("[check]\nnear_dup_threshold = 1.5\n", "check.near_dup_threshold must be in (0, 1], got 1.5"),
    ("[filters.quality]\nmin_words = 50\nmax_words = 10\n", "filters.quality.min_words (50) is above filters.quality.max_words (10)"),
    ("[check]\nmin_words = 5\nmax_words = 4\n", "check.min_words (5) is above check.max_words (4)"),
    ("[release]\nversion = 'one'\n", "release.version must be a semantic version (X.Y.Z), got 'one'"),
])
def test_bad_configs_raise(tmp_path, toml, message):
    p = tmp_path / "c.toml"
    p.write_text(toml)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(p)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "none.toml")


def _get(cfg, dotted):
    for part in dotted.split("."):
        cfg = getattr(cfg, part)
    return cfg


def _load(tmp_path, toml):
    p = tmp_path / "c.toml"
    p.write_text(toml, encoding="utf-8")
    return load_config(p)


@pytest.mark.parametrize("name", ["../../escape", "/tmp/x", "", ".", "..", "a/b", "a\\b", " news", "news ",
                                  "ne\x00ws", "ne\nws", "ne\x7fws"])
def test_release_name_must_be_one_folder_name(name):
    # a path would publish outside --output (or anywhere); the message stays one line whatever the name holds
    with pytest.raises(ConfigError, match=r"^config: release\.name must be one folder name") as e:
        load_config(overrides={"release.name": name})
    assert "\n" not in str(e.value) and repr(name) in str(e.value)


@pytest.mark.parametrize("name", ["news", "news-de_2025", "Nachrichten März", ".hidden", "a..b"])
def test_release_name_valid(name):
    assert load_config(overrides={"release.name": name}).release.name == name


@pytest.mark.parametrize("codec, level", [("zstd", 0), ("zstd", 22), ("ZSTD", 3), ("gzip", 1), ("gzip", 9),
                                          ("brotli", 0), ("brotli", 11), ("lz4", 12), ("lz4_raw", 1),
                                          ("none", 3), ("snappy", 99), ("SNAPPY", 3)])
def test_valid_compression(tmp_path, codec, level):
    cfg = _load(tmp_path, f"[publish]\ncompression = '{codec}'\ncompression_level = {level}\n")
    assert (cfg.publish.compression, cfg.publish.compression_level) == (codec, level)


def test_valid_compression_writes(tmp_path):
    # what validate accepts, the shard writer can write: "none" and "snappy" take no level, which
    # the writer then leaves out (pyarrow refuses one for them)
    import pyarrow as pa
    import pyarrow.parquet as pq
    from builder.config import PublishConfig
    from builder.publish.parquet import ShardWriter

    schema = pa.schema([("a", pa.int64())])
    for i, (codec, level) in enumerate([("gzip", 9), ("brotli", 11), ("lz4", 1), ("lz4_raw", 12), ("zstd", 22),
                                        ("none", 3), ("snappy", 3)]):
        w = ShardWriter(schema, tmp_path / str(i), "t", 3,
                        PublishConfig(compression=codec, compression_level=level, shard_rows=2, row_group_rows=1))
        for a in range(3):
            w.add({"a": a})
        paths = w.close()[0]
        assert len(paths) == 2
        assert pq.read_table(paths[0]).column("a").to_pylist() == [0, 1]
        written = pq.ParquetFile(paths[0]).metadata.row_group(0).column(0).compression
        # (pyarrow names both lz4 flavours "LZ4" in the file's metadata)
        assert written == "UNCOMPRESSED" if codec == "none" else written.startswith(codec.upper()[:3])


@pytest.mark.parametrize("field", ["publish.shard_rows", "publish.row_group_rows", "ingest.max_bytes",
                                   "filters.lang.max_chars", "dedup.batch_size", "dedup.guard_segments",
                                   "dedup.max_bucket", "check.near_dup_sample", "check.near_dup_shingle_size"])
def test_sizes_must_be_at_least_one(field):
    with pytest.raises(ConfigError, match=re.escape(f"config: {field} must be >= 1, got 0")):
        load_config(overrides={field: 0})
    assert _get(load_config(overrides={field: 1}), field) == 1


def test_near_dup_num_perm_like_dedup_num_perm():
    with pytest.raises(ConfigError, match=re.escape("config: check.near_dup_num_perm must be >= 16, got 0")):
        load_config(overrides={"check.near_dup_num_perm": 0})
    assert load_config(overrides={"check.near_dup_num_perm": 16}).check.near_dup_num_perm == 16


@pytest.mark.parametrize("field", ["engine.workers", "engine.min_parallel_docs", "boilerplate.rendered_ratio",
                                   "dedup.containment", "filters.quality.min_words", "dedup.seed", "check.seed"])
def test_documented_zeros_still_load(field):
    # 0 means something here ("one per core", "0 = off", no minimum, a seed)
    assert _get(load_config(overrides={field: 0}), field) == 0


def test_int_for_float_field(tmp_path):
    cfg = _load(tmp_path, "[dedup]\nthreshold = 1\n[filters.lang]\nmin_score = 0\n")
    assert cfg.dedup.threshold == 1.0 and isinstance(cfg.dedup.threshold, float)
    assert cfg.filters.lang.min_score == 0.0 and isinstance(cfg.filters.lang.min_score, float)


def test_defaults_load():
    assert load_config(None) == Config() == load_config(DEFAULT)


