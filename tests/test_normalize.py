"""Normalisation, datelines, hashing key."""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from builder import codepoints
from builder.article import Article
from builder.config import NormalizeConfig
from builder.normalize import (_MOJIBAKE_HINT, _REMOVED, _needs_repair, _repair_tables, _repaired, collapse_spaces,
                               content_hash, key, move_dateline, normalize_article, normalize_text, repair_misdecoded,
                               split_dateline)

FIX = Path(__file__).parent / "fixtures"
CFG = NormalizeConfig()


# --- normalize_text ------------------------------------------------------------------------

def test_line_endings_and_blank_lines():
    assert normalize_text("a\r\nb\rc\u2028d\n\n\n\n\ne") == "a\nb\nc\nd\n\ne"


def test_whitespace_and_invisible_characters():
    raw = "  Die\u00a0\u00a0Stadt\t\tBerlin \u200bwächst\u00ad.\x00\x07  \n\u202f Zweite\u2009Zeile \ufeff"
    assert normalize_text(raw) == "Die Stadt Berlin wächst.\nZweite Zeile"


def test_joiners_stay_inside_lines_and_go_at_their_edges():
    emoji = "family \U0001F468\u200d\U0001F469\u200d\U0001F467 and \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    assert normalize_text(emoji) == emoji
    assert normalize_text("First paragraph.\n\n\u200d\n\n\u200c \u200d\n\nSecond \u200d\n\u200dthird") == \
        "First paragraph.\n\nSecond\nthird"


def test_nfc():
    assert normalize_text("Cafe\u0301 Mu\u0308nchen") == "Café München"


def test_mojibake_repaired_typography_kept():
    broken = "Der Bundesrat stimmte fÃ¼r die Ã„nderung â€“ â€žendlichâ€œ, sagte er."
    assert normalize_text(broken) == "Der Bundesrat stimmte für die Änderung – „endlich“, sagte er."
    typo = "„Zitat“ ‚halb‘ «guillemets» – — ﬁnal ＡＢＣ ’s “quote” …"
    assert normalize_text(typo) == typo


def test_mojibake_left_alone_when_disabled():
    assert "Ã¼" in normalize_text("fÃ¼r", NormalizeConfig(fix_mojibake=False))


def _misread(text: str) -> str:
    """`text` as a reader that took its UTF-8 bytes for Latin-1 gives it."""
    return text.encode("utf-8").decode("latin-1")


def test_utf8_read_as_latin1_is_decoded_right():
    text = "<p>The ferry’s crew — twelve of them — met at 8\u00a0am in Göteborg.</p>"
    assert "\x80" in _misread(text) or "\x94" in _misread(text)
    assert repair_misdecoded(_misread(text)) == text
    # a page that mixes the misread form with correct characters beyond Latin-1 is repaired by line
    mixed = _misread("<p>It’s late — again.</p>") + "\n<p>Цена: 5 €</p>"
    assert repair_misdecoded(mixed) == "<p>It’s late — again.</p>\n<p>Цена: 5 €</p>"


def test_correctly_decoded_text_is_not_repaired():
    for text in ("Ação e coração", "Ã is a letter; ÆØÅ", "Привет — всё хорошо", "plain ascii", "Â½ cup"):
        assert repair_misdecoded(text) == text


def test_correct_non_latin_text_untouched():
    for text in ("Привет, как дела? Всё хорошо.", "東京都の人口は増えている。", "Ação e coração: São Paulo", "ÆØÅ æøå"):
        assert normalize_text(text) == text


def test_normalize_article_title_on_one_line():
    a = Article(id="x", text="Body\r\n\r\n\r\ntext", title="A\ntitle ")
    normalize_article(a, CFG)
    assert (a.text, a.title) == ("Body\n\ntext", "A title")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\ufeff]")



@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200)
       | st.lists(st.sampled_from(["Ã¼", "â€œ", "Â", "A\u0303", "\u00bc", " ", "\n", "\r", "\t", "\u00a0", "ab",
                                   "é", "e\u0301", "\u200b", "\u00ad", "\x85", "\x93", "—", "„", "Ð¿", "\u200d"]),
                  max_size=40).map("".join),
       st.booleans())
