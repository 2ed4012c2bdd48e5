"""Exact + near-duplicate clustering on generated stories and the two seed articles."""
from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from builder.article import Article
from builder.config import DedupConfig
from builder.dedup import dedup_articles, dedup_jsonl
from builder.dedup.verify import Rule, exact
from builder.dedup.shingles import doc_key, shingle_hashes
from builder.errors import BuilderError
from builder.normalize import split_dateline

FIXTURES = Path(__file__).parent / "fixtures" / "dedup"
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ber", "dan", "gel", "hor", "pin", "sto", "wen"]


# ---- generated stories ----------------------------------------------------------------------
def word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3)))


def paragraph(rng: random.Random, words: int) -> str:
    out, sentence = [], []
    for i in range(words):
        w = word(rng)
        if rng.random() < 0.08:
            w = str(rng.randint(2, 9999))
        sentence.append(w.capitalize() if not sentence else w)
        if len(sentence) > rng.randint(8, 20) or i == words - 1:
            out.append(" ".join(sentence) + ".")
            sentence = []
    return " ".join(out)


def story(seed: int, words: int = 500) -> str:
    rng = random.Random(seed)
    paras, left = [], words
    while left > 0:
        n = min(left, rng.randint(40, 90))
        paras.append(paragraph(rng, n))
        left -= n
    return "\n\n".join(paras)


def typos(text: str, rng: random.Random, rate: float) -> str:
    words = text.split(" ")
    for i in range(len(words)):
        if rng.random() < rate and len(words[i]) > 3:
            w = list(words[i])
            j = rng.randrange(len(w) - 1)
            w[j], w[j + 1] = w[j + 1], w[j]
            words[i] = "".join(w)
    return " ".join(words)


def truncate(text: str, share: float) -> str:
    words = text.split(" ")
    return " ".join(words[: int(len(words) * share)]) + " …"


def new_figures(text: str, rng: random.Random) -> str:
    return " ".join(str(int(w) + rng.randint(1, 50)) if w.isdigit() and rng.random() < 0.5 else w
                    for w in text.split(" "))


FOOTER = story(900, 400)


