"""builder check: a fresh release passes; each kind of damage fails the gate that names it."""
from __future__ import annotations

import json
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from builder.article import DATA_SCHEMA, Article
from builder.boilerplate.templates import line_hash
from builder.check import check_release
from builder.config import CheckConfig, Config
from builder.errors import BuilderError
from builder.normalize import content_hash
from builder.publish import ReleaseExtras, publish_release

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "publish"))
from publish_factory import FOOTER, TEMPLATES, FakeDedup, corpus  # noqa: E402

FAST = CheckConfig(load_dataset=False)
SHARD = "data/train-00000-of-00001.parquet"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    return publish_release(corpus(range(40)), Config(), output=tmp_path_factory.mktemp("out"), version=None,
                           previous=None, input_fingerprint="fp",
                           extras=ReleaseExtras(templates=TEMPLATES, dedup=FakeDedup()))


@pytest.fixture
def release(fresh, tmp_path) -> Path:
    return Path(shutil.copytree(fresh, tmp_path / "1.0.0"))


def rewrite(release: Path, change) -> None:
    rows = pq.read_table(release / SHARD).to_pylist()
    change(rows)
    pq.write_table(pa.Table.from_pylist(rows, schema=DATA_SCHEMA), release / SHARD)


def failed(report) -> dict[str, list[str]]:
    return {g.name: g.offending for g in report.gates if not g.passed}


def test_fresh_release_passes_every_gate(fresh, tmp_path):
    report = check_release(fresh, CheckConfig())
    assert report.passed, report.summary()
    assert [g.name for g in report.gates] == ["manifest", "schema", "unique", "near_duplicates", "languages",
                                              "lengths", "boilerplate", "pii", "card", "load_dataset"]
    data = json.loads(report.to_json())
    assert data["passed"] is True and data["version"] == "1.0.0" and len(data["gates"]) == 10
    suite = ET.fromstring(report.to_junit()).find("testsuite")
    assert suite.get("tests") == "10" and suite.get("failures") == "0"
    console = Console(record=True, width=200)
    report.render(console)
    text = console.export_text()
    assert "near_duplicates" in text and "FAIL" not in text and "all 10 gates passed" in text


