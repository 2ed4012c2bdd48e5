"""End to end through the CLI: the foundation's promises, on the project's own fixtures."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from builder.cli import cli
from builder.errors import BuilderError

ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(__file__).parent / "fixtures" / "seeds"
EXAMPLES = ROOT / "examples" / "raw"
WORD = re.compile(r"\w+")


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def words(text: str | None) -> Counter:
    return Counter(WORD.findall((text or "").casefold()))


@pytest.fixture(scope="module")
def example_release(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("releases")
    result = run("build", "--input", str(EXAMPLES), "--output", str(out), "--quiet",
                 "--config", str(ROOT / "configs" / "default.toml"))
    assert result.exit_code == 0, result.output
    release = Path(result.output.strip().splitlines()[-1])
    assert release.is_dir()
    return release


def count_inputs(root: Path) -> int:
    n = 0
    for p in root.rglob("*"):
        if p.suffix in (".txt", ".html"):
            n += 1
        elif p.suffix == ".jsonl":
            n += sum(1 for line in p.read_text(encoding="utf-8").splitlines() if line.strip())
    return n


def test_build_counts_every_input_once(example_release):
    kept = pq.read_table(example_release / "data").to_pylist()
    audit = pq.read_table(example_release / "audit").to_pylist()
    assert len(kept) + len(audit) == count_inputs(EXAMPLES)
    ids = [r["id"] for r in kept] + [r["id"] for r in audit]
    assert len(ids) == len(set(ids))
    reasons = {r["id"]: r["reason"] for r in audit}
    # the empty file, the JSONL line without text and the cut-off line are all accounted for
    assert reasons["misc/empty"] == "too_short"
    assert any(r.startswith("unreadable") for r in reasons.values())
    # the syndicated copy of a seed is merged into it, the two different seed stories are not
    seed_ids = {r["id"] for r in kept if r["site"] == "it-boltwise"}
    assert len(seed_ids) == 2
    dup = [r for r in audit if r["duplicate_of"]]
    assert any(r["duplicate_of"].startswith("it-boltwise/") or r["id"].startswith("it-boltwise/") for r in dup)


def test_release_loads_with_datasets_offline(example_release):
    code = (
        "import sys, datasets\n"
        f"ds = datasets.load_dataset({str(example_release)!r})\n"
        "print(ds['train'].num_rows)\n"
    )
    env = dict(os.environ, HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    rows = int(out.stdout.strip().splitlines()[-1])
    assert rows == pq.read_table(example_release / "data").num_rows
    card = (example_release / "README.md").read_text(encoding="utf-8")
    assert f"num_examples: {rows}" in card


def test_clean_seeds_matches_gold(tmp_path):
    out = tmp_path / "clean.jsonl"
    result = run("clean", str(SEEDS / "raw"), "--output", str(out), "--quiet")
    assert result.exit_code == 0, result.output
    got = {r["id"]: r for r in read_jsonl(out)}
    gold = read_jsonl(SEEDS / "gold.jsonl")
    assert set(got) == {g["id"] for g in gold}
    for g in gold:
        o = got[g["id"]]
        assert o["status"] == "kept"
        assert o["site"] == "it-boltwise"
        assert words(o["text"]) == words(g["text"]), g["id"]
        assert o["title"] == g["title"]
        assert (o["dateline"], o["source"]) == (g["dateline"], g["source"])
        assert o["lang"] == "de"
        for snippet in g["without"]:
            assert snippet not in o["text"]


def test_clean_explain_names_the_rules(tmp_path):
    out = tmp_path / "clean.jsonl"
    doc = "it-boltwise/000_a6245cd8f77849b7"
    result = run("clean", str(SEEDS / "raw"), "--output", str(out), "--quiet", "--explain", doc)
    assert result.exit_code == 0
    removed = [line for line in result.output.splitlines() if line.startswith("  - [")]
    assert len(removed) >= 15
    assert any("Stellenangebote" in line for line in removed)


def seed_docs(tmp_path: Path, with_copy: bool) -> Path:
    docs = []
    for p in sorted((SEEDS / "raw" / "it-boltwise").glob("*.txt")):
        body = p.read_text(encoding="utf-8").split("\n\n- ")[0]
        docs.append({"id": p.stem, "text": body})
    if with_copy:
        lines = docs[0]["text"].split("\n")
        lines[0] = re.sub(r"^.*?– ", "BERLIN (dpa) - ", lines[0])
        docs.append({"id": "copy", "text": "\n".join(lines[:-1]) + "\nTeilen Sie diesen Artikel!"})
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return path


def test_dedup_says_what_it_found_unless_quiet(tmp_path, monkeypatch):
    from builder.config import Config
    from builder.pipeline import dedup
    from builder.progress import Reporter

    class Notes(Reporter):
        def __init__(self):
            self.notes = []

        def note(self, message):
            self.notes.append(message)

    rec = Notes()
    report = dedup([seed_docs(tmp_path, True)], tmp_path / "d.jsonl", Config(), reporter=rec)
    assert report["documents"] == 3 and report["clusters"] == 2
    assert len(rec.notes) == 1 and rec.notes[0].startswith(
        "dedup: 3 documents, 0 exact and 1 near duplicates, 2 clusters")


def test_dedup_keeps_two_seed_stories_apart(tmp_path):
    out = tmp_path / "dedup.jsonl"
    assert run("dedup", str(seed_docs(tmp_path, False)), "--output", str(out), "--quiet").exit_code == 0
    rows = read_jsonl(out)
    assert len(rows) == 2
    assert len({r["cluster_id"] for r in rows}) == 2
    assert all(r["duplicate_of"] is None for r in rows)


def test_dedup_merges_a_seed_and_its_near_copy(tmp_path):
    out = tmp_path / "dedup.jsonl"
    assert run("dedup", str(seed_docs(tmp_path, True)), "--output", str(out), "--quiet").exit_code == 0
    rows = {r["id"]: r for r in read_jsonl(out)}
    first = sorted(p.stem for p in (SEEDS / "raw" / "it-boltwise").glob("*.txt"))[0]
    assert rows["copy"]["cluster_id"] == rows[first]["cluster_id"]
    kept = [r for r in rows.values() if r["cluster_id"] == rows["copy"]["cluster_id"] and r["duplicate_of"] is None]
    assert len(kept) == 1
    dup = rows["copy"] if rows["copy"]["duplicate_of"] else rows[first]
    assert 0.5 < dup["similarity"] <= 1.0


@pytest.mark.parametrize("args", [
    ["build", "--input", "does/not/exist"],
    ["clean", "does/not/exist", "--output", "x.jsonl"],
    ["dedup", "does/not/exist", "--output", "x.jsonl"],
    ["check", "does/not/exist"],
])
def test_missing_input_is_one_line_exit_2(args, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "builder", *args], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_config_is_one_line_exit_2(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[dedup]\nthreshhold = 0.5\n")
    result = CliRunner().invoke(cli, ["clean", str(SEEDS / "raw"), "--output", str(tmp_path / "o.jsonl"),
                                      "--config", str(cfg)])
    assert result.exit_code == 2
    assert "threshhold" in result.output


def test_version_and_help():
    assert run("--version").output.strip().endswith(__import__("builder").__version__)
    for command in ("build", "clean", "dedup", "check", "diff", "push"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "--quiet" in result.output


def test_default_build_uses_examples(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "examples" / "raw")
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    shutil.copy(ROOT / "dataset_card.md", tmp_path / "dataset_card.md")
    proc = subprocess.run([sys.executable, "-m", "builder", "build", "--quiet"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "releases" / "news" / "1.0.0" / "manifest.json").is_file()


def stderr_of(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "builder", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


@pytest.mark.parametrize("args, message", [
    (["build", "--bogus"], "No such option '--bogus'"),
    (["clean", "--output", "."], "is a directory"),
])
def test_click_usage_errors_are_one_line_exit_2(args, message, tmp_path):
    proc = stderr_of(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr


def test_clean_of_an_empty_folder_is_an_error_like_build(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run("clean", str(tmp_path / "empty"), "--output", str(tmp_path / "o.jsonl"), "--quiet")
    assert result.exit_code == 2 and "no documents found" in result.output
    assert not (tmp_path / "o.jsonl").exists()



def test_a_build_that_keeps_nothing_publishes_nothing_and_says_why(tmp_path):
    # `datasets` cannot load a release without rows: an all-bad input is an error, not a release
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_bytes(bytes(range(256)) * 8)
    (src / "b.txt").write_text("Too short.", encoding="utf-8")
    result = run("build", "--input", str(src), "--output", str(tmp_path / "rel"), "--quiet")
    assert result.exit_code == 2, result.output
    assert "nothing to publish: none of the 2 documents was kept" in result.output
    assert "unreadable:binary 1" in result.output and "too_short 1" in result.output
    assert not list((tmp_path / "rel").rglob("manifest.json"))

def _no_reading(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("inputs were read before the output was checked")
    monkeypatch.setattr("builder.pipeline.read_inputs", fail)


@pytest.mark.parametrize("command", ["clean", "build"])
def test_unwritable_output_fails_before_any_work(command, tmp_path, monkeypatch):
    _no_reading(monkeypatch)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    out = ["--output", str(blocker / ("o.jsonl" if command == "clean" else "releases"))]
    inputs = [str(SEEDS / "raw")] if command == "clean" else ["--input", str(SEEDS / "raw")]
    result = run(command, *inputs, *out, "--quiet")
    assert result.exit_code == 2 and "cannot write to" in result.output


def test_existing_version_fails_before_any_work(example_release, monkeypatch):
    _no_reading(monkeypatch)
    result = run("build", "--input", str(EXAMPLES), "--output", str(example_release.parent.parent),
                 "--version", example_release.name, "--quiet")
    assert result.exit_code == 2 and "never overwritten" in result.output


def test_corpus_passes_report_as_stages(tmp_path):
    # the template pass has no per-document progress: a spinner, then one note for the clean pass
    from builder.config import Config
    from builder.pipeline import clean
    from builder.progress import Reporter

    class Recorder(Reporter):
        def __init__(self):
            self.events = []

        def stage(self, description):
            self.events.append(("stage", description.split(":")[0]))
            return super().stage(description)

        def note(self, message):
            self.events.append(("note", message.split(":")[0]))

    rec = Recorder()
    clean([SEEDS / "raw"], tmp_path / "o.jsonl", Config(), rec)
    assert rec.events == [("stage", "boilerplate"), ("note", "clean")]


def test_push_dry_run_says_where_and_that_nothing_was_sent(example_release):
    result = run("push", str(example_release), "--repo", "org/news", "--dry-run")
    assert result.exit_code == 0
    files = [p for p in example_release.rglob("*") if p.is_file()]
    assert result.output.splitlines()[-1] == (
        f"dry run, nothing sent: would upload {len(files)} files "
        f"({sum(p.stat().st_size for p in files):,} bytes) to dataset repo org/news")


def test_multi_line_library_errors_become_one_line(monkeypatch):
    def fail(*args):
        raise BuilderError("cannot read the data of x: first line\nsecond line\x0f")
    monkeypatch.setattr("builder.publish.diff.diff_releases", fail)
    result = CliRunner().invoke(cli, ["diff", "a", "b"])
    assert result.exit_code == 2
    assert result.output == "builder: cannot read the data of x: first line second line\n"


def test_build_without_inputs_says_where_they_come_from(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)          # no configs/, no examples/: the built-in defaults
    result = run("build", "--quiet")
    assert result.exit_code == 2
    assert "release.inputs" in result.output and "--input" in result.output
