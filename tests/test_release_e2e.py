"""Releases through the real pipeline: determinism, increments, refusals and gates."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from builder.article import n_words
from builder.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(__file__).parent / "fixtures" / "seeds" / "raw"

STORIES = {
    "extra-park": [
        "The council voted on Tuesday to turn the disused railway goods yard into a park with a "
        "playground, a community garden and a path along the river that links the two bridges.",
        "Work is expected to start in the spring and take about eighteen months. The cost will be "
        "covered by a regional grant and by selling a small plot at the edge of the yard.",
        "Residents had campaigned for years to open the yard, which has been fenced off since the "
        "last freight trains stopped running.",
    ],
    "extra-library": [
        "The central library will stay open until nine in the evening on weekdays from next month, "
        "after students asked for a quiet place to study once the schools close.",
        "Two new librarians have been hired, and the reading room on the first floor gets better "
        "lighting and more sockets for laptops. Weekend hours do not change.",
        "The library also plans a series of evening talks by local authors in the winter.",
    ],
    "extra-bakery": [
        "A bakery that has sold bread on the market square for ninety years closed its doors on "
        "Saturday, when the owner, who took it over from her grandfather, retired.",
        "Regular customers queued from early morning for a last loaf of the dark rye that made the "
        "shop known across the region. Several brought flowers and cards.",
        "A young couple from a nearby village have bought the building and want to reopen it as a "
        "bakery and cafe after a renovation in the summer.",
    ],
}


def write_extra(folder: Path) -> list[str]:
    """Three new, different stories on a new site, as a JSONL file; returns their ids."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{"id": doc_id, "url": f"https://extra.example/{doc_id}", "text": "\n\n".join(paras)}
            for doc_id, paras in STORIES.items()]
    (folder / "extra.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return [r["id"] for r in rows]


def build(*args: str):
    return CliRunner().invoke(cli, ["build", "--quiet", *args])


def shard_hashes(release: Path) -> dict[str, str]:
    return {p.relative_to(release).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(release.rglob("*.parquet"))}


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rel")
    v1_inputs = tmp / "in1"
    shutil.copytree(SEEDS, v1_inputs / "seeds")
    extra = write_extra(tmp / "in2")
    r1 = build("--input", str(v1_inputs), "--output", str(tmp / "out"), "--version", "1.0.0")
    assert r1.exit_code == 0, r1.output
    r1b = build("--input", str(v1_inputs), "--output", str(tmp / "out2"), "--version", "1.0.0")
    assert r1b.exit_code == 0, r1b.output
    r2 = build("--input", str(v1_inputs), "--input", str(tmp / "in2"), "--output", str(tmp / "out"),
               "--previous", str(tmp / "out" / "news" / "1.0.0"))
    assert r2.exit_code == 0, r2.output
    return {"tmp": tmp, "v1": tmp / "out" / "news" / "1.0.0", "v1b": tmp / "out2" / "news" / "1.0.0",
            "v2": Path(r2.output.strip().splitlines()[-1]), "extra": extra, "inputs": v1_inputs}


def test_two_builds_are_byte_identical(releases):
    a, b = shard_hashes(releases["v1"]), shard_hashes(releases["v1b"])
    assert a and a == b
    assert (releases["v1"] / "manifest.json").read_bytes() == (releases["v1b"] / "manifest.json").read_bytes()


def test_increment_bumps_minor_and_lists_exactly_the_added_ids(releases):
    v2 = releases["v2"]
    assert v2.name == "1.1.0"
    result = CliRunner().invoke(cli, ["diff", str(releases["v1"]), str(v2)])
    assert result.exit_code == 0
    changelog = (v2 / "CHANGELOG.md").read_text(encoding="utf-8")
    for doc_id in releases["extra"]:
        assert doc_id in result.output and doc_id in changelog
    old_ids = pq.read_table(releases["v1"] / "data", columns=["id"])["id"].to_pylist()
    new_ids = pq.read_table(v2 / "data", columns=["id"])["id"].to_pylist()
    assert sorted(set(new_ids) - set(old_ids)) == sorted(releases["extra"])
    assert set(old_ids) <= set(new_ids)


def test_increment_from_new_inputs_only_carries_the_previous_release(releases, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(releases["v1"], out / "news" / "1.0.0")
    result = build("--input", str(releases["tmp"] / "in2"), "--output", str(out), "--previous", "1.0.0")
    assert result.exit_code == 0, result.output
    v2 = out / "news" / "1.1.0"
    ids = pq.read_table(v2 / "data", columns=["id"])["id"].to_pylist()
    old = pq.read_table(releases["v1"] / "data", columns=["id"])["id"].to_pylist()
    assert sorted(ids) == sorted(old + releases["extra"])


def test_previous_spelled_as_tag_never_readmits_a_story_of_the_earlier_release(releases, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(releases["v1"], out / "news" / "1.0.0")
    old = pq.read_table(releases["v1"] / "data", columns=["id", "text"]).to_pylist()
    # a reprint of a 1.0.0 story under a new id and site, one sentence shorter
    paras = old[0]["text"].split("\n\n")
    reprint = {"id": "reprint-1", "url": "https://reprints.example/1", "text": "\n\n".join(paras[:-1])}
    inputs = tmp_path / "in"
    shutil.copytree(releases["tmp"] / "in2", inputs)
    (inputs / "reprints.jsonl").write_text(json.dumps(reprint) + "\n", encoding="utf-8")
    result = build("--input", str(inputs), "--output", str(out), "--previous", "v1.0.0")
    assert result.exit_code == 0, result.output
    v2 = out / "news" / "1.1.0"
    ids = pq.read_table(v2 / "data", columns=["id"])["id"].to_pylist()
    assert sorted(ids) == sorted([r["id"] for r in old] + releases["extra"])
    audit = {r["id"]: r for r in pq.read_table(v2 / "audit").to_pylist()}
    assert audit["reprint-1"]["duplicate_of"] == old[0]["id"]


def test_a_published_version_is_never_overwritten(releases):
    before = shard_hashes(releases["v1"])
    result = build("--input", str(releases["inputs"]), "--output", str(releases["v1"].parent.parent),
                   "--version", "1.0.0")
    assert result.exit_code == 2
    assert "exists" in result.output
    assert shard_hashes(releases["v1"]) == before


def check(release: Path):
    return CliRunner().invoke(cli, ["check", str(release)])


def failed_gates(result) -> str:
    """The summary after "failed gates:" (the table names every gate, passed or not)."""
    out = " ".join(result.output.split())          # rich wraps the summary at the console width
    return out.split("failed gates: ", 1)[1] if "failed gates: " in out else ""


def test_check_passes_a_fresh_release(releases):
    result = check(releases["v2"])
    assert result.exit_code == 0, result.output


def copy_release(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "release"
    shutil.copytree(src, dst)
    return dst


def flip_a_shard_byte(rel: Path) -> None:
    """A byte in the middle of the release's first data shard, flipped (bit rot, a bad copy)."""
    shard = sorted((rel / "data").glob("*.parquet"))[0]
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))


def test_check_fails_on_a_flipped_byte(releases, tmp_path):
    rel = copy_release(releases["v2"], tmp_path)
    flip_a_shard_byte(rel)
    result = check(rel)
    assert result.exit_code == 1
    assert failed_gates(result).startswith("manifest (data/")



def test_a_previous_release_changed_since_its_build_is_refused(releases, tmp_path):
    rel = copy_release(releases["v2"], tmp_path)
    flip_a_shard_byte(rel)
    result = build("--input", str(releases["tmp"] / "in2"), "--output", str(tmp_path / "out"), "--previous", str(rel))
    assert result.exit_code == 2 and "differs from its manifest.json" in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("manifest.json"))


def test_a_changed_latest_release_is_only_compared_with_and_the_changelog_says_so(releases, tmp_path):
    out = tmp_path / "out" / "news"
    shutil.copytree(releases["v1"], out / "1.0.0")
    flip_a_shard_byte(out / "1.0.0")
    result = build("--input", str(releases["inputs"]), "--output", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    changelog = (out / "1.0.1" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "1.0.0 differs from its manifest.json (data/" in changelog

def rewrite_data(rel: Path, edit) -> None:
    shard = sorted((rel / "data").glob("*.parquet"))[0]
    table = pq.read_table(shard)
    rows = edit(table.to_pylist())
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), shard)


def test_check_fails_on_a_duplicate_row(releases, tmp_path):
    rel = copy_release(releases["v2"], tmp_path)
    rewrite_data(rel, lambda rows: rows + [rows[0]])
    result = check(rel)
    assert result.exit_code == 1
    assert "unique (id " in failed_gates(result)


def test_check_fails_when_a_kept_text_holds_a_footer_line(tmp_path):
    # the bundled examples: a site with three pages, enough to learn its footer (two pages of one
    # site can be two scrapes of one story, whose shared prose the gate must not count)
    result = build("--input", str(ROOT / "examples" / "raw"), "--output", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    rel = Path(result.output.strip().splitlines()[-1])
    assert check(rel).exit_code == 0
    templates = json.loads((rel / "audit" / "_templates.json").read_text(encoding="utf-8"))
    site, footer = next((site, line) for site, t in templates.items()
                        for line, h in zip(t["lines"], t["hashes"]) if h["pages"] >= 3 and len(line) > 30)

    def add_footer(rows):
        row = next(r for r in rows if r["site"] == site)
        row["text"] += "\n\n" + footer
        row["n_words"] = n_words(row["text"])
        return rows
    rewrite_data(rel, add_footer)
    result = check(rel)
    assert result.exit_code == 1
    assert "boilerplate (" in failed_gates(result)


def release_files(release: Path) -> dict[str, str]:
    return {p.relative_to(release).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(release.rglob("*")) if p.is_file() and p.name != "build-info.json"}


def test_streaming_windows_do_not_change_an_increment(releases, tmp_path, monkeypatch):
    # the passes stream the corpus in windows through spill files: windows of two documents
    # must give the very release that windows holding the whole corpus gave
    monkeypatch.setattr("builder.pipeline._WINDOW", 2)
    result = build("--input", str(releases["inputs"]), "--input", str(releases["tmp"] / "in2"),
                   "--output", str(tmp_path / "out"), "--previous", str(releases["v1"]))
    assert result.exit_code == 0, result.output
    small = Path(result.output.strip().splitlines()[-1])
    assert small.name == releases["v2"].name
    assert release_files(small) == release_files(releases["v2"])


def test_streaming_windows_do_not_change_clean_output(tmp_path, monkeypatch):
    outputs = []
    for window in (3, 4096):
        monkeypatch.setattr("builder.pipeline._WINDOW", window)
        out = tmp_path / f"clean-{window}.jsonl"
        result = CliRunner().invoke(cli, ["clean", str(ROOT / "examples" / "raw"), "--output", str(out), "--quiet"])
        assert result.exit_code == 0, result.output
        outputs.append(out.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]
    assert len(outputs[0].splitlines()) > 3


def test_first_pages_are_hashed_by_the_pass_not_by_the_template_counter(tmp_path, monkeypatch):
    # A site's first page waits unhashed for its second; with windows of three documents some
    # second pages come a window later. Those first pages go to the engine like every other page
    # (so a build's main process hashes nothing); the counter itself must never need to.
    def no_hashing(*args, **kwargs):
        raise AssertionError("the template counter hashed a page itself")

    expected = tmp_path / "whole.jsonl"
    result = CliRunner().invoke(cli, ["clean", str(ROOT / "examples" / "raw"), "--output", str(expected), "--quiet"])
    assert result.exit_code == 0, result.output
    monkeypatch.setattr("builder.boilerplate.templates.line_hashes", no_hashing)
    monkeypatch.setattr("builder.pipeline._WINDOW", 3)
    for budget in (16_000_000, 1):      # 1: every waiting page is beyond the counter's budget
        monkeypatch.setattr("builder.boilerplate.templates._PENDING_CHARS", budget)
        out = tmp_path / f"windows-{budget}.jsonl"
        result = CliRunner().invoke(cli, ["clean", str(ROOT / "examples" / "raw"), "--output", str(out), "--quiet"])
        assert result.exit_code == 0, result.output
        assert out.read_text(encoding="utf-8") == expected.read_text(encoding="utf-8")


def _reseal(rel: Path, edit_manifest=None) -> None:
    """Make the manifest match the release's files again (a tampering the checksums cannot see)."""
    manifest = json.loads((rel / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        path = rel / entry["path"]
        entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        entry["bytes"] = path.stat().st_size
        if path.suffix == ".parquet":
            entry["rows"] = pq.ParquetFile(path).metadata.num_rows
    if edit_manifest:
        edit_manifest(manifest)
    (rel / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_a_previous_release_without_a_data_column_is_refused_in_one_line(releases, tmp_path):
    rel = copy_release(releases["v2"], tmp_path)
    shard = sorted((rel / "data").glob("*.parquet"))[0]
    pq.write_table(pq.read_table(shard).drop_columns(["text"]), shard)
    _reseal(rel)
    result = build("--input", str(releases["tmp"] / "in2"), "--output", str(tmp_path / "out"), "--previous", str(rel))
    assert result.exit_code == 2 and "has other columns than a release: text (missing" in result.output, result.output
    assert "internal error" not in result.output


def test_a_manifest_whose_version_is_no_version_is_refused(releases, tmp_path):
    rel = copy_release(releases["v2"], tmp_path)
    _reseal(rel, lambda m: m.update(version=123))
    result = build("--input", str(releases["tmp"] / "in2"), "--output", str(tmp_path / "out"), "--previous", str(rel))
    assert result.exit_code == 2 and "version 123 is not a semantic version" in result.output, result.output
    checked = CliRunner().invoke(cli, ["check", str(rel), "--quiet"])
    assert checked.exit_code == 2 and "version 123 is not a semantic version" in checked.output