def variants(base: str, seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    return {
        "dateline": "LONDON (Wire) – " + base,
        "teaser": truncate(base, 0.6),
        "typos": typos(base, rng, 0.04),
        "update": new_figures(base, rng) + "\n\nUpdate: " + paragraph(rng, 60),
        "footer": base + "\n\n" + "\n".join(FOOTER.split("\n\n")[:2]),
        "mixed": "LONDON (Wire) – " + typos(truncate(base, 0.75), rng, 0.03),
    }


def articles(texts: dict[str, str], **extra) -> list[Article]:
    return [Article(id=k, text=v, **extra.get(k, {})) for k, v in texts.items()]


def groups(arts: list[Article]) -> list[set[str]]:
    by: dict[str, set[str]] = {}
    for a in arts:
        by.setdefault(a.cluster_id, set()).add(a.id)
    return sorted(by.values(), key=lambda g: sorted(g))


# ---- behaviour --------------------------------------------------------------------------------
def test_variants_of_one_story_merge_and_the_longest_is_kept():
    base = story(1)
    texts = {"orig": base, **variants(base, 2), "other": story(3)}
    arts = articles(texts)
    report = dedup_articles(arts, DedupConfig())
    assert groups(arts) == [{"orig", *variants(base, 2)}, {"other"}]
    kept = [a for a in arts if a.alive]
    assert {a.id for a in kept} == {"footer", "other"}  # the footer copy is the longest body
    for a in arts:
        if not a.alive:
            assert a.reason == "near_duplicate" and a.duplicate_of == "footer"
            assert 0.0 < a.similarity <= 1.0
        else:
            assert a.duplicate_of is None and a.similarity is None and a.cluster_id == a.id
    assert report.near == len(texts) - 2 and report.exact == 0 and report.clusters == 2
    assert len(report.merged_similarities) == report.near


def _ja_story(seed: int, sentences: int = 12) -> list[str]:
    rng = random.Random(seed)
    places = ["駅前", "市役所", "図書館", "港", "公園", "商店街", "病院", "大学"]
    things = ["橋", "道路", "建物", "広場", "水道", "学校", "駐車場", "市場"]
    verbs = ["工事が始まりました", "新しく開かれました", "一時的に閉鎖されています", "改修の計画が発表されました"]
    return [f"{rng.choice(places)}の{rng.choice(things)}は{rng.randint(1, 12)}月{rng.randint(1, 28)}日から"
            f"{rng.choice(verbs)}。" for _ in range(sentences)]


def test_near_duplicates_in_a_script_without_spaces_merge_and_other_stories_stay_apart():
    """Japanese has no spaces: a paragraph is one or two words, so one changed character would
    change every shingle around it. The key makes each character a word (character shingles)."""
    base = _ja_story(1)
    edited = list(base)
    edited[3] = edited[3].replace("月", "月の", 1)      # a few characters changed in a few sentences
    edited[8] = edited[8][:-1] + "と発表しました。"
    texts = {"orig": "".join(base[:6]) + "\n\n" + "".join(base[6:]),
             "edited": "".join(edited[:6]) + "\n\n" + "".join(edited[6:]),
             "other": "".join(_ja_story(2)[:6]) + "\n\n" + "".join(_ja_story(2)[6:])}
    arts = articles(texts)
    dedup_articles(arts, DedupConfig())
    assert groups(arts) == [{"edited", "orig"}, {"other"}]


def test_exact_duplicates_use_the_content_hash():
    base = story(4)
    arts = articles({"a": base, "b": "  " + base.replace("\n\n", "\n") + " ", "c": story(5)})
    report = dedup_articles(arts, DedupConfig(keep="first"))
    b = arts[1]
    assert b.reason == "exact_duplicate" and b.duplicate_of == "a" and b.similarity == 1.0
    assert arts[0].content_hash == b.content_hash != arts[2].content_hash
    assert report.exact == 1 and report.near == 0


def test_shared_footer_and_shared_quote_do_not_merge_different_stories():
    quote = paragraph(random.Random(77), 70)
    texts = {
        "f1": story(10, 160) + "\n\n" + FOOTER, "f2": story(11, 160) + "\n\n" + FOOTER,
        "q1": quote + "\n\n" + story(12, 150), "q2": quote + "\n\n" + story(13, 150),
    }
    arts = articles(texts)
    dedup_articles(arts, DedupConfig(threshold=0.9))
    assert all(a.alive for a in arts) and len({a.cluster_id for a in arts}) == 4
    # containment alone would merge the footer pair: the lead guard is what keeps them apart
    seq = {k: shingle_hashes([doc_key(v)]).hashes.astype("uint32") for k, v in texts.items()}
    assert exact(seq["f1"], seq["f2"], Rule(0.9, 0.6)).containment >= 0.6
    assert exact(seq["f1"], seq["f2"], Rule(0.9, 0.6, segments=1)).merge
    assert not exact(seq["f1"], seq["f2"], Rule(0.9, 0.6)).merge


def test_lead_window_separates_a_short_story_above_a_long_footer_but_not_a_new_headline():
    block = story(901, 700)
    texts = {"s1": story(14, 70) + "\n\n" + block, "s2": story(15, 70) + "\n\n" + block,
             "short": story(16, 110), "retitled": paragraph(random.Random(4), 14) + "\n" + story(16, 110)}
    arts = articles(texts)
    dedup_articles(arts, DedupConfig())
    assert groups(arts) == [{"retitled", "short"}, {"s1"}, {"s2"}]


def _seeds() -> dict[str, str]:
    out = {}
    for p in sorted(FIXTURES.glob("*.txt")):
        _, _, body = split_dateline(p.read_text(encoding="utf-8"))
        out[p.stem] = body
    return out


def test_the_two_seed_articles_stay_apart_and_a_near_copy_merges():
    seeds = _seeds()
    assert len(seeds) == 2
    first, second = sorted(seeds)
    copy = "WASHINGTON (Agency) – " + typos(truncate(seeds[first], 0.8), random.Random(1), 0.03)
    arts = articles({**seeds, "copy": copy})
    dedup_articles(arts, DedupConfig())
    assert groups(arts) == sorted([{first, "copy"}, {second}], key=lambda g: sorted(g))
    assert arts[2].duplicate_of == first and arts[2].reason == "near_duplicate"


def test_digits_are_kept_unless_folded():
    rng = random.Random(8)
    template = [word(rng) for _ in range(300)]
    def report(seed: int) -> str:
        r = random.Random(seed)
        return " ".join(w if i % 3 else str(r.randint(10, 99999)) for i, w in enumerate(template))
    texts = {"mon": report(1), "tue": report(2)}
    kept = articles(texts)
    dedup_articles(kept, DedupConfig())
    assert all(a.alive for a in kept)
    folded = articles(texts)
    dedup_articles(folded, DedupConfig(fold_digits=True))
    assert folded[1].duplicate_of == "mon"


def test_keep_policies_are_deterministic():
    base = story(20)
    texts = {"short": truncate(base, 0.7), "long": base + " " + paragraph(random.Random(1), 30), "mid": base}
    when = {"short": {"published_at": "2024-01-02T00:00:00Z"}, "long": {"published_at": "2024-01-03T00:00:00+00:00"},
            "mid": {"published_at": None}}
    for policy, winner in (("longest", "long"), ("earliest", "short"), ("first", "short")):
        arts = articles(texts, **when)
        dedup_articles(arts, DedupConfig(keep=policy))
        assert [a.id for a in arts if a.alive] == [winner]
        assert {a.cluster_id for a in arts} == {winner}


def test_non_alive_articles_are_untouched():
    base = story(30)
    arts = articles({"a": base, "b": base})
    arts[0].drop("too_short")
    dedup_articles(arts, DedupConfig())
    assert arts[0].cluster_id is None and arts[0].reason == "too_short"
    assert arts[1].alive and arts[1].cluster_id == "b"


# ---- incremental ------------------------------------------------------------------------------
def _publish(tmp: Path, arts: list[Article]) -> Path:
    """A minimal release: the kept rows in data/ (the columns dedup reads back)."""
    (tmp / "data").mkdir(parents=True)
    kept = [a for a in arts if a.alive]
    pq.write_table(pa.table({"id": [a.id for a in kept], "text": [a.text for a in kept],
                             "content_hash": [a.content_hash for a in kept],
                             "cluster_id": [a.cluster_id for a in kept]}), tmp / "data" / "train-00000-of-00001.parquet")
    return tmp


def test_incremental_run_never_readmits_a_published_story(tmp_path):
    old = articles({"s1": story(40), "s2": story(41)})
    report = dedup_articles(old, DedupConfig())
    release = _publish(tmp_path / "v1", old)
    written = report.write_sidecar(release)
    assert written == [release / "dedup" / "signatures.parquet"]

    new_story = story(42)
    longer_copy = story(40) + "\n\n" + paragraph(random.Random(2), 120)  # longer, but s1 was published first
    for with_sidecar in (True, False):
        if not with_sidecar:
            written[0].unlink()  # falls back to the release's data shards
        arts = articles({"s2": story(41), "copy": longer_copy, "exact": story(41), "fresh": new_story})
        r = dedup_articles(arts, DedupConfig(), previous=release)
        by = {a.id: a for a in arts}
        assert by["copy"].reason == "near_duplicate" and by["copy"].duplicate_of == "s1"
        assert by["copy"].cluster_id == "s1"
        assert by["s2"].alive and by["s2"].cluster_id == "s2"   # the published document itself stays
        assert by["exact"].reason == "exact_duplicate" and by["exact"].duplicate_of == "s2"
        assert by["fresh"].alive
        assert r.near == 1 and r.exact == 1


def test_sidecar_bytes_are_deterministic_and_carry_earlier_stories(tmp_path):
    def run(folder: Path, previous: Path | None = None) -> bytes:
        arts = articles({"b": story(51), "a": story(50), "a2": story(50) + " Update: " + paragraph(random.Random(1), 20)})
        rep = dedup_articles(arts, DedupConfig(), previous=previous)
        return rep.write_sidecar(folder)[0].read_bytes()
    first, second = run(tmp_path / "x"), run(tmp_path / "y")
    assert first == second
    ids = pq.read_table(tmp_path / "x" / "dedup" / "signatures.parquet")["id"].to_pylist()
    assert ids == sorted(ids) and len(ids) == 2
    # a later release that holds none of them still carries them forward
    later = dedup_articles(articles({"z": story(52)}), DedupConfig(), previous=tmp_path / "x")
    later.write_sidecar(tmp_path / "z")
    assert pq.read_table(tmp_path / "z" / "dedup" / "signatures.parquet")["id"].to_pylist() == sorted(ids + ["z"])


# ---- builder dedup ----------------------------------------------------------------------------
def _jsonl(path: Path, rows: list, opener=open) -> Path:
    with opener(path, "wt", encoding="utf-8") as f:
        for r in rows:
            f.write((r if isinstance(r, str) else json.dumps(r)) + "\n")
    return path


def test_dedup_jsonl_writes_one_line_per_input_in_order(tmp_path):
    base = story(60)
    rows = [{"id": "x1", "text": base, "edit": "ignored"}, {"id": "x2", "text": story(61), "site": "s"},
            {"id": "x3", "text": "HAMBURG (Wire) – " + typos(base, random.Random(3), 0.03)}]
    inp = _jsonl(tmp_path / "in.jsonl.gz", rows, gzip.open)
    out = tmp_path / "out.jsonl"
    summary = dedup_jsonl([inp], out, DedupConfig(keep="first"))
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["x1", "x2", "x3"]
    assert all(set(line) == {"id", "cluster_id", "duplicate_of", "similarity"} for line in lines)
    assert lines[2]["duplicate_of"] == lines[2]["cluster_id"] == lines[0]["cluster_id"]
    assert lines[0]["duplicate_of"] is None and lines[0]["similarity"] is None
    assert 0.5 < lines[2]["similarity"] < 1.0
    assert summary["near_duplicates"] == 1 and summary["bands"] * summary["rows"] <= 128
    # same input, same bytes
    again = tmp_path / "again.jsonl"
    dedup_jsonl([inp], again, DedupConfig(keep="first"))
    assert again.read_bytes() == out.read_bytes()
    # a --threshold above the copy's similarity keeps it apart: containment never merges below it
    strict = tmp_path / "strict.jsonl"
    dedup_jsonl([inp], strict, DedupConfig(keep="first"), threshold=0.95)
    assert all(json.loads(line)["duplicate_of"] is None for line in strict.read_text().splitlines())


def test_dedup_jsonl_reads_zstd_and_folders(tmp_path):
    raw = "\n".join(json.dumps({"id": f"z{i}", "text": story(70 + i)}) for i in range(3)).encode()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(raw))
    out = tmp_path / "out.jsonl"
    dedup_jsonl([tmp_path / "in"], out, DedupConfig())
    assert len(out.read_text().splitlines()) == 3


