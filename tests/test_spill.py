"""The spill between build passes: every Article field survives, order and batches hold."""
from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from builder.article import Article
from builder.spill import Spill

_text = st.text(max_size=40)
_maybe = st.none() | _text
_score = st.none() | st.floats(allow_nan=False)

articles = st.builds(
    Article, id=_text, text=_text, site=_maybe, url=_maybe, title=_maybe, published_at=_maybe,
    fetched_at=_maybe, lang_hint=_maybe, html=_maybe, extracted=st.booleans(), rendered=_maybe,
    voters=st.none() | st.lists(_text, max_size=3), view=_maybe, origin=_text,
    dateline=_maybe, source=_maybe, lang=_maybe, lang_score=_score,
    status=st.sampled_from(["kept", "dropped", "quarantined"]), reason=_maybe,
    removed=st.lists(st.tuples(_text, _text), max_size=3), content_hash=_maybe, cluster_id=_maybe,
    duplicate_of=_maybe, similarity=_score)


def full_article() -> Article:
    """An Article with every field set to something other than its default."""
    return Article(
        id="doc-1", text="Zeile eins\n\nZeile zwei – ünïcode ✓", site="example.org", url="https://example.org/1",
        title="Titel", published_at="2024-05-01", fetched_at="2024-05-02T10:00:00Z", lang_hint="de",
        html="<p>x</p>", extracted=True, rendered="Menü\n\nZeile eins",
        voters=["Zeile eins\n\nZeile zwei", "", "Zeile zwei"], view="readability", origin="in.jsonl:3",
        dateline="BERLIN", source="dpa", lang="de",
        lang_score=0.987654321, status="dropped", reason="too_short",
        removed=[("Newsletter abonnieren", "rule:cta"), ("", "template:00ff")], content_hash="abc",
        cluster_id="doc-0", duplicate_of="doc-0", similarity=0.91, line_hashes=[0, 2**64 - 1, 12345])


def round_trip(tmp_path, items: list[Article], batch_size: int = 1024) -> list[list[Article]]:
    spill = Spill(tmp_path / "s.arrows", batch_size)
    with spill:
        for a in items:
            spill.write(a)
    return list(spill.read())


def test_every_field_set_survives(tmp_path):
    a = full_article()
    assert all(getattr(a, f.name) != f.default for f in dataclasses.fields(Article)
               if f.default is not dataclasses.MISSING)
    assert round_trip(tmp_path, [a]) == [[a]]


def test_every_optional_field_none_survives(tmp_path):
    a = Article(id="bare")
    optional = [f.name for f in dataclasses.fields(Article) if f.default is None]
    assert "lang_score" in optional and "similarity" in optional and "html" in optional
    (back,), = round_trip(tmp_path, [a])
    assert back == a and all(getattr(back, name) is None for name in optional)
    assert back.removed == [] and back.extracted is False


def test_batches_keep_order_and_size(tmp_path):
    items = [Article(id=str(i), text=f"text {i}") for i in range(7)]
    batches = round_trip(tmp_path, items, batch_size=3)
    assert [len(b) for b in batches] == [3, 3, 1]
    assert [a for b in batches for a in b] == items


def test_empty_spill_reads_nothing(tmp_path):
    assert round_trip(tmp_path, []) == []


def test_a_spill_can_be_read_twice(tmp_path):
    spill = Spill(tmp_path / "s.arrows", 2)
    for i in range(3):
        spill.write(Article(id=str(i)))
    first = [a.id for b in spill.read() for a in b]
    assert first == [a.id for b in spill.read() for a in b] == ["0", "1", "2"] and spill.count == 3


@settings(max_examples=60, deadline=None)
@given(st.lists(articles, max_size=6))
def test_any_articles_round_trip(tmp_path_factory, items):
    back = round_trip(tmp_path_factory.mktemp("spill"), items, batch_size=4)
    assert [a for b in back for a in b] == items