def test_the_shortcut_for_texts_with_nothing_to_repair_changes_nothing(text, fix):
    assert normalize_text(text, NormalizeConfig(fix_mojibake=fix)) == _repaired(text, fix)

@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["Ã", "Â", "ï", "Ð", "¼", "€", "¿", "œ", "ab", " ", "é", "漢", "\U0001f389", "\ud800",
                                 "\x00", "\t", "\x7f", "\x85", "\u200b", "\u200d", "\ufeff"]), max_size=8).map("".join)
       | st.text(max_size=100), st.booleans())
@example("Ãab€", True)      # a lead and a continuation, not side by side
def test_what_needs_repair_is_read_off_the_code_points_as_the_patterns_find_it(text, fix):
    want = _REMOVED.search(text) is not None or (fix and _MOJIBAKE_HINT.search(text) is not None)
    assert _needs_repair(codepoints.points(text), *_repair_tables(), fix) == want


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
       | st.lists(st.sampled_from(["Ã¼", "â€œ", "Â", " ", "\n", "\r", "\t", "\u00a0", "ab", "é", "e\u0301",
                                   "\u200b", "\x85", "—", "„", "Ð¿", "\u200d", "\u200c"]), max_size=40).map("".join))
def test_idempotent_and_clean(text):
    once = normalize_text(text, CFG)
    assert normalize_text(once, CFG) == once
    assert not _CONTROL.search(once) and "\r" not in once and "\n\n\n" not in once
    assert unicodedata.is_normalized("NFC", once)
    assert all(line == line.strip() and "  " not in line for line in once.split("\n"))
    assert not any(line and (line[0] in "\u200c\u200d" or line[-1] in "\u200c\u200d") for line in once.split("\n"))


# --- datelines -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, dateline, source", [
    ("MÜNCHEN (IT BOLTWISE) – Die Verhandlungen gehen weiter.", "MÜNCHEN", "IT BOLTWISE"),
    ("WASHINGTON / LONDON (IT BOLTWISE) – Beide Seiten verhandeln.", "WASHINGTON / LONDON", "IT BOLTWISE"),
    ("BERLIN (dpa) - Die Regierung hat beschlossen.", "BERLIN", "dpa"),
    ("(Reuters) - The company said on Monday.", None, "Reuters"),
    ("WASHINGTON (AP) — The president spoke.", "WASHINGTON", "AP"),
    ("Wien – Die Regierung hat am Montag einen neuen Plan für die Bahn vorgestellt.", "Wien", None),
    ("NEW YORK, March 3 (Reuters) - Stocks rose.", "NEW YORK, March 3", "Reuters"),
    ("LONDON, 5. März (dpa) – Der Premier sprach.", "LONDON, 5. März", "dpa"),
    ("Kiew/Moskau (dpa/AFP) - Russland meldet Angriffe.", "Kiew/Moskau", "dpa/AFP"),
    ("SPRINGFIELD, Ore. (AP) — A bridge closed.", "SPRINGFIELD, Ore.", "AP"),
    ("ST. PAUL (AP) — Lawmakers met.", "ST. PAUL", "AP"),
    ("GENÈVE (ats) – Le conseil a décidé.", "GENÈVE", "ats"),
    ("DEN HAAG (ANP) – Het kabinet besloot.", "DEN HAAG", "ANP"),
    ("SEVILLA, 3 mar (EFE).- El pleno aprobó el plan.", "SEVILLA, 3 mar", "EFE"),
    ("QUITO (EFE).- La asamblea votó hoy.", "QUITO", "EFE"),
])
def test_split_dateline(text, dateline, source):
    d, s, rest = split_dateline(text)
    assert (d, s) == (dateline, source)
    assert text.endswith(rest) and rest[0].isupper() and len(rest) < len(text)