@pytest.mark.parametrize("bad", ["{not json", "[1, 2]", '{"text": "no id"}', '{"id": "ok", "text": "other"}'])
def test_dedup_jsonl_rejects_unusable_lines_with_file_and_line(tmp_path, bad):
    inp = _jsonl(tmp_path / "in.jsonl", [{"id": "ok", "text": "fine"}, bad])
    with pytest.raises(BuilderError, match=r"in\.jsonl:2: "):
        dedup_jsonl([inp], tmp_path / "out.jsonl", DedupConfig())


def test_dedup_jsonl_leaves_empty_and_not_kept_documents_alone(tmp_path):
    base = story(80)
    rows = [{"id": "e1", "text": ""}, {"id": "k1", "text": base},
            {"id": "q1", "text": base, "status": "dropped"}, {"id": "e2", "text": " … "},
            {"id": "k2", "text": base}]
    inp = _jsonl(tmp_path / "in.jsonl", rows, open)
    out = tmp_path / "out.jsonl"
    dedup_jsonl([inp], out, DedupConfig(keep="first"))
    got = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert list(got) == ["e1", "k1", "q1", "e2", "k2"]
    for alone in ("e1", "q1", "e2"):
        assert got[alone]["cluster_id"] == alone and got[alone]["duplicate_of"] is None
    assert got["k2"]["duplicate_of"] == "k1"
