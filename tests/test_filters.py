"""Language and quality filters on small hand-written texts."""
from __future__ import annotations

import re
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.article import DROPPED, QUARANTINED, Article
from builder.config import FilterConfig, LangConfig, QualityConfig
from builder.filters import (_LETTER, LanguageFilter, QualityFilter, _fasttext_model, apply_filters, count_words,
                             text_counts)

TEXTS = {
    "en": ("The city council met on Tuesday evening to discuss the new budget for schools and roads. "
           "Several residents asked why the library would close earlier in the winter months, and the "
           "mayor promised to review the opening hours before the final vote next week."),
    "de": ("Der Gemeinderat hat am Dienstagabend über den neuen Haushalt für Schulen und Straßen beraten. "
           "Mehrere Bürger wollten wissen, warum die Bücherei im Winter früher schließen soll, und der "
           "Bürgermeister versprach, die Öffnungszeiten vor der Abstimmung in der nächsten Woche zu prüfen."),
    "fr": ("Le conseil municipal s'est réuni mardi soir pour discuter du nouveau budget consacré aux écoles "
           "et aux routes. Plusieurs habitants ont demandé pourquoi la bibliothèque fermerait plus tôt en "
           "hiver, et le maire a promis de revoir les horaires avant le vote de la semaine prochaine."),
    "ja": ("市議会は火曜日の夜に開かれ、学校と道路のための新しい予算について話し合った。何人かの住民は、"
           "冬の間に図書館が早く閉まる理由を尋ね、市長は来週の採決の前に開館時間を見直すと約束した。"),
    "ko": ("시의회는 화요일 저녁에 모여 학교와 도로를 위한 새 예산을 논의했다. 몇몇 주민들은 겨울철에 "
           "도서관이 왜 일찍 문을 닫는지 물었고, 시장은 다음 주 표결 전에 운영 시간을 다시 검토하겠다고 약속했다."),
}


def art(text: str, id: str = "x") -> Article:
    return Article(id=id, text=text)


# --- language ------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_fasttext_detects(lang):
    code, score = LanguageFilter(LangConfig()).detect(TEXTS[lang])
    assert code == lang and 0.5 < score <= 1.0


@pytest.mark.parametrize("lang", ["en", "de", "fr"])
def test_langdetect_backend_is_deterministic(lang):
    f = LanguageFilter(LangConfig(backend="langdetect"))
    results = {f.detect(TEXTS[lang]) for _ in range(3)}
    assert len(results) == 1 and next(iter(results))[0] == lang


def test_whole_text_not_first_80_chars():
    # an English menu line first, then a German article: the body decides
    text = "Home | News | Sports | Weather | Contact us | Subscribe now\n\n" + TEXTS["de"] * 2
    assert LanguageFilter(LangConfig()).detect(text)[0] == "de"


def test_long_text_sampled_from_start_and_middle():
    text = TEXTS["en"][:200] + "\n" + TEXTS["de"] * 60
    assert LanguageFilter(LangConfig(max_chars=400)).detect(text)[0] == "de"


def test_detector_sees_each_run_of_whitespace_as_one_space():
    # the sample is joined from str.split's words: the same as replacing re's \s+, for every character
    seen = []
    f = LanguageFilter(LangConfig())
    f._detect = lambda sample: seen.append(sample) or ("en", 1.0)
    spaces = [chr(c) for c in range(0x110000) if re.fullmatch(r"\s", chr(c))]
    assert spaces == [chr(c) for c in range(0x110000) if chr(c).isspace()]
    text = " ".join(f"{w}{s}{s}" for w, s in zip(TEXTS["en"].split(), spaces * 9))
    f.detect(text)
    assert len(text) < LangConfig().max_chars and seen == [re.sub(r"\s+", " ", text).strip()]


def test_all_caps_text():
    assert LanguageFilter(LangConfig()).detect(TEXTS["en"].upper())[0] == "en"


def test_allow_list_and_min_score():
    f = LanguageFilter(LangConfig(allow=["de"]))
    en, de = art(TEXTS["en"]), art(TEXTS["de"])
    assert f(en) == "lang" and en.lang == "en" and en.lang_score > 0.5
    assert f(de) is None and de.lang == "de"
    strict = LanguageFilter(LangConfig(min_score=1.01))
    assert strict(art(TEXTS["de"])) == "lang"


