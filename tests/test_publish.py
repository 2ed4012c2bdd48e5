"""publish_release: layout, determinism, versions, atomicity, card, plots, push dry-run, PII."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from huggingface_hub import DatasetCard

from builder.article import AUDIT_SCHEMA, DATA_SCHEMA
from builder.config import Config
from builder.errors import BuilderError
from builder.publish import ReleaseExtras, input_fingerprint, publish_release
from builder.publish.hub import push_release
from builder.publish.manifest import sha256_file
from builder.publish.parquet import ReleasePlan, ShardWriter
from builder.publish.pii import find_pii, redact

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "publish"))
from publish_factory import TEMPLATES, FakeDedup, corpus, words  # noqa: E402


def small_cfg() -> Config:
    cfg = Config()
    cfg.publish.shard_rows = 8       # several shards and row groups from a few articles
    cfg.publish.row_group_rows = 3
    return cfg


def publish(out: Path, ids=range(20), **kw) -> Path:
    kw.setdefault("version", None)
    kw.setdefault("previous", None)
    return publish_release(corpus(ids), kw.pop("cfg", small_cfg()), output=out, input_fingerprint="fp",
                           extras=ReleaseExtras(templates=TEMPLATES, dedup=FakeDedup(), stats={"seconds": 1.5}),
                           **kw)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return publish(tmp_path_factory.mktemp("out"))


def files(release: Path) -> dict[str, str]:
    return {p.relative_to(release).as_posix(): sha256_file(p) for p in release.rglob("*") if p.is_file()}


def test_layout_and_every_input_once(release):
    assert release.name == "1.0.0" and release.parent.name == "news"
    names = files(release)
    for required in ("README.md", "manifest.json", "CHANGELOG.md", "audit/_templates.json",
                     "dedup/clusters.json", "data/train-00000-of-00003.parquet",
                     "audit/removed-00000-of-00001.parquet"):
        assert required in names
    data = pq.read_table(release / "data").to_pylist()
    audit = pq.read_table(release / "audit/removed-00000-of-00001.parquet").to_pylist()
    assert [r["id"] for r in data] == [a.id for a in corpus(range(20)) if a.status == "kept"]
    assert {r["id"]: (r["status"], r["reason"]) for r in audit} == {
        "doc-900": ("dropped", "too_short"), "broken-001": ("quarantined", "unreadable:json"),
        "doc-901": ("dropped", "near_duplicate")}
    assert next(r for r in audit if r["id"] == "doc-901")["duplicate_of"] == "doc-000"
    assert next(r for r in data if r["id"] == "doc-000")["cluster_size"] == 2
    assert json.loads((release / "audit/_templates.json").read_text()) == TEMPLATES


def test_parquet_is_explicit_zstd_paged_fixed_row_groups(release):
    for shard in sorted((release / "data").glob("*.parquet")):
        f = pq.ParquetFile(shard)
        assert f.schema_arrow.equals(DATA_SCHEMA)
        sizes = [f.metadata.row_group(i).num_rows for i in range(f.num_row_groups)]
        assert all(s == 3 for s in sizes[:-1]) and sizes[-1] <= 3
        col = f.metadata.row_group(0).column(0)
        assert col.compression == "ZSTD" and col.has_offset_index and col.has_column_index
    assert pq.ParquetFile(release / "audit/removed-00000-of-00001.parquet").schema_arrow.equals(AUDIT_SCHEMA)


def test_manifest_contents(release):
    m = json.loads((release / "manifest.json").read_text())
    assert m["version"] == "1.0.0" and m["previous"] is None and m["input_fingerprint"] == "fp"
    assert m["config_hash"] == small_cfg().hash() and m["config"] == small_cfg().to_dict(invocation=False)
    assert m["counts"]["inputs"] == 23 and m["counts"]["kept"] == 20
    assert m["counts"]["by_status"] == {"kept": 20, "dropped": 2, "quarantined": 1}
    assert m["counts"]["by_reason"] == {"too_short": 1, "unreadable:json": 1, "near_duplicate": 1}
    assert sum(m["counts"]["by_lang"].values()) == 20 and m["counts"]["by_lang"]["de"] == 10
    listed = {f["path"]: f for f in m["files"]}
    assert set(listed) == set(files(release)) - {"manifest.json", "build-info.json"}
    for path, entry in listed.items():
        assert entry["sha256"] == sha256_file(release / path)
        assert entry["bytes"] == (release / path).stat().st_size
    assert sum(f["rows"] for p, f in listed.items() if p.startswith("data/")) == 20
    assert "built_at" not in m and "seconds" not in json.dumps(m)
    assert m["dedup"] == {"threshold": 0.7, "bands": 16, "rows": 8}
    info = json.loads((release / "build-info.json").read_text())
    assert info["stats"] == {"seconds": 1.5} and info["dedup"] == FakeDedup().to_dict()


def test_two_builds_are_byte_identical(tmp_path, release, monkeypatch):
    again = publish(tmp_path / "again")
    first, second = files(release), files(again)
    first.pop("build-info.json")
    second.pop("build-info.json")
    assert first == second
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    dated = publish(tmp_path / "dated")
    assert json.loads((dated / "manifest.json").read_text())["built_at"].startswith("2023-11-14T22:13:20")


def test_versions_bump_refuse_and_auto_previous(tmp_path):
    out = tmp_path / "out"
    v1 = publish(out)
    v11 = publish(out, ids=range(24), previous=v1)
    assert v11.name == "1.1.0"
    assert json.loads((v11 / "manifest.json").read_text())["previous"] == "1.0.0"
    with pytest.raises(BuilderError) as e:
        publish(out, version="1.0.0")
    assert e.value.exit_code == 2 and "never overwritten" in str(e.value)
    # no --version, no --previous: the latest release is the previous; nothing changed -> patch
    assert publish(out, ids=range(24)).name == "1.1.1"
    assert "Compared with 1.1.0, the latest earlier release" in (out / "news/1.1.1/CHANGELOG.md").read_text()
    # a document removed -> major, against a previous given as a bare version
    assert publish(out, ids=range(1, 24), previous=Path("v1.1.1")).name == "2.0.0"
    with pytest.raises(BuilderError):
        publish(out, version="1.5.0", previous=out / "news" / "2.0.0")
    # building on an older release again bumps to a version that exists: say how to go on
    with pytest.raises(BuilderError, match=r"2\.0\.0 is 1\.1\.1 bumped; .* --previous, or .* --version"):
        publish(out, ids=range(1, 24), previous=Path("v1.1.1"))
    with pytest.raises(BuilderError):
        publish(out, previous=tmp_path / "nowhere")
    with pytest.raises(BuilderError):
        publish(out, version="one")
    assert publish(tmp_path / "fresh", version="v0.3.0").name == "0.3.0"


def test_streamed_articles_with_a_plan_give_the_same_release(tmp_path, release):
    arts = corpus(range(20))
    streamed = publish_release(iter(arts), small_cfg(), output=tmp_path, version=None, previous=None,
                               input_fingerprint="fp", plan=ReleasePlan.of(arts),
                               extras=ReleaseExtras(templates=TEMPLATES, dedup=FakeDedup(), stats={}))
    first, second = files(release), files(streamed)
    first.pop("build-info.json")
    second.pop("build-info.json")
    assert first == second


def shard_rows(n: int, seed: int, words_per_row: int = 30) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row = {f.name: None for f in DATA_SCHEMA}
        row.update(id=f"d{i}", text=words(seed + i, rng.randint(0, words_per_row)), content_hash=f"h{i}",
                   n_words=rng.randint(0, 900), lang_score=rng.choice([None, rng.random()]),
                   site=rng.choice([None, "ä.example", "b.example"]), cluster_size=rng.choice([None, 2]))
        rows.append(row)
    return rows


@pytest.mark.parametrize("n, shard, group, words_per_row", [
    (0, 8, 3, 30), (1, 8, 3, 30), (3, 8, 3, 30), (8, 8, 3, 30), (9, 8, 3, 30), (17, 8, 3, 30), (24, 8, 3, 30),
    # row groups of several Arrow batches, with data pages of 1 MB cut inside them
    (7000, 6000, 2500, 300)])
def test_shard_writer_matches_whole_shard_tables(tmp_path, n, shard, group, words_per_row):
    # rows added one by one give the files (and Arrow size) of writing each shard's table at once
    cfg = small_cfg().publish
    cfg.shard_rows, cfg.row_group_rows = shard, group
    rows = shard_rows(n, seed=n, words_per_row=words_per_row)
    writer = ShardWriter(DATA_SCHEMA, tmp_path / "stream", "train", n, cfg)
    for row in rows:
        writer.add(row)
    paths, nbytes = writer.close()
    shards = [rows[i:i + cfg.shard_rows] for i in range(0, n, cfg.shard_rows)] or [[]]
    assert [p.name for p in paths] == [f"train-{i:05d}-of-{len(shards):05d}.parquet" for i in range(len(shards))]
    expected = 0
    for path, chunk in zip(paths, shards):
        table = pa.Table.from_pylist(chunk, schema=DATA_SCHEMA)
        pq.write_table(table, tmp_path / "whole.parquet", row_group_size=cfg.row_group_rows,
                       compression=cfg.compression, compression_level=cfg.compression_level,
                       write_page_index=True, write_statistics=True, use_dictionary=True)
        assert path.read_bytes() == (tmp_path / "whole.parquet").read_bytes()
        expected += table.nbytes
    assert nbytes == expected


def test_shard_writer_refuses_rows_beyond_or_short_of_the_plan(tmp_path):
    cfg = small_cfg().publish
    rows = shard_rows(3, seed=1)
    over = ShardWriter(DATA_SCHEMA, tmp_path / "over", "train", 2, cfg)
    over.add(rows[0])
    over.add(rows[1])
    with pytest.raises(BuilderError, match="more than the 2 rows planned"):
        over.add(rows[2])
    short = ShardWriter(DATA_SCHEMA, tmp_path / "short", "train", 3, cfg)
    short.add(rows[0])
    with pytest.raises(BuilderError, match="1 rows written, 3 planned"):
        short.close()


def test_failed_publish_leaves_nothing(tmp_path):
    class Broken(FakeDedup):
        def write_sidecar(self, release_dir):
            raise RuntimeError("disk full")

    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        publish_release(corpus(range(5)), small_cfg(), output=out, version=None, previous=None,
                        input_fingerprint="fp", extras=ReleaseExtras(dedup=Broken()))
    assert list((out / "news").iterdir()) == []


def test_card_yaml_stats_and_plots(release):
    card = DatasetCard.load(release / "README.md")
    meta = card.data.to_dict()
    assert meta["dataset_info"]["splits"] == [{"name": "train", "num_bytes": meta["dataset_info"]["dataset_size"],
                                               "num_examples": 20}]
    assert meta["configs"][0]["data_files"] == [{"split": "train", "path": "data/train-*.parquet"}]
    assert meta["language"] == ["de", "en"] and meta["license"] == "other"
    assert meta["size_categories"] == ["n<1K"] and meta["pretty_name"] == "News articles"
    assert [f["name"] for f in meta["dataset_info"]["features"]] == DATA_SCHEMA.names
    for plot in ("lengths", "languages", "similarities", "detection_curve"):
        assert f"](plots/{plot}.png)" in card.text
        png = (release / "plots" / f"{plot}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and b"Software" not in png and b"tIME" not in png
    assert "| site1.example | 7 |" in card.text            # by-site table holds real counts
    assert "| too_short | 1 |" in card.text and "33.3%" in card.text
    assert "${" not in card.text


def test_load_dataset_offline_only_train(release, tmp_path):
    code = ("import json, sys; from datasets import load_dataset; ds = load_dataset(sys.argv[1]); "
            "print(json.dumps({k: v.num_rows for k, v in ds.items()}))")
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code, str(release)], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out.splitlines()[-1]) == {"train": 20}


def test_input_fingerprint_ignores_location_not_content(tmp_path):
    for root in ("a", "b"):
        (tmp_path / root / "in" / "site").mkdir(parents=True)
        (tmp_path / root / "in" / "site" / "x.txt").write_text("hello", encoding="utf-8")
        (tmp_path / root / "in" / "y.jsonl").write_text("{}\n", encoding="utf-8")
    fa, fb = input_fingerprint([tmp_path / "a" / "in"]), input_fingerprint([tmp_path / "b" / "in"])
    assert fa == fb and len(fa) == 64
    (tmp_path / "b" / "in" / "site" / "x.txt").write_text("hellO", encoding="utf-8")
    assert input_fingerprint([tmp_path / "b" / "in"]) != fa
    with pytest.raises(BuilderError):
        input_fingerprint([tmp_path / "missing"])


def test_push_dry_run_lists_files_and_bytes(release, tmp_path):
    items = push_release(release, "org/news", dry_run=True)
    assert {i.path: i.bytes for i in items} == {p: (release / p).stat().st_size for p in files(release)}
    with pytest.raises(BuilderError):
        push_release(tmp_path, "org/news", dry_run=True)
    with pytest.raises(BuilderError):
        push_release(release, "not a repo", dry_run=True)



def test_push_refuses_a_release_that_differs_from_its_manifest(release, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(release, copy)
    (copy / "notes.txt").write_text("added after the build\n", encoding="utf-8")
    with pytest.raises(BuilderError, match="notes.txt: not in the manifest"):
        push_release(copy, "org/news", dry_run=True)
    (copy / "notes.txt").unlink()
    shard = next((copy / "data").glob("*.parquet"))
    blob = bytearray(shard.read_bytes())
    blob[len(blob) // 2] ^= 1
    shard.write_bytes(bytes(blob))
    with pytest.raises(BuilderError, match="sha256 or size differs"):
        push_release(copy, "org/news", dry_run=False)   # refused before any network call

def test_pii_found_and_redacted():
    text = ("Write to desk@news.example or call +49 (0)89 1234-567 or (555) 123-4567.\n"
            "On 01.02.2024 prices rose 2,5 percent to 1.234.567 in 2023-2024; score 3-1.")
    assert find_pii(text) == ["desk@news.example", "+49 (0)89 1234-567", "(555) 123-4567"]
    red = redact(text)
    assert "@" not in red and red.count("[PHONE]") == 2 and red.count("[EMAIL]") == 1
    assert red.endswith("On 01.02.2024 prices rose 2,5 percent to 1.234.567 in 2023-2024; score 3-1.")
    assert find_pii(red) == []


def test_push_network_error_is_one_builder_error(release, monkeypatch):
    import huggingface_hub

    class ConnectError(Exception):   # what the hub's HTTP library raises offline; not an OSError
        pass

    class NoNetworkApi:
        def __init__(self, token=None):
            pass

        def create_repo(self, repo, **kw):
            raise ConnectError("[Errno -2] Name or service not known\nmore detail")

    monkeypatch.setattr(huggingface_hub, "HfApi", NoNetworkApi)
    with pytest.raises(BuilderError, match=r"^push to org/news failed: ConnectError: \[Errno -2\] Name or service not known$"):
        push_release(release, "org/news", dry_run=False)


def test_pii_ignores_unsplit_digit_runs():
    text = "ISBN 0306406152, item 012345678905, register no. 04712345; phone 030 1234567 or 0301234567."
    assert find_pii(text) == ["030 1234567"]
    assert redact(text).count("[PHONE]") == 1


def test_push_uploads_then_tags_the_commit(release, monkeypatch):
    import huggingface_hub

    calls = []

    class FakeApi:
        def __init__(self, token=None):
            calls.append(("token", token))

        def create_repo(self, repo, **kw):
            calls.append(("create_repo", repo, kw["private"]))

        def list_repo_refs(self, repo, **kw):
            return type("Refs", (), {"tags": []})()

        def upload_folder(self, **kw):
            calls.append(("upload", Path(kw["folder_path"]), kw["repo_type"], tuple(kw["delete_patterns"])))
            return type("Commit", (), {"oid": "abc123"})()

        def create_tag(self, repo, *, tag, revision, **kw):
            calls.append(("tag", repo, tag, revision))

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    items = push_release(release, "org/news", dry_run=False, token="t", private=True)
    assert len(items) == len(files(release))
    assert calls == [("token", "t"), ("create_repo", "org/news", True),
                     ("upload", release, "dataset", ("data/*", "audit/*", "plots/*", "dedup/*")),
                     ("tag", "org/news", "v1.0.0", "abc123")]


def test_input_fingerprint_names_files_as_ingest_does_even_when_not_utf8(tmp_path):
    # a file name that is not UTF-8 failed the fingerprint (an internal error at publish) once
    # ingest had learnt to read it; where the folder lies does not matter, its names and bytes do
    fps = []
    for where in ("a", "b"):
        d = tmp_path / where / "crawl"
        d.mkdir(parents=True)
        with open(bytes(d) + b"/bad\xff.txt", "wb") as fh:
            fh.write(b"text")
        (d / "good.txt").write_text("text", encoding="utf-8")
        fps.append(input_fingerprint([d]))
    assert fps[0] == fps[1]
    (tmp_path / "b" / "crawl" / "good.txt").write_text("other", encoding="utf-8")
    assert input_fingerprint([tmp_path / "b" / "crawl"]) != fps[0]