@pytest.mark.parametrize("text", [
    "In Berlin – so sagt er – ist alles anders.",
    "Trump (R) - Texas said nothing.",
    "He said (quietly) - Yes, of course.",
    "Der Bundestag – Das Parlament der Republik – tagt heute in einer langen Sitzung.",
    "Home – Welcome to our shop",
    "News - Cameras of the year | Forum",
    "Wien – Die Regierung",                       # no source, and no paragraph follows
    "BERLIN (dpa) - die kleine Schrift danach",    # the body must start like a sentence
    "Some text before. BERLIN (dpa) - Die Regierung.",
    "UPDATE – The story has been changed to add a statement from the company today.",
    "BERLIN (dpa) – ",
    "Das ist gut (sehr).- Ja, das ist es.",          # a sentence's own parenthesis, then ".-"
    "Sevilla.- El pleno aprobó el plan.",           # ".-" only after a source's parenthesis
    "",
])
def test_no_dateline(text):
    assert split_dateline(text) == (None, None, text)


def test_dateline_longer_than_max_chars_stays():
    text = "SAN FRANCISCO / LOS ANGELES / NEW YORK (Reuters) - The companies said."
    assert split_dateline(text, max_chars=20) == (None, None, text)
    assert split_dateline(text)[1] == "Reuters"


def test_seed_datelines_match_gold():
    gold = {g["id"]: g for g in map(json.loads, (FIX / "normalize" / "seeds_gold.jsonl").read_text().splitlines())}
    for path in sorted((FIX / "ingest" / "seeds" / "it-boltwise").glob("*.txt")):
        g = gold[f"it-boltwise/{path.stem}"]
        a = Article(id=path.stem, text=path.read_text(encoding="utf-8"))
        normalize_article(a, CFG)
        move_dateline(a, CFG)
        assert (a.dateline, a.source) == (g["dateline"], g["source"])
        assert a.text.startswith(g["text"][:200])


def test_move_dateline_after_headline():
    a = Article(id="x", text="Neuer Plan für die Bahn\n\nBERLIN (dpa) - Die Regierung hat beschlossen.\n\nMehr dazu.")
    move_dateline(a, CFG)
    assert (a.dateline, a.source) == ("BERLIN", "dpa")
    assert a.text == "Neuer Plan für die Bahn\n\nDie Regierung hat beschlossen.\n\nMehr dazu."
    long_first = " ".join(["Wort"] * 40) + "\nBERLIN (dpa) - Die Regierung hat beschlossen."
    b = Article(id="y", text=long_first)
    move_dateline(b, CFG)
    assert b.dateline is None and b.text == long_first


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120) | st.lists(st.sampled_from(["BERLIN", " ", "(dpa)", "-", "–", "Die", "\n", ",", "5.",
                                                        "März", "/", "Wien", "in"]), max_size=12).map("".join))
def test_split_dateline_never_raises_and_keeps_a_suffix(text):
    dateline, source, rest = split_dateline(text)
    assert text.endswith(rest)
    assert (dateline is None and source is None) == (rest == text)


def test_move_dateline_disabled():
    a = Article(id="x", text="BERLIN (dpa) - Die Regierung hat beschlossen.")
    move_dateline(a, NormalizeConfig(move_dateline=False))
    assert a.dateline is None and a.text.startswith("BERLIN")


# --- key and content_hash ------------------------------------------------------------------

def test_key_ignores_case_punctuation_and_spacing():
    assert key("Hello,  World!\n„Grüße“ — STRASSE") == key("hello world GRÜSSE strasse") == "hello world grüsse strasse"
    assert key("Cafe\u0301") == key("Café")


def test_key_fold_digits():
    assert key("Up 3.5% in 2024", fold_digits=True) == key("Up 7.1% in 2023", fold_digits=True)
    assert key("Up 3.5% in 2024") != key("Up 7.1% in 2023")


def test_content_hash():
    h = content_hash("The Same text.")
    assert h == content_hash("the same, text") and len(h) == 32 and int(h, 16) >= 0
    assert h != content_hash("The other text.")


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "é", "橋", " ", "  ", "\t", "\n", "\r", "\r\n", "\n\n\n", "\x0b", "\x0c", "\x1c",
                                 "\x1f", "\x85", "\u2028", "\u2029", "\u00a0", "\u3000", "\u200b"]), max_size=40))
def test_compiled_space_collapse_is_the_split_and_join_definition(pieces):
    text = "".join(pieces)
    expected = re.sub("\n{3,}", "\n\n", "\n".join(" ".join(line.split()) for line in text.splitlines())).strip()
    assert collapse_spaces(text) == expected