def test_no_letters_is_undetermined_and_left_to_quality():
    f = LanguageFilter(LangConfig(allow=["en"], min_score=0.5))
    for text in ("", "   ", "12 34 56 -- 78 %"):
        a = art(text)
        assert f(a) is None and (a.lang, a.lang_score) == ("und", 0.0)


def test_model_loads_offline_and_once(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network access")
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    _fasttext_model.cache_clear()
    assert LanguageFilter(LangConfig()).detect(TEXTS["fr"])[0] == "fr"
    assert _fasttext_model() is _fasttext_model()


# --- quality -------------------------------------------------------------------------------

def test_count_words_handles_cjk():
    assert count_words("one two  three\nfour") == 4
    assert count_words("東京は晴れ") == 5
    assert count_words("東京 Tokyo 2024") == 4
    assert count_words(TEXTS["ko"]) == len(TEXTS["ko"].split())   # Hangul is spaced like Latin
    assert count_words(TEXTS["ja"]) > 60
    # Thai spaces phrases, not words: a 60-letter phrase is some fifteen words, not one
    thai = "เทศบาลเมืองได้เปิดสะพานใหม่ข้ามแม่น้ำเมื่อวันจันทร์ที่ผ่านมา"
    assert count_words(thai) == 1 + len(thai) // 4


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_real_paragraphs_pass(lang):
    assert QualityFilter(QualityConfig())(art(TEXTS[lang])) is None


def test_quality_rules():
    q = QualityFilter(QualityConfig())
    assert q(art("Too short to be an article.")) == "too_short"
    assert q(art("")) == "too_short"
    assert QualityFilter(QualityConfig(max_words=30))(art(TEXTS["en"])) == "quality:too_long"
    table = "\n".join(f"{i} | {i * 17} | {i * 3.5:.1f} | {i * 1000} | 2024-01-{i:02d}" for i in range(1, 29))
    assert q(art(table)) == "quality:alpha_ratio"
    tags = " ".join(f"#tag{i} word" for i in range(30))
    assert q(art(tags)) == "quality:symbol_ratio"
    repeated = "\n".join([TEXTS["en"]] + ["Click here to read the whole story on our website today"] * 20)
    assert q(art(repeated)) == "quality:dup_lines"


def test_short_repeated_lines_are_tolerated():
    # a listing repeats short labels; that alone is not a reason to drop it
    listing = "\n".join(f"{TEXTS['en'][i * 20:(i + 1) * 20 + 40]}\nRemote\nFull-time" for i in range(8))
    assert QualityFilter(QualityConfig())(art(listing)) is None


# --- apply_filters -------------------------------------------------------------------------

def test_apply_filters_order_and_statuses():
    arts = [art(TEXTS["de"], "de"), art(TEXTS["en"], "en"), art("Kurz.", "short-de"),
            art(TEXTS["de"], "q")]
    arts[3].quarantine("unreadable:json")
    cfg = FilterConfig(lang=LangConfig(allow=["de"]))
    apply_filters(arts, cfg)
    got = {a.id: (a.status, a.reason) for a in arts}
    assert got["de"] == ("kept", None)
    assert got["en"] == (DROPPED, "lang")                # language comes first
    assert got["short-de"][0] == DROPPED
    assert got["q"] == (QUARANTINED, "unreadable:json") and arts[3].lang is None
    assert arts[1].lang == "en"                          # set even though dropped


def test_apply_filters_quality_disabled():
    a = art("Kurz, aber deutsch und ganz sicher kein langer Artikel.")
    apply_filters([a], FilterConfig(quality=QualityConfig(enabled=False)))
    assert a.alive and a.lang == "de"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters() | st.sampled_from("aZ_09²½٣ßİ\u00a0\u2028\u3000\x1c漢ไทยä\u0301 \n"), max_size=60))
def test_letter_and_visible_counts_mean_what_the_regexes_mean(text):
    """The quality filter's fast counts equal their definitions on any text (lone surrogates too)."""
    words, visible, letters = text_counts(text)
    assert words == count_words(text)
    assert visible == sum(map(len, text.split())) == len(re.sub(r"\s+", "", text))
    assert letters == len(_LETTER.findall(text)) == len(re.sub(r"[\W\d_]+", "", text))
