"""builder diff and CHANGELOG.md: added, removed (with reason) and changed ids, count changes."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from builder.config import Config
from builder.errors import BuilderError
from builder.normalize import content_hash
from builder.publish import ReleaseExtras, publish_release
from builder.publish.diff import NOT_IN_INPUTS, diff_releases

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "publish"))
from publish_factory import corpus  # noqa: E402


def publish(out: Path, articles, previous=None) -> Path:
    return publish_release(articles, Config(), output=out, version=None, previous=previous,
                           input_fingerprint="fp", extras=ReleaseExtras())


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    v1 = publish(out, corpus(range(10)))
    v11 = publish(out, corpus(range(13)), previous=v1)
    arts = corpus(range(13))
    arts[2].drop("quality:symbols")                      # removed with a reason
    arts[4].text += " and one more sentence here"        # changed content
    arts[4].content_hash = content_hash(arts[4].text)
    arts[7].site = "site9.example"                       # moves between sites
    del arts[5]                                          # no longer in the inputs
    v2 = publish(out, arts, previous=v11)
    return v1, v11, v2


def test_added_only_is_minor_and_listed_exactly(releases):
    v1, v11, _ = releases
    assert v11.name == "1.1.0"
    d = diff_releases(v1, v11)
    assert d.added == ["doc-010", "doc-011", "doc-012"] and d.removed == [] and d.changed == []
    assert d.kind == "minor" and d.summary().startswith("1.0.0 -> 1.1.0: 3 added, 0 removed, 0 changed")
    log = (v11 / "CHANGELOG.md").read_text()
    listed = [line[3:-1] for line in log.split("## 1.0.0")[0].splitlines() if line.startswith("- `")]
    assert listed == d.added
    assert "## 1.0.0" in log and "First version: 10 documents." in log   # history kept below


def test_removed_with_reason_changed_and_counts(releases):
    _, v11, v2 = releases
    assert v2.name == "2.0.0"
    d = diff_releases(v11, v2)
    assert d.added == [] and d.changed == ["doc-004"] and d.kind == "major"
    assert d.removed == [("doc-002", "quality:symbols"), ("doc-005", NOT_IN_INPUTS)]
    # even ids are en, odd de: doc-002 and doc-005 left; doc-007 moved from site1 to site9
    assert d.langs == {"de": (6, 5), "en": (7, 6)}
    assert d.sites == {"site1.example": (4, 3), "site2.example": (4, 2), "site9.example": (0, 1)}
    md = d.to_markdown()
    assert "- `doc-002`: quality:symbols" in md and "| site9.example | 0 | 1 | +1 |" in md
    assert md in (v2 / "CHANGELOG.md").read_text()


def test_diff_refuses_non_release(tmp_path, releases):
    with pytest.raises(BuilderError):
        diff_releases(tmp_path, releases[0])


def test_diff_refuses_a_release_with_a_lost_shard(tmp_path, releases):
    import shutil
    damaged = Path(shutil.copytree(releases[1], tmp_path / "1.1.0"))
    next((damaged / "data").glob("train-*.parquet")).unlink()
    with pytest.raises(BuilderError, match="damaged: data/train-00000-of-00001.parquet is missing"):
        diff_releases(releases[0], damaged)