def test_flipped_byte_fails_manifest(release):
    shard = release / SHARD
    raw = bytearray(shard.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    shard.write_bytes(bytes(raw))
    report = check_release(release, FAST)
    assert not report.passed
    assert failed(report)["manifest"] == [f"{SHARD}: sha256 or size differs"]
    junit = ET.fromstring(report.to_junit())
    assert junit.find(".//testcase[@name='manifest']/failure") is not None
    console = Console(record=True, width=200)
    report.render(console)
    assert f"failed gates: manifest ({SHARD}: sha256 or size differs)" in console.export_text()


def test_unreadable_shard_names_every_gate_it_breaks(release):
    shard = release / SHARD
    raw = bytearray(shard.read_bytes())
    raw[-1] ^= 0x01                                  # the closing magic bytes: pyarrow cannot open it
    shard.write_bytes(bytes(raw))
    report = check_release(release, FAST)
    assert {"manifest", "schema", "unique", "lengths"} <= set(failed(report))
    # a gate with no offending ids of its own is named without an empty "()"
    assert "()" not in report.summary() and ", unique, " in report.summary()


def test_duplicate_row_fails_unique(release):
    rewrite(release, lambda rows: rows.append(dict(rows[3])))
    bad = failed(check_release(release, FAST))
    assert bad["unique"] == ["id doc-003 repeated", "content_hash of doc-003 = doc-003"]
    assert "manifest" in bad


def test_reused_input_id_quarantined_by_ingest_is_not_a_clash(tmp_path):
    arts = corpus(range(10))
    again = Article(id=arts[2].id, text="another text", site="site0.example", origin="input.jsonl:950")
    again.quarantine("duplicate_id")
    clash = Article(id=arts[3].id, text="x", site="site0.example", origin="input.jsonl:951")
    clash.drop("too_short")
    for extra, expected in ((again, []), (clash, [f"id {arts[3].id} both kept and in audit"])):
        rel = publish_release(arts + [extra], Config(), output=tmp_path / extra.reason, version=None,
                              previous=None, input_fingerprint="fp", extras=ReleaseExtras())
        report = check_release(rel, FAST)
        assert next(g for g in report.gates if g.name == "unique").offending == expected


def test_footer_line_in_kept_text_fails_boilerplate(release):
    def add_footer(rows):
        row = next(r for r in rows if r["site"] == "site0.example")
        row["text"] += "\n\n" + FOOTER.upper()
        row["n_words"] = len(row["text"].split())
    rewrite(release, add_footer)
    bad = failed(check_release(release, FAST))
    assert bad["boilerplate"] == [f"doc-000 ({FOOTER.upper()[:60]!r})"]


def test_footer_of_another_site_is_not_residue(release):
    def add_footer(rows):
        row = next(r for r in rows if r["site"] == "site1.example")
        row["text"] += "\n\n" + FOOTER
        row["n_words"] = len(row["text"].split())
    rewrite(release, add_footer)
    assert "boilerplate" not in failed(check_release(release, FAST))


def test_template_line_of_only_two_pages_is_not_residue(release):
    # two scrapes of one story share their prose: learned as "template" from two pages, kept by the cleaner
    prose = "the mayor said the bridge would reopen next spring after the repairs"

    def add_lines(*lines):
        def change(rows):
            row = next(r for r in rows if r["site"] == "site0.example")
            row["text"] += "".join("\n\n" + line for line in lines)
            row["n_words"] = len(row["text"].split())
        return change
    tpl = {"site0.example": {"site": "site0.example", "pages": 5, "lines": [prose, FOOTER], "hashes": [
        {"hash": f"{line_hash(prose):016x}", "pages": 2}, {"hash": f"{line_hash(FOOTER):016x}", "pages": 5}]}}
    (release / "audit" / "_templates.json").write_text(json.dumps(tpl), encoding="utf-8")
    rewrite(release, add_lines(prose))
    assert "boilerplate" not in failed(check_release(release, FAST))
    rewrite(release, add_lines(FOOTER))
    assert failed(check_release(release, FAST))["boilerplate"] == [f"doc-000 ({FOOTER!r})"]


def test_near_duplicate_row_fails(release):
    def near_copy(rows):
        rows[5]["text"] = rows[9]["text"] + " ende"
        rows[5]["n_words"] = len(rows[5]["text"].split())
        rows[5]["content_hash"] = content_hash(rows[5]["text"])
    rewrite(release, near_copy)
    bad = failed(check_release(release, FAST))
    assert len(bad["near_duplicates"]) == 1 and bad["near_duplicates"][0].startswith("doc-009 ~ doc-005")
    assert "unique" not in bad


def test_pii_language_and_length_gates(release):
    def add_contacts(rows):
        for r in rows[:3]:
            r["text"] += " Contact: tips@paper.example"
            r["n_words"] += 2
    rewrite(release, add_contacts)
    cfg = CheckConfig(load_dataset=False, allowed_langs=["en"], min_words=61)
    bad = failed(check_release(release, cfg))
    assert bad["pii"] == ["doc-000 (1 e-mail/phone)", "doc-001 (1 e-mail/phone)", "doc-002 (1 e-mail/phone)"]
    assert bad["languages"] == [f"doc-{i:03d} (de)" for i in range(1, 40, 2)]
    assert bad["lengths"] == [f"doc-{i:03d} (60 words)" for i in range(3, 40)]   # 0-2 gained 2 words


def test_card_split_size_mismatch_fails(release):
    card = release / "README.md"
    card.write_text(card.read_text().replace("num_examples: 40", "num_examples: 41"))
    bad = failed(check_release(release, FAST))
    assert bad["card"] == ["README.md: train num_examples 41 but the data has 40 rows"]


def test_card_without_front_matter_fails_quietly(release, capfd):
    (release / "README.md").write_text("# News\n\nNo metadata here.\n", encoding="utf-8")
    bad = failed(check_release(release, FAST))
    assert bad["card"][0] == "README.md: no YAML front matter"
    assert capfd.readouterr().err == ""      # the CLI's stderr stays one line


def test_unusable_release_dirs_raise(tmp_path, release):
    with pytest.raises(BuilderError):
        check_release(tmp_path / "missing", FAST)
    with pytest.raises(BuilderError):
        check_release(tmp_path, FAST)          # a folder without manifest.json
    (release / "manifest.json").write_text("{not json")
    with pytest.raises(BuilderError) as e:
        check_release(release, FAST)
    assert e.value.exit_code == 2
