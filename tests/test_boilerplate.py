"""Boilerplate removal: seeds, single-page rules (EN/DE), learned templates, profiles, explain records."""
from __future__ import annotations

import json
import random
import re
import unicodedata
from collections import Counter
from functools import cache
from itertools import chain, islice
from pathlib import Path

import justext
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder import codepoints
from builder.article import Article
from builder.boilerplate import Cleaner, SiteTemplate, TemplateLearner, clean_corpus, learn_templates
from builder.boilerplate import lines as L
from builder.boilerplate import stopwords, templates
from builder.boilerplate.columns import (CLOSING_TAG, END_MARKS, ENDS, QUOTE, QUOTE_MARKS, SPACE, SPACED, UNPUNCTUATED,
                                         UNSPACED, WIDE, _members, casefold, column, empty, joined, line_matches, matches,
                                         scan, screen, tokens, words)
from builder.boilerplate.rules import load_rules
from builder.boilerplate.stopwords import STOP_SAMPLE
from builder.boilerplate.templates import QUOTED, line_hash, line_hashes, mask, masks, page_keys
from builder.boilerplate.titles import ABBREVIATION, _headline_like, _headline_shape, _strip_site, find_title
from builder.config import BoilerplateConfig, NormalizeConfig
from builder.errors import BuilderError
from builder.normalize import move_dateline, normalize_text

FIX = Path(__file__).parent / "fixtures" / "boilerplate"
REPO = Path(__file__).resolve().parents[1]


def _article(id_: str, text: str, site: str, title: str | None = None) -> Article:
    return Article(id=id_, text=normalize_text(text), site=site, title=title)


def _lines(text: str) -> list[str]:
    return [l for l in text.split("\n") if l.strip()]


def _no_profiles(**kw) -> BoilerplateConfig:
    return BoilerplateConfig(sites_dir="", **kw)


# --- the two seeds: a site of two pages ------------------------------------------------------

def _seeds() -> tuple[list[Article], list[dict]]:
    gold = [json.loads(l) for l in (FIX / "it-boltwise-gold.jsonl").read_text(encoding="utf-8").splitlines() if l]
    arts = [_article(f"it-boltwise/{p.stem}", p.read_text(encoding="utf-8"), "it-boltwise")
            for p in sorted((FIX / "it-boltwise").glob("*.txt"))]
    by_id = {g["id"]: g for g in gold}
    return arts, [by_id[a.id] for a in arts]


def test_seeds_cleaned_completely():
    arts, gold = _seeds()
    raw = {a.id: _lines(a.text) for a in arts}
    templates = clean_corpus(arts, _no_profiles())
    assert "it-boltwise" in templates
    for a, g in zip(arts, gold):
        move_dateline(a, NormalizeConfig())
        assert a.title == g["title"]
        assert a.dateline == g["dateline"] and a.source == g["source"]
        assert a.text == g["text"]                      # every body word kept, every footer line gone
        assert _lines(a.text) == _lines(g["text"])
        removed = [l for l, _ in a.removed]
        body = set(_lines(g["text"]))
        # the footer: everything after the last body line of the raw page
        last_body = max(i for i, l in enumerate(raw[a.id]) if l in body)
        assert removed == raw[a.id][last_body + 1:]


def test_seed_single_page_rules_alone_remove_the_footer():
    """A first crawl: one page of the site, no template to learn."""
    arts, gold = _seeds()
    a, g = arts[0], gold[0]
    clean_corpus([a], _no_profiles())
    move_dateline(a, NormalizeConfig())
    assert a.text == g["text"]
    assert a.title == g["title"]                        # quoted twice by the prompts


# --- single-page rules on our own English and German pages ----------------------------------

@pytest.mark.parametrize("name, title, body_starts, gone", [
    ("en_full_page.txt", "Harbour town opens new library after decade of planning", "The small harbour town",
     {"Read also: Council approves budget for coastal path": "rule:read_also",
      "Sign up for our newsletter and never miss a story.": "rule:subscribe",
      "Privacy Policy": "rule:cookie", "By Jane Doe": "rule:byline",
      "The new library, seen from the harbour wall on its opening day. (Photo: Coastal Pictures)": "rule:caption_credit"}),
    ("de_full_page.txt", "Neue Brücke über den Fluss freigegeben", "Nach drei Jahren Bauzeit",
     {"Lesen Sie auch: Stadtrat beschließt neuen Radweg": "rule:read_also",
      "Foto: Tagesblatt Nord / Archiv": "rule:photo_credit", "Von Max Mustermann": "rule:byline",
      "Abonnieren Sie unseren Newsletter und verpassen Sie keine Nachricht mehr.": "rule:subscribe",
      "Datenschutz": "rule:cookie"}),
])
def test_single_page_rules(name, title, body_starts, gone):
    raw = (FIX / name).read_text(encoding="utf-8")
    a = _article(name, raw, "one-page.example")
    clean_corpus([a], _no_profiles())
    paragraphs = a.text.split("\n\n")
    assert a.title == title
    assert paragraphs[0].startswith(body_starts)
    # every long prose line of the page is kept, nothing else of the furniture
    prose = [l for l in _lines(raw) if len(l.split()) >= 20 and not any(k in l for k in ("cookie", "Cookies"))]
    assert prose and all(p in paragraphs for p in prose)
    why = dict(a.removed)
    for line, rule in gone.items():
        assert why.get(line) == rule, line
    assert title not in paragraphs                      # the headline is metadata, not body
    assert not any(l.startswith(("©", "Home", "Startseite")) for l in paragraphs)


def test_link_bullets_after_the_article_are_removed():
    body = "".join(f"The committee met on {day} and agreed, after a long debate, to publish its report on the state "
                   "of the river before the summer holidays begin.\n" for day in ("Monday", "Tuesday", "Friday"))
    # A rendered page (it has furniture rules know, here a share button and a copyright line), not
    # an extractor's output (where a single rule hit may be a stray one).
    a = _article("x", body + "- Weather\n- Sport\n- Local news\n- Contact the newsroom\nShare\n© 2024 The Gazette",
                 "bullets.example")
    clean_corpus([a], _no_profiles())
    assert a.text.count("committee") == 3
    assert [r for _, r in a.removed] == ["rule:link_bullet"] * 4 + ["rule:share", "rule:copyright"]


def test_rules_are_data_and_extendable(tmp_path):
    extra = tmp_path / "rules.toml"
    extra.write_text('[rule.weather_box]\nmax_words = 6\nwords = ["forecast"]\n', encoding="utf-8")
    rules = load_rules(str(extra))
    assert rules.match("Forecast", ["forecast"], "drop") == "weather_box"
    body = "The mayor spoke to reporters at length about the harbour, the ferry and the new library on Monday."
    a = _article("x", f"{body}\n{body}\nForecast\n{body}", "s")
    clean_corpus([a], _no_profiles(rules_file=str(extra)))
    assert ("Forecast", "rule:weather_box") in a.removed
    bad = tmp_path / "bad.toml"
    bad.write_text('[rule.x]\nstarts = ["(unclosed"]\n', encoding="utf-8")
    with pytest.raises(BuilderError):
        load_rules(str(bad))


@pytest.mark.parametrize("key", ["in_extracted", "box", "in_prose", "case_sensitive"])
def test_a_rule_flag_that_is_not_true_or_false_is_refused(tmp_path, key):
    """(A string "false" would read as true.)"""
    bad = tmp_path / "bad.toml"
    bad.write_text(f"[rule.x]\nstarts = ['x']\n{key} = 'yes'\n", encoding="utf-8")
    with pytest.raises(BuilderError, match=f"rule x: {key} must be true or false"):
        load_rules(str(bad))


def test_rule_patterns_keep_their_meaning_on_lowercased_lines(tmp_path):
    """Case-insensitive patterns are lowercased for speed: escapes such as \\D must survive."""
    extra = tmp_path / "rules.toml"
    extra.write_text("[rule.outlook]\nmax_words = 6\nstarts = ['\\D+ OUTLOOK$', '[A-Z]+ weather']\n"
                     "[rule.tail]\nmax_words = 6\nlast_words = ['Ende']\n"
                     "[rule.twice]\nmax_words = 6\nstarts = ['(?P<Word>Echo) (?P=Word)$']\n"
                     "[rule.notes]\naction = 'cut'\nsure_at = 2\nstarts = ['notes']\n", encoding="utf-8")
    rules = load_rules(str(extra))
    assert rules.match("Sunny Outlook", ["sunny", "outlook"], "drop") == "outlook"
    assert rules.match("5 outlook", ["5", "outlook"], "drop") is None
    assert rules.match("LOCAL WEATHER", ["local", "weather"], "drop") == "outlook"
    assert rules.match("Das Ende", ["das", "ende"], "drop") == "tail"
    assert rules.match("ECHO echo", ["echo", "echo"], "drop") == "twice"     # group names keep their case
    assert rules.match("Das Ende:", ["das", "ende"], "drop") == "tail"
    assert rules.match("Ende", ["ende"], "drop") is None           # a last word needs a line of two words
    assert rules.match("Das Ende.", ["das", "ende"], "drop") is None   # a sentence is not a heading
    assert rules.sure_at("notes") == 2 and rules.sure_at("outlook") == 0
    bad = tmp_path / "bad.toml"
    bad.write_text("[rule.x]\naction = 'cut'\nsure_at = -1\nstarts = ['x']\n", encoding="utf-8")
    with pytest.raises(BuilderError):
        load_rules(str(bad))


_PROSE = [f"The council said on {day} that the new harbour wall would be finished before the storms of the "
          "winter season, after the long delays of the last two years." for day in ("Monday", "Tuesday", "Friday")]


def test_a_series_of_comment_headers_ends_the_article_however_long_the_comments():
    menu = "Home\nNews\nSport\nWeather\nContact\nAbout us\n"
    comments = "".join(f"Reader{k} on March {k}, 2024 at 9:1{k} pm said:\n"
                       f"I have walked along that harbour wall every day for years, and I think the council "
                       f"was right to wait for the money before it started the work on the wall, number {k}.\n"
                       for k in range(1, 6))
    a = _article("x", menu + "\n".join(_PROSE) + "\n" + comments + "Privacy Policy\n", "comments.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == _PROSE
    assert ("Reader1 on March 1, 2024 at 9:11 pm said:", "rule:after_main") in a.removed


# --- a language no rule knows: layout and numbers only ------------------------------------------

_SV_MENU = ["Hem", "Nyheter", "Sport", "Kultur", "Debatt", "Väder"]
_SV_PROSE = [f"Kommunen meddelade i {dag} att den nya hamnpiren ska vara klar innan vinterns stormar, "
             "efter de långa förseningarna under de senaste två åren." for dag in ("måndags", "tisdags", "fredags")]


def test_a_rendered_page_that_no_rule_hits_still_loses_its_menu():
    """No rule knows Swedish furniture, so no line of this page hits one; a run of menu labels
    before the prose still tells a rendered page from an extractor's output."""
    a = _article("x", "\n".join([*_SV_MENU, *_SV_PROSE, "Tipsa oss", "Om oss"]), "sv.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == _SV_PROSE
    assert {r for _, r in a.removed} == {"rule:before_main", "rule:after_main"}


def test_a_short_text_that_no_rule_hits_is_kept_whole():
    """Two labels before the prose are a heading and a kicker, not a menu: nothing goes."""
    text = "\n".join(["Hamnen", "Nyheter", *_SV_PROSE])
    a = _article("x", text, "sv.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == text.split("\n")


def test_a_related_heading_that_nothing_follows_goes_with_what_comes_after():
    comment = ("I walked along the harbour wall this morning and the new stones already look as if they "
               "had always been there, which is the best thing one can say about such work.")
    a = _article("x", "\n".join([*_PROSE, "You might also like:", "3 comments", comment]), "closing.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == _PROSE


def test_an_author_box_under_a_one_paragraph_teaser_does_not_end_a_long_article():
    """A page that prints a short teaser paragraph, then a "Written by" box, then the article as
    a listicle (more short list lines than paragraphs): the box heading is no end of the text,
    since almost all of the prose comes after it (the paragraphs are too short to read as an
    article that resumes after an inline box)."""
    menu = ["Home", "Services", "Pricing", "Blog", "Contact", "Book a call"]
    teaser = ("We compared the five harbour ferry operators on price, comfort and punctuality over the "
              "whole of this spring so that you do not have to, and here is what we found on every one of "
              "the crossings that we made.")
    box = ["Written by", "Ann Smith", "Reviewed by", "Tom Ray"]
    body = []
    for k, name in enumerate(("North", "South", "East", "West", "Bay")):
        body += [f"{k + 1}. {name} Ferries",
                 f"{name} Ferries runs the oldest boats on the harbour, but the crews keep them in very good "
                 "order and the crossing is calm even on the windier days of the autumn.",
                 "Highlights", "Cheap day tickets", "Bikes carried free", "Cafe on board", "Quiet deck",
                 "Prices", "Single fare from 4 pounds", "Return fare from 7 pounds"]
    page = ["Best harbour ferries", *menu, teaser, *box, *body, "Privacy Policy"]
    a = _article("x", "\n".join(page), "ferry.example")
    clean_corpus([a], _no_profiles())
    kept = a.text.split("\n\n")
    assert teaser in kept and all(p in kept for p in body if len(p.split()) > 20)


def test_a_comment_count_heading_ends_the_article():
    menu = "Home\nNews\nSport\nWeather\nContact\nAbout us\n"
    comment = ("I have walked along that harbour wall every day for years, and I think the council was right "
               "to wait for the money before it started the work.\n")
    a = _article("x", menu + "\n".join(_PROSE) + "\n3 Comments on “Harbour wall”\n" + comment * 3, "count.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == _PROSE


def test_a_ranked_comments_heading_ends_the_article_however_long_the_comments():
    """"Top rated comments" with no author lines: the comments read like prose and outweigh the
    article, but such a heading is never the article's own."""
    rng = random.Random(11)
    comments = [" ".join(_sentence(rng) for _ in range(2)) for _ in range(8)]
    text = "\n".join([*_PROSE, "Most popular comments", "(show every comment)", *comments, "Back to the story"])
    a = _article("x", text, "ranked.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == _PROSE


def test_forum_reply_subjects_end_the_article():
    """A thread of replies ("Re: <subject>") under a story is its comment section."""
    rng = random.Random(12)
    thread = [x for k in range(6) for x in (f"Re: The harbour wall, part {k}", " ".join(_sentence(rng) for _ in range(3)))]
    a = _article("x", "\n".join([*_PROSE, *thread]), "forum.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == _PROSE


def test_extracted_text_keeps_its_lists_and_only_drops_what_a_rule_is_sure_of():
    """An extractor's output: prose at both ends, a list of short items between, hardly any
    furniture. The list is content; only the share button goes."""
    items = [f"- {x}" for x in ("Flour", "Sugar", "Two eggs", "Butter", "Milk", "A pinch of salt", "Vanilla")]
    again = [f"{p[:-1]}, once more." for p in _PROSE]
    text = "\n".join([_PROSE[0], *items, _PROSE[1], *items, "Share", _PROSE[2], *items, again[0], *items, again[1]])
    a = _article("x", text, "recipe.example")
    clean_corpus([a], _no_profiles())
    assert [r for _, r in a.removed] == ["rule:share"]
    assert a.text.count("- Flour") == 4


def test_extracted_text_loses_the_rule_hits_inside_the_article_box_only():
    """An extractor keeps the article's container, with what sits in it: a caption's credit, a
    "read also" teaser, a prompt. Those lines go; the lists and paragraphs stay, also a paragraph
    of more than 20 words that a rule's word would hit; nothing is located or cut."""
    caption = "The new wall at low tide on Sunday morning. (Jane Roe/Getty Images)"
    teaser = "Read also: Storm damage closes the pier for a week"
    prompt = "Sign up for our newsletter"
    mention = ("The architects said that the copyright in the design of the wall, which they have held since "
               "1998, does not stop the town from changing it.")
    items = ["- Stone from the old quay", "- Steel piles", "- Two new cranes"]
    lines = [_PROSE[0], caption, _PROSE[1], teaser, *items, mention, prompt, _PROSE[2]]
    a = Article(id="x", text=normalize_text("\n".join(lines)), site="box.example", extracted=True)
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == [_PROSE[0], _PROSE[1], *items, mention, _PROSE[2]]
    assert dict(a.removed) == {caption: "rule:caption_credit", teaser: "rule:read_also", prompt: "rule:subscribe"}
    off = Article(id="y", text=normalize_text("\n".join(lines)), site="box.example", extracted=True)
    clean_corpus([off], _no_profiles(extracted_rule_hits=False))
    assert off.text.split("\n\n") == lines and off.removed == []


@pytest.mark.parametrize("line, teaser", [
    (">> Read more: Storm damage closes the pier", True),
    ("> I tried the patch on my laptop and it builds.", False),   # a quoted line of a mail
    (">>> import json", False),                         # an interpreter prompt in a code example
])
def test_an_arrow_marks_a_teaser_but_a_quote_mark_does_not(line, teaser):
    rules = load_rules("")
    assert (rules.match(line, words(line.casefold()), "drop") == "read_also") is teaser


def test_a_page_with_prose_at_both_ends_is_still_rendered_when_many_lines_are_furniture():
    """Prose first and last and few labels look like an extractor's output, but a page on which
    a third of the lines hit a rule is a rendered page: its job ads go, its paragraphs stay."""
    jobs = ["Harbour pilot for the night shift (m/w/d) with the port authority in the north (apply online)",
            "Crane operator for the container terminal (m/w/d) with the shipping office in the east (apply online)"]
    headline = "Harbour wall: will it be finished before the winter storms this year? - Coast Gazette"
    text = "\n".join([headline, "Subscribe to our newsletter", "Follow us on Facebook", "Share this story",
                      "Home", "News", "Sport", *_PROSE[:2], "New jobs on our careers page", *jobs, _PROSE[2]])
    a = _article("x", text, "jobs.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == [*_PROSE[:2], "New jobs on our careers page", _PROSE[2]]
    assert [r for l, r in a.removed if l in jobs] == ["rule:job_ad"] * 2


@pytest.mark.parametrize("box", [
    "In place of this box the story shows external content from a video platform that adds to it. "
    "You can show it or hide it again with one click, and your choice is kept for the next visit.",
    "Dieses Feld zeigt statt eines Videos einen externen Inhalt, sobald Sie zustimmen. Ihre Zustimmung "
    "gilt bis auf Widerruf und lässt sich in den Einstellungen am Ende der Seite jederzeit ändern.",
])
def test_a_consent_box_for_external_content_goes_however_long(box):
    """A box asking to load an embedded video explains itself in sentences (a prose line of more
    than 20 words survives most rules inside the text); the rule marked `in_prose` removes it."""
    a = _article("x", "\n".join([_PROSE[0], box, *_PROSE[1:]]), "embed.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == _PROSE
    assert a.removed == [(box, "rule:embed_consent")]


def test_a_long_photo_caption_ending_in_its_credit_goes_inside_the_article():
    """A caption between paragraphs reads as prose; its bracketed credit (photographer and agency)
    gives it away, however long. A paragraph with a slash in brackets at its end stays."""
    captions = ["Passengers wait on the quay for the first ferry after the storm, which closed the harbour "
                "for three days last week. (Jane Doe/Getty Images)",
                "The harbour master speaks to reporters at the ferry terminal on Tuesday, Nov. 19, 2024, after "
                "the council vote. (AP Photo/John Roe, File)",
                "Fishing boats leave the old harbour at dawn on the first calm morning since the storm hit the "
                "coast. Photo: Ann Poe/Harbour Press",
                "Workers repair the breakwater on the north side of the harbour, where the waves broke through "
                "in March. REUTERS/Tom Moe",
                "Die Fähre legt am Morgen nach drei Tagen Sturm wieder im Hafen an, begleitet von vielen "
                "Schaulustigen, die am Kai auf die ersten Passagiere warten. © Max Muster/dpa"]
    own = ("The council will decide in May whether the new wall gets a second gate for the fishing boats, "
           "or a lock that would let them in at low tide (the harbour master prefers the gate/lock option).")
    story = [_PROSE[0], own, *_PROSE[1:]]
    a = _article("x", "\n".join([_PROSE[0], captions[0], own, *captions[2:], _PROSE[1], captions[1], _PROSE[2]]),
                 "caption.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == story
    assert a.removed == [(c, "rule:caption_credit") for c in [captions[0], *captions[2:], captions[1]]]


def test_template_filler_text_is_furniture_however_long_but_a_paragraph_about_it_stays():
    """A template page full of "lorem ipsum" blocks reads them as prose (its language is guessed from
    them): the filler is furniture all the same, never the main text; a paragraph about it stays."""
    filler = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore "
              "et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut "
              "aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse "
              "cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in "
              "culpa qui officia deserunt mollit anim id est laborum.")
    about = ("The designers filled the new harbour website with lorem ipsum for weeks, and some of the placeholder "
             "text was still on the ferry timetable page when the council launched it on Monday.")
    page = ["Home", filler, "Speaker Name", filler, "Learn More", filler, _PROSE[0], about, *_PROSE[1:]]
    feats = L.features(page, load_rules(), L.Params())
    assert [(f.rule, f.prose) for f in feats if f.text == filler] == [("placeholder", False)] * 3
    assert all(f.prose and f.rule is None for f in feats[6:])
    a = _article("x", "\n".join(page), "filler.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == [_PROSE[0], about, *_PROSE[1:]]


def test_an_ad_consent_dialog_printed_with_the_page_goes_however_long():
    """A full rendering prints the page's ad-consent dialog: the consent framework's purposes, with
    a sentence of explanation each and a partner count, in the standard wording every site uses.
    They go wherever they stand, however long; a sentence of the article about location data stays."""
    dialog = [
        "Store and/or access information on a device. Use precise geolocation data. Actively scan device "
        "characteristics for identification. Personalised advertising and content, advertising and content "
        "measurement, audience research and services development.",
        "Create profiles for personalised advertising 212 partners can use this purpose",
        "Advertising presented to you on this service can be based on limited data, such as the website or app "
        "you are using, your non-precise location, your device type or which content you are interacting with.",
        "Object to legitimate interests Remove objection", "Measure content performance",
        "Information about your activity on this service, such as the pages you read, is combined with other "
        "information about you to build a profile that is used to show you advertising that suits you better. "
        "Measure advertising performance",
        "Genaue Standortdaten und Geräteeigenschaften zur Identifikation abfragen: Es können genaue Standortdaten "
        "und Informationen über Gerätemerkmale verwendet werden, um Sie zu erkennen.",
    ]
    story = [_PROSE[0], "The harbour office said the ferry app stores precise location data for an hour "
             "only, and that nobody outside the office can see where a passenger was on the quay.",
             "Genaue Standortdaten speichert die App des Hafenamts nur eine Stunde lang, sagte eine Sprecherin "
             "am Montag, danach bleibt nur die Zahl der Fahrgäste.",
             "Measure content performance before the season starts, the harbour office advised the ferry "
             "companies, because the timetable pages are read most in May.", *_PROSE[1:]]
    a = _article("x", "\n".join([*story, *dialog]), "consent.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == story
    assert {r for l, r in a.removed} == {"rule:consent_purposes"}


def test_extracted_text_ends_at_references_but_not_at_an_inline_related_box():
    refs = ["Smith, J. (2019). Harbour walls of the north coast. Coastal Press.",
            "Jones, A. (2021). Storm surges and the towns that live with them. Sea Studies 4, 12-30."]
    more = [f"{p[:-1]}, as the council heard again at its {k + 2}nd meeting." for k, p in enumerate(_PROSE)]
    text = "\n".join([*_PROSE, "Related", "Council approves the coastal path", *more, "References", *refs])
    a = _article("x", text, "refs.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == [*_PROSE, "Related", "Council approves the coastal path", *more]
    assert ("References", "rule:after_main") in a.removed


@pytest.mark.parametrize("first, title", [
    ("Harbour wall finished at last | The Gazette", "Harbour wall finished at last"),
    ("The Gazette | Harbour wall finished at last", "Harbour wall finished at last"),
    ("Harbour wall finished – and what the storms will tell us about it", "Harbour wall finished – and what the storms will tell us about it"),
])
def test_first_line_title_loses_only_a_short_site_name(first, title):
    a = _article("x", "\n".join([first, *_PROSE]), "title.example")
    clean_corpus([a], _no_profiles())
    assert a.title == title


_NAV = ["Home", "News", "Sport", "Weather", "Business", "Culture", "Contact us", "Subscribe"]


@pytest.mark.parametrize("header, title", [
    # the on-page headline differs from the <title>: the line sharing its words, followed by the byline
    (["Sea wall repairs end after three storm winters | Coast Gazette", *_NAV, "",
      "Sea wall repairs finally end after three winters of storms", "", "By Ann Reed", "", "March 3, 2024", ""],
     "Sea wall repairs finally end after three winters of storms"),
    # a breadcrumb that ends with the headline is not the headline; the line it repeats is
    (["Harbour trust buys the old ferry pier – Coast Gazette", *_NAV, "",
      "Home / Local news / How the harbour trust bought the old ferry pier", "",
      "How the harbour trust bought the old ferry pier", ""],
     "How the harbour trust bought the old ferry pier"),
    # a run of table-of-contents entries sharing the <title>'s words is not the headline
    (["Ten ways to keep a garden through a dry summer | Coast Gazette", *_NAV, "",
      "Ten ways to keep a garden green through a dry summer", "", "Contents",
      "1. Water the garden early", "2. Mulch the garden beds", "3. Keep the garden through the summer", ""],
     "Ten ways to keep a garden green through a dry summer"),
    # the headline as printed but for its quotes: the <title>'s spelling
    (["Why the ferry isn't coming back | Coast Gazette", *_NAV, "", "Why the ferry isn’t coming back", ""],
     "Why the ferry isn't coming back"),
    # ... or for a space the page's markup broke a word with
    (["New moorings for the small boat harbour | Coast Gazette", *_NAV, "", "New moorings for the small bo at harbour", ""],
     "New moorings for the small boat harbour"),
    # the printed headline adds a subtitle after a dash: the <title>'s headline
    (["Tide tables for the summer | Coast Gazette", *_NAV, "", "Tide tables for the summer – printable calendar", ""],
     "Tide tables for the summer"),
    # a headline the page escaped twice reads as written
    (["Harbour &#x26; ferry fares rise in May", *_NAV, "", "Harbour &#x26; ferry fares rise in May", ""],
     "Harbour & ferry fares rise in May"),
])
def test_headline_is_found_among_header_lines(header, title):
    a = _article("x", "\n".join([*header, *_PROSE]), "headline.example")
    clean_corpus([a], _no_profiles())
    assert a.title == title
    assert a.text.split("\n\n") == _PROSE          # the headline and the header are gone, the text stays


_DE_PROSE = ["Der Stadtrat hat am Montag beschlossen, dass die neue Hafenmauer noch vor den Stürmen des Winters "
             "fertig werden soll, nach den langen Verzögerungen der letzten beiden Jahre.",
             "Die Arbeiten hatten sich wegen fehlender Mittel und eines langen Streits über die Pläne immer wieder "
             "verzögert, sagte die Bürgermeisterin bei der Sitzung im Rathaus."]


@pytest.mark.parametrize("head, title", [
    # "Von X bis Y" opens a German headline; "Von Vorname Name" is a byline
    (["Von Kiel bis Lübeck: Die Hafenmauern werden fertig", "Von Anna Schmidt"],
     "Von Kiel bis Lübeck: Die Hafenmauern werden fertig"),
    # an abbreviation's dot does not make a headline a sentence
    (["The fastest growing harbour towns in the U.S."], "The fastest growing harbour towns in the U.S."),
    # extracted text: a date or a label above the headline is not the headline
    (["12/03/2024", "Warum die Hafenmauer länger hält als gedacht", "Von Anna Schmidt"],
     "Warum die Hafenmauer länger hält als gedacht"),
])
def test_headline_of_extracted_text(head, title):
    a = _article("x", "\n".join([*head, *_DE_PROSE, *_DE_PROSE[::-1]]), "extracted.example")
    clean_corpus([a], _no_profiles())
    assert a.title == title
    assert title not in a.text


def test_a_page_language_is_read_from_its_prose_not_from_a_long_menu_above_it():
    """The stop list is the one of the page's prose: a German article under a menu of 600 English
    words is German, so its paragraphs read as prose (their share of German stop words)."""
    topics = ["World", "Business", "Money", "Travel", "Health", "Science", "Style", "Food", "Music", "Books"]
    menu = [f"{t} and {u} of the day" for t in topics for u in topics]    # 100 lines, 600 words
    prose = [*_DE_PROSE, *(p.replace("Montag", "Dienstag") for p in _DE_PROSE)]
    feats = L.features([*menu, *prose], load_rules(), L.Params())
    assert all(f.prose and f.stop >= 0.3 for f in feats[len(menu):])


def test_flattened_lists_and_markup_are_not_text():
    """A select menu or an archive flattened into one line repeats its few words; an embed box
    prints the article as HTML to copy: neither is text, wherever it sits."""
    months = "Archive Choose " + " ".join(f"{m} {y}" for y in range(2000, 2025) for m in ("April", "June", "May"))
    markup = "".join(f"<p>{p}</p>" for p in _PROSE) + '<h2>More</h2><a href="/x">Read</a><img src="/y.png">'
    a = _article("x", "\n".join([_PROSE[0], months, _PROSE[1], markup, _PROSE[2]]), "lists.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == _PROSE
    assert {r for _, r in a.removed} == {"rule:word_list"}


def test_lone_glyphs_go_but_code_stays():
    """An empty list bullet, a close button, a row of rating stars: a line of one glyph is no text,
    in any language; a closing brace inside a code listing is."""
    code = ["for wall in walls:", "    inspect(wall) {", "}"]
    a = _article("x", "\n".join([_PROSE[0], "-", _PROSE[1], "×", "★ ★ ★ ★ ☆", *code, "✕", _PROSE[2]]), "glyphs.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == [_PROSE[0], _PROSE[1], "for wall in walls:", "inspect(wall) {", "}", _PROSE[2]]
    assert {r for _, r in a.removed} == {"rule:lone_glyph"}


def test_the_heading_of_a_table_of_contents_goes_but_a_sentence_opening_so_stays():
    lines = [_PROSE[0], "Contents hide", _PROSE[1], "In this article", _PROSE[2]]
    a = _article("x", "\n".join(lines), "toc.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == _PROSE
    assert {l for l, r in a.removed if r == "rule:nav"} == {"Contents hide", "In this article"}
    rules = load_rules()
    assert rules.judge("In this article, the council explains why.", ["in", "this", "article", "the", "council",
                                                                      "explains", "why"], 1.0)[0] is None


def test_button_labels_go_but_sentences_with_their_words_stay():
    sentence = "Submit your photos of the harbour wall to the council before the end of the month, it said."
    lines = [_PROSE[0], "Book a demo", _PROSE[1], sentence, "View all posts", _PROSE[2], "Search for:", "Submit"]
    a = _article("x", "\n".join(lines), "buttons.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == [_PROSE[0], _PROSE[1], sentence, _PROSE[2]]
    assert {l for l, r in a.removed if r == "rule:button"} == {"Book a demo", "View all posts", "Search for:", "Submit"}


def test_a_headline_printed_as_a_list_item_goes_with_the_title():
    a = _article("x", "\n".join(["- Harbour wall finished before the storms", *_PROSE]), "list-title.example",
                 title="Harbour wall finished before the storms")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == _PROSE
    assert a.removed == [("- Harbour wall finished before the storms", "title")]


_JA_PROSE = [
    "駅前の古い橋は来月から工事のため通行止めになり、市は代わりの歩道を川の東側に用意すると発表しました。",
    "工事は三年前に決まっていましたが、費用が予定より大きくなったため、開始が何度も遅れていました。",
    "近くの商店街では、客が減るのではないかと心配する声がある一方、新しい橋に期待する人も多いようです。",
    "市の担当者は、工事の間も商店街への道が分かりやすいように、案内の看板を増やすと説明しています。",
]


def test_pages_in_scripts_without_spaces_are_cleaned_like_any_other():
    """Japanese (like Chinese or Thai) puts no spaces between words, so a whole sentence is one or
    two `\\w+` tokens: words are counted from characters, and a page mostly in such a script gets
    no stop-word language from its few Latin product names."""
    menu = ["ホーム", "ニュース", "スポーツ", "お問い合わせ", "プライバシーポリシー", "Home ›", "ニュース ›"]
    archive = "過去の記事 " + " ".join(f"{y}年{m}月" for y in range(2015, 2020) for m in (1, 4, 8, 11))
    side = ["分類", *[f"{w} ({k})" for k, w in enumerate(("天気", "交通", "写真", "旅行", "料理"), 3)],
            "よく読まれる話", "最近の投稿", "© 2024 Example News"]
    page = [*menu, "ニュースと写真と旅の話", "2024-05-03", *_JA_PROSE, "関連記事", archive, *side]
    a = _article("ja", "\n".join(page), "ja.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == _JA_PROSE
    feats = L.features(page, load_rules(), L.Params())
    assert all(f.prose and f.words >= 20 for f in feats[len(menu) + 2:len(menu) + 6])
    assert not feats[page.index(archive)].prose          # unpunctuated, and no stop words to vouch for it


def test_hindi_sentences_are_prose():
    """Hindi ends its sentences with "।" and writes vowel signs that are not `\\w`: short paragraphs
    punctuated so are the article, not labels."""
    prose = ["नगर परिषद ने मंगलवार को नए पुल के निर्माण की योजना को मंज़ूरी दे दी है।",
             "यह पुल नदी के दोनों किनारों को जोड़ेगा और लोगों की यात्रा का समय कम करेगा।",
             "स्थानीय व्यापारियों ने इस फ़ैसले का स्वागत किया और कहा कि इससे बाज़ार को लाभ होगा।",
             "काम अगले महीने शुरू होगा और दो साल में पूरा होने की उम्मीद है।"]
    menu = ["होम", "समाचार", "खेल", "मनोरंजन", "संपर्क", "हमारे बारे में", "Facebook"]
    a = _article("hi", "\n".join([*menu, *prose, "गोपनीयता नीति", "नियम और शर्तें", "© 2024 नगर समाचार"]), "hi.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == prose
    # Words keep their vowel signs ("में", not "म"): counted as written, and Hindi's stop words match.
    for line, f in zip(prose, L.features(prose, load_rules(), L.Params())):
        assert f.words == len(line.split()) and f.stop >= 0.5


def test_thai_paragraphs_are_prose_without_sentence_punctuation():
    """Thai ends a sentence with a space, not a stop, and has no stop-word list: its long lines
    count as punctuated, so the article is found and the menus around it go."""
    prose = ["เทศบาลเมืองได้เปิดสะพานใหม่ข้ามแม่น้ำเมื่อวันจันทร์ที่ผ่านมา หลังจากการก่อสร้างที่ใช้เวลานานกว่าสองปี",
             "ประชาชนจำนวนมากมาร่วมงานเปิดสะพาน และกล่าวว่าการเดินทางไปทำงานจะสะดวกและรวดเร็วขึ้นมาก",
             "พ่อค้าแม่ค้าในตลาดใกล้เคียงหวังว่าจะมีลูกค้ามากขึ้น เพราะผู้คนสามารถข้ามแม่น้ำได้ง่ายกว่าเดิม",
             "นายกเทศมนตรีกล่าวว่าเมืองจะสร้างทางจักรยานเพิ่มเติมตามแนวแม่น้ำภายในปีหน้า"]
    menu = ["หน้าแรก", "ข่าว", "กีฬา", "บันเทิง", "ติดต่อเรา", "Facebook"]
    a = _article("th", "\n".join([*menu, *prose, "นโยบายความเป็นส่วนตัว", "© 2024 ข่าวเมือง"]), "th.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == prose


def test_chinese_and_japanese_furniture_is_known_to_the_rules():
    """Navigation, login, share, follow, comment, related, byline, caption credit, date, reading
    count, privacy and copyright lines of Chinese (simplified and traditional) and Japanese pages,
    judged as a page's lines are (their characters counted as words); headlines and sentences that
    open with the same words stay."""
    furniture = {
        "首页 > 新闻 > 本地": "nav", "當前位置：首頁 > 生活": "nav", "トップ > 地域 > 図書館": "nav", "サイトマップ": "nav",
        "关于我们": "nav", "联系我们": "nav", "お問い合わせ": "nav", "字号：大 中 小": "nav", "目次": "nav",
        "登录 | 注册": "subscribe", "訂閱": "subscribe", "ログイン": "subscribe", "下载客户端": "subscribe",
        "分享到：": "share", "微博": "share", "この記事をシェアする": "share", "ツイート": "share",
        "扫描二维码关注我们": "follow", "この記事が気に入ったら": "follow", "Twitterでフォローしよう": "follow",
        "发表评论": "comments_section", "評論（12）": "comments_section", "コメントを残す": "comments_section",
        "12条评论": "comment_count", "3件のコメント": "comment_count",
        "メールアドレスが公開されることはありません。": "comment",
        "延伸閱讀": "related", "猜你喜欢": "related", "あわせて読みたい": "related", "この記事を書いた人": "related",
        "上一则：大桥五月通车": "post_nav", "次の投稿": "post_nav",
        "阅读全文": "read_also", "続きを読む": "read_also", "广告": "read_also", "スポンサーリンク": "read_also",
        "责任编辑：张三": "byline", "来源：江城日报 作者：王明": "byline", "記者陳美玲／台北報導": "byline",
        "（图片来源：视觉中国）": "photo_credit", "写真：市立図書館の外観": "photo_credit",
        "▲市政府宣布提高补助。（圖／記者陳美玲攝）": "photo_credit",
        "发布时间：2024年7月3日 14:20": "dateline_meta", "2024年6月5日 18:30": "dateline_meta",
        "2024-05-12 08:30:15": "dateline_meta", "公開日：2024.09.12": "dateline_meta", "3小时前": "dateline_meta",
        "阅读量：3521": "dateline_meta", "标签：城市 气候": "taxonomy", "カテゴリー：家電": "taxonomy",
        "隐私政策": "cookie", "隱私權政策": "cookie", "利用規約": "cookie", "プライバシーポリシー": "cookie",
        "京ICP备12345678号": "copyright", "著作權所有 © 城市日報": "copyright", "無断転載を禁じます。": "copyright",
    }
    stays = ["注册制改革今年全面推开", "登录火星的计划再次推迟", "分享经济在中国发展迅速", "评论员文章：港口的未来",
             "记者从港口管理局获悉，新时刻表下月实施。", "更新2.0版本带来三项新功能", "时间：5月12日 地点：市政府",
             "首页设计大赛今天揭晓", "ホームセンターの売り上げが伸びる", "コメント欄の使い方を解説します"]
    _assert_judged_as_a_page_is(furniture, stays)


def test_hindi_thai_and_persian_furniture_is_known_to_the_rules():
    furniture = {
        "होम": "nav", "हमसे संपर्क करें": "nav", "शेयर करें": "share", "हमें फॉलो करें": "follow",
        "ये भी पढ़ें: नदी पर नया पुल मई में खुलेगा": "read_also", "संबंधित खबरें": "related", "टिप्पणियाँ (4)": "comments_section",
        "सर्वाधिकार सुरक्षित": "copyright", "गोपनीयता नीति": "cookie", "अपडेटेड: 5 जून 2024": "dateline_meta",
        "3 घंटे पहले": "dateline_meta", "फोटो: राज्य सरकार": "photo_credit", "सब्सक्राइब करें": "subscribe",
        "หน้าแรก": "nav", "แชร์": "share", "อ่านต่อ": "read_also", "ข่าวที่เกี่ยวข้อง": "related",
        "สงวนลิขสิทธิ์ 2024": "copyright", "นโยบายความเป็นส่วนตัว": "cookie", "3 ชั่วโมงที่แล้ว": "dateline_meta",
        "صفحه اصلی": "nav", "اشتراک‌گذاری": "share", "اخبار مرتبط": "related", "بیشتر بخوانید": "read_also",
        "کلیه حقوق این سایت محفوظ است": "copyright", "حریم خصوصی": "cookie", "3 ساعت پیش": "dateline_meta",
        # (not "۳ ساعت پیش": RE2's \d reads only ASCII digits, so Persian digits go unscreened)
    }
    stays = ["होम लोन की दरें फिर बढ़ीं", "शेयर बाजार में तेजी", "หน้าแรกของหนังสือพิมพ์วันนี้เป็นข่าวน้ำท่วม",
             "صفحه اصلی روزنامه امروز به سیل اختصاص داشت"]
    _assert_judged_as_a_page_is(furniture, stays)


def _assert_judged_as_a_page_is(furniture: dict[str, str], stays: list[str]) -> None:
    """Each furniture line is hit by the rule (drop or cut) it names, and no line of `stays` by
    any, all judged together as the lines of one page are (`features`)."""
    feats = L.features(list(furniture) + stays, load_rules(), L.Params())
    for f, name in zip(feats, furniture.values()):
        assert name in (f.rule, f.cut), (f.text, f.rule, f.cut)
    for f in feats[len(furniture):]:
        assert (f.rule, f.cut) == (None, None), (f.text, f.rule, f.cut)


def test_rule_word_limits_count_chinese_characters():
    """A Chinese paragraph is one or two tokens: its word limit is held against its characters
    (as words), so a paragraph that opens like a navigation link or a "related" heading is no
    furniture, while the short link and heading still are."""
    long_ = ["上一篇文章中我们介绍了港口的历史，这一篇我们将说明新时刻表的细节，以及市民对这一变化的看法。",
             "相关新闻报道指出，港口管理局将从下个月开始把渡轮运营时间延长到午夜，以回应夜班工人的投诉。"]
    short = ["上一篇：港口新时刻表", "相关新闻"]
    feats = L.features(long_ + short, load_rules(), L.Params())
    assert [(f.rule, f.cut) for f in feats[:2]] == [(None, None), (None, None)]
    assert feats[2].rule == "post_nav" and feats[3].cut == "related"


def test_furniture_of_more_languages_is_known_to_the_rules():
    """Beyond English and German, the rules know the commonest furniture of French, Spanish,
    Portuguese, Italian, Dutch, Russian, Polish, Turkish, Chinese and Japanese pages (each line a
    whole line, as a page prints it)."""
    rules = load_rules()
    furniture = {
        "Nous utilisons des cookies. Tout accepter": "cookie", "Política de privacidad": "cookie",
        "Abonnez-vous à notre newsletter": "subscribe", "Iscriviti alla newsletter": "subscribe",
        "Partager": "share", "Compartilhar": "share", "Lire aussi : le pont rouvre en mai": "read_also",
        "Leia também": "read_also", "© 2024 Le Quotidien. Tous droits réservés.": "copyright",
        "Todos los derechos reservados": "copyright", "Accueil": "nav", "Zoeken": "nav", "Suivez-nous": "follow",
        "Publié le 3 mai 2024": "dateline_meta", "Por Ana García": "byline", "12 commentaires": "comment_count",
        "quarta-feira, 3 de maio de 2023 às 9:05": "dateline_meta", "Tempo de leitura: 4 minutos": "dateline_meta",
        "mercredi 3 mai 2023 à 9h05": "dateline_meta", "Temps de lecture : 4 min": "dateline_meta",
        "Текст: Анна Петрова · 3 мая 2023": "byline", "Sommaire": "nav", "Índice": "nav",
        "Articles similaires": "related", "Noticias relacionadas": "related",
        "Политика конфиденциальности": "cookie", "Поделиться": "share", "Читайте также: мост откроют в мае": "read_also",
        "© 2024 Газета. Все права защищены.": "copyright", "Главная": "nav", "Похожие новости": "related",
        "Udostępnij": "share", "Wszelkie prawa zastrzeżone": "copyright", "Strona główna": "nav",
        "Paylaş": "share", "Tüm hakları saklıdır": "copyright", "Ana Sayfa": "nav", "Yorumlar": "comment",
        "首页": "nav", "相关文章": "related", "新华日报版权所有，未经授权不得转载": "copyright", "下一篇：大桥五月通车": "post_nav",
        "関連記事": "related", "ホーム": "nav",
        "Thanks! Your message was sent.": "form_notice", "Something went wrong when submitting your request.": "form_notice",
        "Vielen Dank! Ihre Anfrage wurde erfolgreich übermittelt.": "form_notice",
        "Merci ! Votre message a bien été envoyé.": "form_notice", "Gracias, su solicitud ha sido recibida": "form_notice",
        "Images courtesy of the harbour museum": "photo_credit",
        "Harbour at dusk, 1958. Oil on canvas – 60 × 80 cm. Courtesy the artist and the gallery.": "photo_credit",
        "Foto mit freundlicher Genehmigung des Stadtarchivs": "photo_credit",
        "The ferry leaves the harbour at dawn. Photo: Jane Doe/Archive": "caption_credit",
        "Der Hafen am Morgen. Bild: Max Muster": "photo_credit",
        "Ja, ich bin einverstanden, dass mir hier Karten eines Kartendienstes angezeigt werden.": "embed_consent",
        "Advertorial": "read_also", "Ressort: Wirtschaft": "taxonomy", "Placeholder image-2": "placeholder",
        "🔊 Listen to this article": "player", "Artikel anhören": "player", "Play video": "nav",
        "Loading...": "nav", "Weiter »": "nav", "Next ›": "nav",
        "vor 3 Std.": "dateline_meta", "Vor einem Tag": "dateline_meta", "il y a 2 heures": "dateline_meta",
        "hace 5 minutos": "dateline_meta", "há 2 dias": "dateline_meta", "4 ore fa": "dateline_meta",
        "2 uur geleden": "dateline_meta",
        "Neue Radwege: was sich am Hafen ändert lesen": "read_also", "Lesen": "read_also", "Read the article": "read_also",
        "You are using an out of date browser. It may not display this or other websites correctly.": "cookie",
        "This field is for validation purposes and should be left unchanged.": "form_notice",
    }
    for line, name in furniture.items():
        words = re.findall(r"\w+", line.casefold())
        drop, _, cut = rules._judge(line, words, 3.0)
        assert name in (drop, cut), (line, drop, cut)
    for prose in ("Por la mañana el puente estaba cerrado.", "Le maire a refusé de commenter la décision du conseil.",
                  "Главная задача мэрии — открыть мост до зимы.", "Kontakt z urzędem był trudny przez cały tydzień.",
                  "The exhibition opens in May. Photo books are on sale at the door.",
                  "Read the article on the harbour wall before the council meets.", "Lesen lernen im Hafen"):
        assert rules._judge(prose, re.findall(r"\w+", prose.casefold()), 3.0) == (None, None, None), prose


def test_plainest_furniture_of_twenty_more_languages_is_known_to_the_rules():
    """Privacy, copyright, subscribe, share, follow, comments, related and navigation lines of
    Nordic, Central and Eastern European, Greek, Southeast Asian, Korean, Hebrew and Arabic pages;
    short lines of other languages that share a word with those buttons stay."""
    rules = load_rules()
    furniture = {
        "Alle rettigheder forbeholdes": "copyright", "Läs också: bron öppnar i maj": "read_also",
        "Følg oss i sosiale medier": "follow", "Relaterte artikler": "related", "Kommentarer (4)": "comments_section",
        "Kaikki oikeudet pidätetään.": "copyright", "Tilaa uutiskirje": "subscribe", "Lue myös": "read_also",
        "Zásady ochrany osobních údajů": "cookie", "Související články": "related", "Sdílet": "share",
        "Minden jog fenntartva.": "copyright", "Hírlevél feliratkozás": "subscribe", "Kezdőlap": "nav",
        "Toate drepturile rezervate": "copyright", "Citește și: podul se redeschide": "read_also", "Comentarii": "comments_section",
        "Πολιτική απορρήτου": "cookie", "Σχετικά άρθρα": "related", "Ακολουθήστε μας": "follow",
        "Усі права захищені": "copyright", "Читайте також: міст відкриють у травні": "read_also", "Поділитися": "share",
        "Всички права запазени": "copyright", "Pročitajte još": "read_also", "Susiję straipsniai": "related",
        "Tots els drets reservats": "copyright", "Baca juga: jembatan dibuka Mei": "read_also", "Berita terkait": "related",
        "Bagikan": "share", "Ikuti kami": "follow", "Tin liên quan": "related", "Chia sẻ": "share",
        "Trang chủ": "nav", "관련기사": "related", "무단 전재 및 재배포 금지": "copyright", "댓글 쓰기": "comments_section",
        "כל הזכויות שמורות": "copyright", "כתבות נוספות": "related", "جميع الحقوق محفوظة": "copyright",
        "اقرأ أيضا: افتتاح الجسر في مايو": "read_also", "سياسة الخصوصية": "cookie",
        "for 3 timer siden": "dateline_meta", "5 tuntia sitten": "dateline_meta", "před 3 hodinami": "dateline_meta",
        "3 jam yang lalu": "dateline_meta", "3 giờ trước": "dateline_meta", "Publicerad 3 maj 2024": "dateline_meta",
        "Oppdatert 3. mai 2024 kl. 10.05": "dateline_meta", "5 komentářů": "comment_count",
        "6 коментарів до статті": "comment_count", "3개의 댓글": "comment_count",
        "Štítky: doprava, most": "taxonomy", "Emner: Havn, Trafik": "taxonomy", "Kuva: Matti Meikäläinen": "photo_credit",
        "Sumber: Kantor Berita": "photo_credit", "사진=홍길동 기자": "photo_credit",
    }
    for line, name in furniture.items():
        words = re.findall(r"\w+", line.casefold())
        drop, _, cut = rules._judge(line, words, 3.0)
        assert name in (drop, cut), (line, drop, cut)
    for short in ("A casa dela", "El coche del vecino", "Jakarta jadi langganan banjir", "شارك الوزير في الاجتماع",
                  "Broen åpner igjen i mai.", "Most se otevře v květnu."):
        assert rules._judge(short, re.findall(r"\w+", short.casefold()), 1.0) == (None, None, None), short


def test_a_page_printed_twice_keeps_one_copy_but_a_repeated_line_stays():
    """Responsive layouts print the article twice: a run of kept lines repeated in order goes
    (else the quality filter drops the whole page for its duplicate lines). A pull quote printed
    twice, or short lines repeated (program output), stay."""
    quote = "“The wall will hold,” the engineer said."
    body = [_PROSE[0], quote, _PROSE[1], _PROSE[2], quote]
    output = ["Printing 0", "Printing 1", "Printing 2", "Done"]
    text = "\n".join(["Home", "News", *body, *output, "Again:", *output, *body[:4]])
    a = _article("x", text, "twice.example")
    clean_corpus([a], _no_profiles())
    kept = a.text.split("\n\n")
    assert kept[kept.index(_PROSE[0]):] == [*body, *output, "Again:", *output]
    assert [l for l, r in a.removed if r == "repeat"] == body[:4]


def test_a_run_on_copy_of_the_article_goes_but_a_paragraph_quoting_one_line_stays():
    """A page that also prints its article as one line, paragraphs glued together (a hidden copy
    for a paywall), keeps the paragraphs and loses the run-on line. A long paragraph that repeats
    one other line of the page (a pull quote inside it) is its own text and stays."""
    quote = ("The wall has to hold for fifty years, and every stone of it was checked twice by the "
             "engineers before it was set, the mayor told the council on the last evening of the session.")
    last = ("Work on the second wall, along the old fish market, starts in the spring, when the boats are "
            "out at sea and the quay is empty for most of the day, the harbour master said.")
    body = [*_PROSE, quote, last]
    run_on = "● " + "".join(body)      # glued paragraphs, behind a bullet
    own = ("Residents who live along the quay said they had waited for years, and some of them came to the "
           "meeting to hear the plans for themselves. " + quote + " Others asked who would pay for the second "
           "wall, and whether the fish market would have to close while the work went on, which nobody could "
           "answer that evening, though the council promised a reply within a month.")
    a = _article("x", "\n".join(["Home", "News", *body, own, run_on]), "runon.example")
    clean_corpus([a], _no_profiles())
    kept = a.text.split("\n\n")
    assert kept[kept.index(_PROSE[0]):] == [*body, own]
    assert [l for l, r in a.removed if r == "repeat"] == [run_on]


def test_a_japanese_page_printed_twice_keeps_one_copy():
    """A Japanese paragraph is one whitespace word but many words: the repeated-block test counts
    it like the classifier does."""
    a = _article("ja-twice", "\n".join(["ホーム", "ニュース", "2024-05-03", *_JA_PROSE, *_JA_PROSE, "© 2024 サンプル新聞"]),
                 "ja-twice.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == _JA_PROSE
    assert [l for l, r in a.removed if r == "repeat"] == _JA_PROSE


def test_extracted_text_printed_twice_keeps_one_copy():
    """Text from HTML extraction skips the line classifier: the repeated-block test counts the
    words of the repeated lines itself (Japanese by its characters)."""
    quote = "“The wall will hold,” the engineer said."
    body = [_PROSE[0], quote, _PROSE[1]]
    pages = [_article("en", "\n".join([*body, *body]), "x.example"), _article("ja", "\n".join(_JA_PROSE * 2), "y.example"),
             _article("short", "\n".join(["A short line", "Another one", "A third", "A short line", "Another one",
                                          "A third"]), "z.example")]
    for a in pages:
        a.extracted = True
    clean_corpus(pages, _no_profiles())
    assert [[l for l, r in a.removed if r == "repeat"] for a in pages] == [body, _JA_PROSE, []]


def test_an_inline_read_next_box_does_not_end_the_article():
    """A "Read next" box between paragraphs (heading, teaser, link) is cut out, the article after it
    stays: long paragraphs follow it right away, which a list of teasers never does."""
    box = ["Read next", "Ann Reed", "The ferry returns to the harbour after ten years", "Read more"]
    a, story = _story_with_box(box, 7, "inline.example")
    assert a.text.split("\n\n") == story      # the article goes on after the box, which goes whole
    assert "Related stories" not in a.text and "Imprint" not in a.text
    assert {l: r for l, r in a.removed if l in box} == {"Read next": "rule:read_also", "Ann Reed": "rule:related",
                                                       box[2]: "rule:related", "Read more": "rule:read_also"}


def test_an_inline_box_of_labelled_teasers_does_not_end_the_article():
    """A "You might also like" box of three teasers, each a section label above its headline, between
    the paragraphs: the article goes on after it, and the box (seven lines) goes."""
    box = ["You might also like"]
    for w in _WORDS[:3]:
        box += ["TRAVEL", f"Why the {w} ferry is the slowest way to cross the bay"]
    a, story = _story_with_box(box, 11, "labelled.example")
    assert a.text.split("\n\n") == story
    assert all(l not in a.text for l in box)


def test_a_discussion_heading_ends_the_article_before_long_comments():
    """"Comments on this story" heads the comments, however long they are: after a share line
    (which may head a box inside the text) the article does not go on into them."""
    rng = random.Random(5)
    body = [_paragraph(rng) for _ in range(5)]
    comments = ["Share", "Comments on this story", "Ann Reed", "3d", "Liked by the author", _paragraph(rng),
                _paragraph(rng), "Reply", "Bo Diaz", "2d", _paragraph(rng)]
    a = _article("x", "\n".join(["Home", "Archive", "About", *body, *comments]), "discussion.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == body


def test_a_caption_with_an_agency_credit_mid_line_is_not_text():
    """A caption names the agency and photographer ("AGENCY/Name"), even when link text follows."""
    caption = "Workers stand on the new harbour wall in the rain, March 4, 2024. REUTERS/Jane Doe/File Photo Licensing Rights"
    a = _article("x", "\n".join([*_MENU, caption, *_PROSE]), "caption.example")
    clean_corpus([a], _no_profiles())
    assert a.text.split("\n\n") == _PROSE
    assert (caption, "rule:photo_credit") in a.removed


def test_a_paragraph_quoting_a_prompted_quote_is_text():
    """Prompts quote the title ("comment on ..."); a long paragraph that quotes the same words is
    still the article's text."""
    quote = "“the harbour wall will hold for a hundred years”"
    long_para = (f"The engineer repeated it at every meeting: {quote}, and most of the town believed him, because "
                 "the old wall had held for nearly as long, through storms and floods and a great many winters "
                 "that had flattened the piers of every other town along this coast, one after the other, and "
                 "nobody in the council wanted to be the one who doubted the engineer in public.")
    text = "\n".join([long_para, *_PROSE, f"Comment on {quote}", f"Share {quote}"])
    a = _article("x", text, "quote.example")
    clean_corpus([a], _no_profiles())
    assert long_para in a.text.split("\n\n")


# --- learned templates on a synthetic site ------------------------------------------------------

_WORDS = ("river harbour council market school bridge library ferry budget teacher farmer winter summer station "
          "museum village garden theatre doctor student").split()
_VERBS = "opened closed discussed reported planned visited approved repaired praised criticised".split()


_MENU = ["Home", "News", "Sport", "Weather", "Contact", "About us"]


def _story_with_box(box: list[str], seed: int, site: str) -> tuple[Article, list[str]]:
    """A page of a menu, four paragraphs, `box`, three paragraphs, then a "Related stories" list and
    the footer, cleaned; and its seven paragraphs."""
    rng = random.Random(seed)
    before, after = [_paragraph(rng) for _ in range(4)], [_paragraph(rng) for _ in range(3)]
    footer = ["Related stories", *[f"The {w} reopens after the winter" for w in _WORDS[:6]], "Imprint", "Privacy"]
    a = _article("x", "\n".join([*_MENU, *before, *box, *after, *footer]), site)
    clean_corpus([a], _no_profiles())
    return a, before + after


def _paragraph(rng: random.Random) -> str:
    """Three invented sentences, about 60 words."""
    return " ".join(_sentence(rng) for _ in range(3))


def _sentence(rng: random.Random) -> str:
    w = lambda: rng.choice(_WORDS)  # noqa: E731
    return (f"The {w()} {rng.choice(_VERBS)} the {w()} near the {w()} on Monday, and the {w()} said that "
            f"the {w()} and the {w()} would be {rng.choice(_VERBS)} again before the {w()} in {rng.randint(1990, 2030)}.")


def _site_pages(n: int, seed: int = 7) -> list[tuple[str, list[str], str]]:
    """(title, body lines, page text) for n pages sharing one footer with varying job ads."""
    rng = random.Random(seed)
    jobs = [f"{role} for our {w} team (m/w/d)" for role in ("Editor", "Designer", "Developer", "Reporter")
            for w in ("news", "video", "data")]
    pages = []
    for i in range(n):
        title = f"{rng.choice(_WORDS).title()} {rng.choice(_VERBS)} in {rng.choice(_WORDS)} number {i}"
        body = [_sentence(rng) + " " + _sentence(rng) for _ in range(rng.randint(3, 6))]
        footer = ["- Home of the weekly paper", "- All topics from A to Z", "- Our podcast every Friday",
                  "Open positions"] + rng.sample(jobs, 3) + [
            f'Do you want to write a letter to the editor about "{title}"? We read every one.',
            f"Published on {rng.randint(1, 28)} March {rng.randint(2020, 2025)} at {rng.randint(10, 23)}:00",
            "All letters are checked by our team before they appear."]
        pages.append((title, body, "\n".join(body + footer)))
    return pages


def test_learned_template_removes_footer_and_varying_job_ads():
    pages = _site_pages(6)
    arts = [_article(f"p{i}", text, "weekly.example") for i, (_, _, text) in enumerate(pages)]
    templates = clean_corpus(arts, _no_profiles(single_page_rules=False))
    tpl = templates["weekly.example"]
    assert tpl["pages"] == 6 and tpl["lines"]
    json.dumps(templates)                               # JSON-able for the release audit
    for a, (title, body, _) in zip(arts, pages):
        assert a.text.split("\n\n") == body
        assert a.title == title                         # quoted by the letter prompt
        rules = {r.split(":")[0] for _, r in a.removed}
        assert rules <= {"template", "footer"} and "template" in rules
        jobs = [l for l, r in a.removed if "(m/w/d)" in l]
        assert len(jobs) == 3                           # job ads: varying per page, gone with the footer


def test_a_japanese_headline_is_found():
    """A headline in Japanese is one `\\w+` token; counted by its characters it is headline-like."""
    head = "駅前の古い橋が来月から通行止めに"
    page = [f"{head} | サンプル新聞", "ホーム", "ニュース", "地域", "お問い合わせ", "2024-05-03", "Facebook", head, *_JA_PROSE,
            "© 2024 サンプル新聞"]
    a = _article("ja-title", "\n".join(page), "ja-title.example")
    clean_corpus([a], _no_profiles())
    assert a.title == head and a.text.split("\n\n") == _JA_PROSE
    assert _headline_like(head) and not _headline_like(_JA_PROSE[0])


@pytest.mark.parametrize("title_line", ["{}_新闻中心_江城网", "{}｜江城新闻", "{}-江城网", "江城网_{}"])
def test_a_chinese_title_joined_without_spaces_loses_its_site_name(title_line):
    """Chinese and Japanese <title>s join headline, section and site with "_", "｜" or "-" and no
    spaces."""
    head = "港口将延长渡轮运营时间至午夜"
    prose = ["港口管理局周一宣布，从下个月起，渡轮将运营到午夜，以回应夜班工人一年来的投诉。",
             "新的时刻表在工作日增加四个班次，在周日增加两个班次，票价暂时保持不变，但将在秋季重新评估。",
             "当地议员对这一变化表示欢迎，但要求改善北码头的照明，因为夜间最后几班渡轮将停靠在那里。"]
    page = [title_line.format(head), "首页", "新闻", "国内", "国际", "登录", "2024-05-12 08:30", head, *prose]
    a = _article("zh-title", "\n".join(page), "zh-title.example")
    clean_corpus([a], _no_profiles())
    assert a.title == head and a.text.split("\n\n") == prose


def test_underscores_and_hyphens_between_latin_words_are_no_title_separators():
    assert _strip_site("Using snake_case names in a big codebase | Dev Notes") == "Using snake_case names in a big codebase"
    assert _strip_site("A long-term plan for the harbour | Gazette") == "A long-term plan for the harbour"


def test_a_japanese_sites_template_goes_and_its_paragraphs_stay():
    """In a script without spaces a paragraph is one or two `\\w+` tokens: the footer search must
    weigh it by its characters, or a site's shared lines would outweigh it and take it along."""
    rng = random.Random(3)
    places, things = ["駅前", "市役所", "図書館", "港", "公園", "商店街"], ["橋", "道路", "建物", "広場", "水道", "学校"]
    verbs = ["工事が始まりました", "新しく開かれました", "一時的に閉鎖されています", "改修の計画が発表されました"]

    def paragraph() -> str:
        return "".join(f"{rng.choice(places)}の{rng.choice(things)}は{rng.randint(1, 12)}月から{rng.choice(verbs)}。"
                       for _ in range(3))

    menu = ["ホーム", "ニュース", "地域", "お問い合わせ"]
    footer = [f"{w} 会社概要 採用情報 広告掲載 お問い合わせ サイトマップ 利用規約" for w in places]
    bodies = [[paragraph() for _ in range(4)] for _ in range(4)]
    # an advert label between paragraphs is template too; the footer must not start there
    arts = [_article(f"j{i}", "\n".join([*menu, *body[:2], "広告", *body[2:], *footer]), "ja.example")
            for i, body in enumerate(bodies)]
    clean_corpus(arts, _no_profiles(single_page_rules=False))
    for a, body in zip(arts, bodies):
        assert a.text.split("\n\n") == body
        assert {r.split(":")[0] for _, r in a.removed} <= {"template", "footer"}


def test_template_learner_is_streaming_and_bounded():
    pages = _site_pages(4)
    learner = TemplateLearner(min_pages=3)
    for i, (_, _, text) in enumerate(pages):
        learner.observe(_article(f"p{i}", text, "s"))
    learner.observe(_article("lonely", pages[0][2], "other"))
    out = learner.finalize()
    assert set(out) == {"s"}                            # one page is no template
    t = out["s"]
    assert isinstance(t, SiteTemplate) and t.pages == 4
    assert all(n >= 3 for n in t.lines.values())
    assert learner.finalize() == {}                     # counts are released after finalize


def test_a_sites_first_page_is_hashed_only_when_a_second_page_comes(monkeypatch):
    pages = [text for _, _, text in _site_pages(4)]

    def learn(arts, min_pages=2):
        learner = TemplateLearner(min_pages=min_pages)
        for a in arts:
            learner.observe(a)
        return learner.finalize()

    def stream():   # two sites interleaved, one site of a single page
        return ([_article("lonely", pages[0], "one.example")]
                + [_article(f"{s}{i}", text, f"{s}.example") for i, text in enumerate(pages) for s in "ab"])

    lazy = stream()
    expected = learn(lazy)
    assert lazy[0].line_hashes is None                       # never hashed: its site has no second page
    assert lazy[1].line_hashes is None and lazy[3].line_hashes is not None   # hashed once "a" had a second page
    hashed = stream()
    for a in hashed:
        a.line_hashes = line_hashes(a.text.split("\n"), a.title)
    assert learn(hashed) == expected == learn(stream())      # the same templates, hashed early or late
    given = TemplateLearner()
    for a in stream():      # waiting first pages hashed by someone else (a build's workers)
        for site, text, title in given.waiting([a.site]):
            given.give(site, line_hashes(text.split("\n"), title))
        given.observe(a)
    assert given.finalize() == expected
    monkeypatch.setattr(templates, "_PENDING_CHARS", 1)      # every waiting page beyond the budget
    deferred = TemplateLearner(deferred=True)
    for a in stream():      # ... counted by the caller once hashed elsewhere, before their site's next page
        for site, text, title in deferred.over_budget():
            deferred.give(site, line_hashes(text.split("\n"), title))
            deferred.count_waiting(site)
        deferred.observe(a)
    assert deferred.finalize() == expected
    monkeypatch.undo()
    assert set(expected) == {"a.example", "b.example"}
    monkeypatch.setattr(templates, "_PENDING_CHARS", len(pages[0]))   # room for one waiting page
    assert learn(stream()) == expected
    assert set(learn(stream(), min_pages=1)) == {"a.example", "b.example", "one.example"}


def test_title_of_a_page_whose_first_lines_are_all_furniture():
    lines = [f"Menu entry {i}" for i in range(30)] + ["Harbour bridge opens after years of delay", "", "Body text."]
    furniture = set(range(30))
    assert find_title(lines, 0, [], furniture) == ("Harbour bridge opens after years of delay", 30)
    assert find_title(lines[:30], 0, [], furniture) == (None, None)
    assert find_title(["", ""], 0, []) == (None, None)


# The masks as first defined, with Python's regular expressions: what the compiled pass must equal.
_REF_DIGITS = re.compile(r"\d+(?:[.,:/]\d+)*")
_REF_MONTHS = re.compile(
    r"\b(?:jan(?:uary|uar)?|feb(?:ruary|ruar)?|m(?:ar(?:ch)?|ärz)|apr(?:[iı]l)?|ma[iıy]|jun[eiı]?|jul[iıy]?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|o[ck]t(?:ober)?|nov(?:ember)?|de[cz](?:ember)?)\b\.?")


def _reference_masks(lines: list[str], title: str | None) -> list[str]:
    plain = "\n".join(lines).casefold()
    masked = plain
    if title and len(title) >= 8 and "\n" not in title.casefold():
        masked = masked.replace(title.casefold(), "\u2036T\u2036")
    out = []
    for s, m in zip(plain.split("\n"), masked.split("\n"), strict=True):
        m = QUOTED.sub("\u2036Q\u2036", m)
        line = m if m != s and len(re.findall(r"\w+", m)) - m.count("\u2036") // 2 >= 4 else s
        out.append(_REF_DIGITS.sub("0", _REF_MONTHS.sub("\u2036M\u2036", line)) if _REF_DIGITS.search(line) else line)
    return out


_MASK_PIECES = ['"', "“", "”", "„", "»", "«", "‘", "’", "'", "\u2036", " ", "\n", ".", ",", ":", "/", "_", "3", "٣", "12",
                "Mar", "march", "märz", "MAY", "mai", "maı", "İ", "ß", "sept", "Dez.", "janX", "x", "word", "quoted text",
                "a longer quoted span of text", "ǅ", "\ud800"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_MASK_PIECES), max_size=40), st.one_of(st.none(), st.sampled_from(
    ["quoted text", "A longer quoted span", "Mar 3, 2024 x", "short"])))
def test_compiled_masks_equal_the_regular_expressions(pieces, title):
    lines = "".join(pieces).split("\n")
    assert masks(lines, title) == _reference_masks(lines, title)


def test_compiled_masks_equal_the_regular_expressions_on_fixture_pages():
    for page in _fixture_pages():
        for title in (None, page[0] if page else None):
            assert masks(page, title) == _reference_masks(page, title)


def test_mask_hides_what_varies_but_not_whole_quotes():
    a = mask('Comment on "Bridge opens in May" here and tell us what you think', None)
    b = mask('Comment on "Ferry strike ends" here and tell us what you think', None)
    assert a == b
    assert mask("Published 3 May 2024") == mask("Published 17 June 2023")
    assert mask("“We will never give up.”") != mask("“The river is rising.”")


def test_near_copies_on_one_site_keep_their_text():
    pages = _site_pages(2)
    text = pages[0][2]
    arts = [_article("a", text, "copies.example"), _article("b", text, "copies.example")]
    clean_corpus(arts, _no_profiles())
    for a in arts:
        kept = a.text.split("\n\n")
        assert kept[:len(pages[0][1])] == pages[0][1]   # the shared prose is not mistaken for a template


# --- explain records and determinism -------------------------------------------------------------

def test_removed_lines_and_text_partition_the_page():
    pages = _site_pages(3)
    arts = [_article(f"p{i}", t, "s") for i, (_, _, t) in enumerate(pages)]
    before = {a.id: _lines(a.text) for a in arts}
    clean_corpus(arts, _no_profiles())
    for a in arts:
        kept = a.text.split("\n\n")
        removed = [l for l, _ in a.removed]
        assert sorted(kept + removed) == sorted(before[a.id])
        assert all(isinstance(r, str) and r.split(":")[0] in {"template", "footer", "rule", "title", "profile"}
                   for _, r in a.removed)


def test_deterministic():
    def run():
        arts = [_article(f"p{i}", t, "s") for i, (_, _, t) in enumerate(_site_pages(5))]
        arts.append(_article("en", (FIX / "en_full_page.txt").read_text(encoding="utf-8"), "other"))
        tpl = clean_corpus(arts, _no_profiles())
        return json.dumps(tpl, sort_keys=True), [(a.text, a.title, a.removed) for a in arts]
    assert run() == run()


def test_skips_articles_that_are_not_alive():
    a = _article("x", "Home\nShare\nSome text here.", "s")
    a.drop("too_short")
    clean_corpus([a], _no_profiles())
    assert a.text == "Home\nShare\nSome text here." and a.removed == []


# --- site profiles ---------------------------------------------------------------------------------

def test_example_profile_is_used_only_for_its_site():
    text = ("Skip to main content\nHeadline: Tides reach record height\n"
            + "The harbour master said the tide reached its highest level since records began in the town.\n" * 2
            + "Advertisement\nMore from Example News\nA teaser that should go")
    cfg = BoilerplateConfig(sites_dir=str(REPO / "configs" / "sites"), single_page_rules=False)
    a = _article("a", text, "example.org")
    b = _article("b", text, "elsewhere.example")
    clean_corpus([a, b], cfg)
    assert a.title == "Tides reach record height"
    assert a.text.split("\n\n") == ["The harbour master said the tide reached its highest level since records began in the town."] * 2
    assert {r for _, r in a.removed} == {"profile:cut_until", "profile:title", "profile:drop", "profile:cut_from"}
    assert "Advertisement" in b.text


def test_bad_profile_is_a_clear_error(tmp_path):
    (tmp_path / "x.toml").write_text('site = "x.example"\ndrop = ["(broken"]\n', encoding="utf-8")
    with pytest.raises(BuilderError):
        clean_corpus([_article("a", "text", "x.example")], BoilerplateConfig(sites_dir=str(tmp_path)))


def test_a_recrawled_story_is_not_learned_as_its_sites_template():
    story_x = ["The river authority opened the new flood barrier on Monday after four years of "
               "construction, and said it would protect about two thousand homes in the old town.",
               "Engineers tested the gates twice during the winter storms, when the water rose higher "
               "than at any time since records began, and both tests went without a problem."]
    story_y = ["A small bookshop in the market hall celebrated its fiftieth birthday with readings by "
               "local authors and a long queue of customers who came to buy a signed copy.",
               "The owner, who took over from her father twenty years ago, said that the shop had "
               "survived because its readers kept coming back, even when prices went up."]
    footer = ["Sign up for our morning briefing", "Follow us on social media",
              "All content copyright of the publisher, reproduction only with permission"]
    pages = {
        "x1": ["Home", "Local", *story_x, *footer],
        "x2": ["Home", "Sport", "Weather", *story_x, "Most read today", *footer],
        "y1": ["Home", "Local", *story_y, *footer],
    }
    arts = [_article(k, "\n".join(v), "river-news") for k, v in pages.items()]
    templates = clean_corpus(arts, _no_profiles())
    for a in arts:
        body = story_y if a.id == "y1" else story_x
        assert _lines(a.text)[-len(body):] == body or all(p in a.text for p in body), a.id
        assert "Follow us on social media" not in a.text
    learned = [line.casefold() for line in templates["river-news"]["lines"]]
    assert not any("flood barrier" in line for line in learned)


def test_an_updated_story_on_a_two_page_site_keeps_its_paragraphs():
    paras = ["The harbour authority will run ferries until midnight from next month, after a year of "
             "complaints from shift workers who could not get home from the late shift.",
             "The new timetable adds four sailings on weekdays and two on Sundays, and fares stay the "
             "same although the authority will review prices in the autumn.",
             "Local councillors welcomed the change but asked for better lighting at the northern pier, "
             "where the last boats of the night will dock from now on.",
             "Passengers will be able to buy tickets on board with a card, the authority said, so the "
             "ticket office at the pier can close earlier in the evening."]
    footer = ["Share this article", "Sign up for our newsletter", "© 2026 The Gazette"]
    first = [paras[0], *paras[1:], *footer]
    update = [paras[0].replace("next month", "April"), *paras[1:],
              "Update: the first late sailing leaves on April 3, the authority confirmed on Monday.", *footer]
    arts = [_article("v1", "\n".join(first), "gazette"), _article("v2", "\n".join(update), "gazette")]
    clean_corpus(arts, _no_profiles())
    for a in arts:
        for p in paras[1:]:
            assert p in a.text, a.id


def test_a_recrawled_japanese_story_keeps_its_paragraphs_in_both_renderings():
    """Chinese and Japanese paragraphs have no spaces: counted by spaces, they were no prose, the
    second rendering of the story was counted as another page, and its paragraphs became the
    site's template on the rendering with more furniture."""
    paras = ["港の管理局は来月から深夜までフェリーを運航すると発表した。夜勤の労働者から一年にわたり苦情が寄せられていた。",
             "新しい時刻表では平日に四便、日曜日に二便が追加される。運賃は据え置かれるが、秋に見直される予定だ。",
             "地元の議員はこの変更を歓迎したが、北側の桟橋の照明を改善するよう求めた。最終便はそこに着く。"]
    menu = ["ホーム", "ニュース", "地域", "天気", "スポーツ", "お問い合わせ", "サイトマップ", "カテゴリ",
            "港湾 (12)", "交通 (30)", "行政 (8)", "文化 (21)", "教育 (5)", "経済 (17)", "観光 (9)"]
    full = ["深夜のフェリー運航へ | 港町新聞", *menu, "深夜のフェリー運航へ", *paras, "関連記事", *menu]
    loose = ["深夜のフェリー運航へ", *paras]
    arts = [_article("v#full", "\n".join(full), "port-news"), _article("v#loose", "\n".join(loose), "port-news")]
    for a in arts:
        a.url = "https://port.example/news/ferries"
    clean_corpus(arts, _no_profiles())
    for a in arts:
        assert all(p in a.text for p in paras), a.id


def test_a_page_crawled_twice_at_one_address_keeps_its_paragraphs_however_much_changed():
    """The second crawl or rendering of an address is never counted for the template, even when
    most of its prose is new (an extractor's rendering with the comments, a story that grew)."""
    story = ["The harbour authority will run ferries until midnight from next month, after a year of "
             "complaints from shift workers who could not get home from the late shift.",
             "The new timetable adds four sailings on weekdays and two on Sundays, and fares stay the "
             "same although the authority will review prices in the autumn."]
    comments = ["I have taken the last ferry home for years and waited an hour on the pier every night, so "
                "this change will make my evenings a great deal easier.",
                "Good news at last, although the northern pier is still far too dark in winter and somebody "
                "will slip on the wet steps one of these nights.",
                "Will the cafe on the main pier stay open later as well, or will we be standing in the cold "
                "until the boat arrives just as we do now?",
                "My daughter works nights at the hospital across the water and she has been asking for exactly "
                "this change since the old timetable came in."]
    menu = ["Home", "News", "Sport", "Weather", "Contact"]
    full = ["Ferries until midnight | The Gazette", *menu, *story, "Share this article", "© 2026 The Gazette"]
    extracted = ["Ferries until midnight", *story, *comments]
    arts = [_article("f#full", "\n".join(full), "gazette"), _article("f#loose", "\n".join(extracted), "gazette")]
    arts[0].url = "https://www.gazette.example/news/ferries/"
    arts[1].url = "https://gazette.example/news/ferries?utm_source=feed"
    templates = clean_corpus(arts, _no_profiles())
    for a in arts:
        assert all(p in a.text for p in story), a.id
    assert "gazette" not in templates      # one page counted: no template


def test_an_address_that_names_its_story_in_the_query_is_another_page():
    keys = [page_keys(u, None, ["Headline"]) for u in (
        "http://news.example/view.html?idx=8576&page=1", "http://news.example/view.html?page=1&idx=8576&utm_medium=x",
        "http://news.example/view.html?idx=8723&page=1")]
    assert keys[0] == keys[1] and keys[0][0] != keys[2][0]


_RELATED = ["The council approved a new budget for the harbour district after a long debate "
            "about parking, ferries and the future of the old fish market on the quay.",
            "Two schools in the valley will merge next year, the education office said, because "
            "both have lost a third of their pupils since the factory closed.",
            "The summer festival returns to the castle grounds with three stages, a night market "
            "and, for the first time, a programme for children in the afternoon."]
_STORY_A = ["The river authority opened the new flood barrier on Monday after four years of construction, "
            "and said it would protect about two thousand homes in the old town from the spring floods.",
            "Engineers tested the gates twice during the winter storms, when the water rose higher than at "
            "any time since records began, and both tests went without a problem."]
_STORY_B = ["A small bookshop in the market hall celebrated its fiftieth birthday with readings by local "
            "authors and a long queue of customers who came to buy a signed copy of the anniversary book.",
            "The owner, who took over from her father in the spring of 2006, said that the shop had survived "
            "because its readers kept coming back, even when prices went up and the rent doubled."]


def _with_url(id_: str, lines: list[str], url: str) -> Article:
    a = _article(id_, "\n".join(lines), "valley-news")
    a.url = url
    return a


def test_two_stories_sharing_a_block_of_teasers_learn_it_as_template():
    """Different addresses and headlines: two stories, though most of their prose is the same block
    of related stories; the block is the site's template and leaves both."""
    arts = [_with_url("a", ["Flood barrier opens", *_STORY_A, *_RELATED], "https://valley.example/news/barrier"),
            _with_url("b", ["Bookshop turns fifty", *_STORY_B, *_RELATED], "https://valley.example/news/bookshop")]
    clean_corpus(arts, _no_profiles())
    for a, story in zip(arts, (_STORY_A, _STORY_B)):
        assert all(p in a.text for p in story), a.id
        assert not any(r in a.text for r in _RELATED), a.id


@pytest.mark.parametrize("second_url, second_head", [
    ("https://valley.example/news/barrier-2", "Flood barrier opens"),       # one story at a second address
    ("http://www.valley.example/news/barrier/?utm=x", "Barrier opens at last"),  # an update: same address
    (None, "Barrier opens at last"),                                         # no address to tell
])
def test_one_story_twice_is_not_learned_as_template(second_url, second_head):
    """The same story under another address with its headline, or at its address under a new
    headline, or without any address: a repeat, whose paragraphs stay in both copies."""
    first = _with_url("a", ["Flood barrier opens", *_STORY_A, *_RELATED], "https://valley.example/news/barrier")
    update = ["Update: the barrier closed for the first time tonight, two hours before the high tide, and "
              "the authority said the water on the town side stayed a metre below the quay.",
              "Residents of the lower streets, who had moved their cars to the hill as a precaution, were "
              "allowed to return shortly after midnight, the police said in a statement.",
              "The mayor thanked the crews who worked through the night and said the town would hold a small "
              "ceremony at the barrier once the spring floods are over."]
    second = _with_url("b", [second_head, *_STORY_A, *update, *_RELATED], second_url)
    clean_corpus([first, second], _no_profiles())
    for a in (first, second):
        assert all(p in a.text for p in _STORY_A), a.id


def test_text_framed_by_the_site_template_goes_on_over_its_short_lines():
    """Below its last paragraph an article may go on in lines too short for prose (a list of
    features); on a page its site's template frames, they are text up to the footer template,
    while a bare label ("Share") ends the text on the page it stands in."""
    header = ["Valley Games", "Home", "Games", "Blog", "Shop", "Account"]
    footer = ["Earlier entries", "Later entries", "Write to the studio", "All rights reserved by the studio"]
    intro = ["The autumn pack of our card game brings new tasks for two players, a faster start and a "
             "new deck that was drawn by the same artist who drew the first edition of the game.",
             "It is free for everyone who bought the game before, and the update reaches every phone and "
             "tablet over the next few days, starting with the players who asked for it in the spring."]
    features = ["Forty fresh evening tasks with candles and music", "Tricky partner knowledge questions, twelve levels",
                "Weekly challenges lasting beyond final rounds", "Improved small phone support, tablets too"]
    other = ["The studio moved to a bigger office in the old mill this spring, and the team of four "
             "will grow to six people before the end of the year, the founder said on Monday."]
    pages = [_article("p1", "\n".join([*header, "Autumn pack", *intro, *features, *footer]), "valley-games"),
             _article("p2", "\n".join([*header, "New office", *other, "Share", "Moving day photos", *footer]),
                      "valley-games"),
             _article("p3", "\n".join([*header, "Summer sale", *other[0].split(", ", 1), *footer]), "valley-games")]
    clean_corpus(pages, _no_profiles())
    assert _lines(pages[0].text) == [*intro, *features]
    assert "Moving day photos" not in pages[1].text and other[0] in pages[1].text


def test_a_latest_news_list_of_teasers_ends_the_article():
    """A "Latest news" heading followed by long excerpts, each closed by "Read more": a list of
    teasers, not an inline box after which the article goes on."""
    body = [f"Paragraph {n} of the report: the council met on Tuesday evening to discuss the new harbour "
            f"plan, and after a long debate about ferries, parking and the old fish market on the quay the "
            f"members agreed to ask the residents again before the summer, the mayor said." for n in "ABCDEF"]
    teasers = [f"Teaser {n}: the school in the valley will merge with its neighbour next year, because both "
               f"have lost a third of their pupils since the factory closed, and the parents asked the "
               f"education office for a bus that takes the children from the villages every morning, which the "
               f"office has promised to look at before the new school year begins in the autumn." for n in "XYZ"]
    page = ["Harbour plan goes back to residents", *body, "Latest news"]
    for head, teaser in zip(("School merger", "Valley bus", "New timetable"), teasers):
        page += [head, teaser, "Read more"]
    a = _article("n", "\n".join(page), "one-page-site")
    clean_corpus([a], _no_profiles())
    assert _lines(a.text) == body


# --- the batch (column) computation against the per-line definition ---------------------------

_PY_WORD = re.compile(r"\w+")


def _py_words(text: str) -> list[str]:
    """Words by their definition, a character at a time: a word character starts a word, which goes
    on over word characters and combining marks."""
    out: list[str] = []
    cur = ""
    for c in text:
        if c.isalnum() or c == "_" or (cur and unicodedata.category(c).startswith("M")):
            cur += c
        else:
            if cur:
                out.append(cur)
            cur = ""
    return out + [cur] if cur else out


@cache
def _stoplist(lang: str) -> frozenset[str]:
    return frozenset(w.casefold() for w in justext.get_stoplist(lang))


def _reference_stoplist(words: list[str]) -> frozenset[str]:
    counts = Counter(words)
    votes = [(sum(c for w, c in counts.items() if w in _stoplist(lang)), lang) for lang in sorted(justext.get_stoplists())]
    best = max(v for v, _ in votes)
    return _stoplist(next(lang for v, lang in votes if v == best)) if best else frozenset()


def _reference_features(lines: list[str], rules, p: L.Params) -> list[tuple | None]:
    """The single-page features computed line by line, straight from their definition."""
    toks = [_py_words(l.casefold()) for l in lines]
    unspaced = [int(sum(_count(l, cls) / per for cls, per in UNSPACED)) if l else 0 for l in lines]
    # the language sample: the first words of prose-long lines, or of all lines when those are few
    long_words = [t for t, u in zip(toks, unspaced) if len(t) + u >= p.good_words]
    sample = long_words if sum(map(len, long_words)) >= L._LANG_LONG_WORDS else toks
    stops = _reference_stoplist(list(islice(chain.from_iterable(sample), STOP_SAMPLE)))
    if sum(unspaced) > 0.5 * sum(len(t) + u for t, u in zip(toks, unspaced)):
        stops = frozenset()     # mostly Chinese, Japanese or Thai: no stop list applies
    seen = Counter(lines)
    sure = {r.name for r in rules.rules if r.in_prose}
    out: list = []
    quotes = []
    for text, t, u in zip(lines, toks, unspaced):
        if not text:
            out.append(None)
            continue
        n = len(t) + u
        stop = 1.0 if not stops else sum(w in stops for w in t) / n if n >= p.medium_words else 0.0
        bullet = text[0] in "-*•·▪►»›0123456789" and L.BULLET.match(text) is not None
        body = text[2:] if bullet else text
        prose = listing = False
        if n >= p.good_words:
            punct = (body[-1] in L.END_CHARS or L.SENTENCE_INSIDE.search(body) is not None
                     or 2 * _count(text, UNPUNCTUATED) >= len(text))
            prose = (punct and stop >= p.punct_stop) or (n >= p.long_words and stop >= p.good_stop and bool(stops))
            listing = (not punct and p.list_words <= len(t) <= p.list_max and len(set(t)) < p.list_distinct * len(t)) or (
                "</" in text and len(L.MARKUP.findall(text)) >= p.markup_tags)
        rule, wide, cut = (rules._judge(body, t, p.soft_scale) if len(t) <= rules.top_words * p.soft_scale
                           else (None,) * 3)
        prose = prose and rule not in sure     # furniture however long (`in_prose` rules)
        f = [text, n, stop, prose, bullet, rule, cut, text.startswith("|") and text.endswith("|"), seen[text] > 1,
             wide is not None, listing]
        out.append(f)
        if n <= 60 and re.search("[\"“„»«‘']", text):
            quotes.append((f, [q[1:-1].strip().casefold() for q in QUOTED.findall(text)]))
    count = Counter(q for _, qs in quotes for q in qs)
    prompts = {q for f, qs in quotes if f[9] for q in qs if count[q] >= 2 and len(_py_words(q)) >= 5}
    for f, qs in quotes:
        f[9] = f[9] or not prompts.isdisjoint(qs)
    # rows of a table without bars: mostly numbers, in a run of such lines (blank lines between them allowed)
    row = [f is not None and sum(re.fullmatch("[0-9]+", w) is not None for w in t) >= max(
        p.table_numbers, p.table_number_share * len(t)) for f, t in zip(out, toks)]
    run: list[int] = []
    for i, f in enumerate(out + [None, ["end"]]):
        if f is None:
            continue
        if i < len(out) and row[i]:
            run.append(i)
            continue
        if len(run) >= p.table_rows:
            for k in run:
                out[k][7] = True
        run = []
    return [None if f is None else tuple(f) for f in out]


def _count(line: str, cls: str) -> int:
    return pc.count_substring_regex(column(line), f"[{cls}]")[0].as_py()


def _as_tuples(feats) -> list[tuple | None]:
    return [None if f is None else (f.text, f.words, f.stop, f.prose, f.bullet, f.rule, f.cut, f.table, f.repeated,
                                    f.soft, f.listing) for f in feats]


_STANDINGS = ["Final standings after 22 rounds:", "Pos. Rider Points Wins Poles", "1 Ann Lee 912 4 2 11",
              "2 Bo Diaz 871 3 1 10", "", "3 Cy Moe 790 2 3 8", "4 Di Fox 702 1 0 6", "Full calendar"]


_TRICKY = [
    "- Home", "* Share this article", "1. Read more", "12) Sign up for our newsletter", "• Kontakt", "١. Unicode digit",
    "| a | table | row |", "|", "Comments (12)", "3 comments", "Leave a comment", "Jane Doe says:", "Das Ende",
    "İmpressum", "Istanbul İstiklal Caddesi ve İzmir", "straße STRASSE Straße", "ǰ is a letter with a mark",
    "Emoji 🎉 line with 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 letters", "Photo: Jane Doe / Reuters", "Updated 3 May 2024, 10:45",
    "© 2024 The Gazette. All rights reserved.", "Follow us on Google News", "Don't miss a thing: subscribe now",
    "m/w/d Redakteur gesucht", "Related articles", "Read next: the harbour", "<p>a</p><p>b</p>" * 6 + " word " * 10,
    "apple banana apple banana apple banana apple banana apple banana apple banana apple banana apple banana",
    "Comment on \"Bridge opens in May after years of delay\"", "Share \"Bridge opens in May after years of delay\"",
    "He said the bridge opens in May. It will be busy.", "word\u00a0word\u2009word and a no-break space. Then more",
    "\u2028separator", "x", "東京の新しい橋は五月に開通する予定です。", "サイトマップ", "สะพานใหม่เปิดในเดือนพฤษภาคม",
    "橋 bridge ブリッジ สะพาน and more words to make it long enough for prose tests here",
    "नई पुल मई में खुलेगी और शहर के लोग इसका लंबे समय से इंतज़ार कर रहे थे। यह अच्छा है",
    *_STANDINGS, "\u0947 a mark first, then ❤\ufe0f an emoji with its variation selector", "अरबी اَلْعَرَبِيَّة harakat", "a lone \ud800surrogate - Share", "Σ ΣΟΦΙΑ ΟΔΟΣ", "«Zitat» und „Anführung“", "   ", "...", "12:45", "2024-05-03",
]


def _fixture_pages() -> list[list[str]]:
    pages = [(FIX / name).read_text(encoding="utf-8").split("\n") for name in ("en_full_page.txt", "de_full_page.txt")]
    pages += [p.read_text(encoding="utf-8").split("\n") for p in sorted((FIX / "it-boltwise").glob("*.txt"))]
    return pages + [_TRICKY, _TRICKY[::-1] + _TRICKY[:5], ["", "1234", "!!!"], [""]]


def _every_rule_hit(rules, line: str, tokens: list[str], n: float) -> list[int]:
    """`Rules._hits` from its definition: every rule's patterns tried in Python, no RE2 screen."""
    hit = set(rules._hits(line, tokens, n, patterns=False))
    low = line.lower()
    for i, r in enumerate(rules.rules):
        text = low if r.lower else line
        if n <= r.max_words and ((r.starts is not None and r.starts.match(text))
                                 or (r.ends is not None and r.ends.search(text[-100:]))
                                 or (r.patterns is not None and r.patterns.search(text))):
            hit.add(i)
    return sorted(hit)


def test_rules_tried_on_a_line_are_those_re2_names_and_no_hit_is_lost(tmp_path):
    extra = tmp_path / "rules.toml"
    extra.write_text("[rule.twice]\nmax_words = 6\nstarts = ['(?P<w>echo) (?P=w)$']\n"
                     "[rule.behind]\nmax_words = 6\npatterns = ['(?<=\\d )apples', 'pears']\n", encoding="utf-8")
    lines = {l for page in _fixture_pages() for l in page if l}
    lines |= {l[2:] for l in lines if len(l) > 2} | {"Echo echo", "We sold 3 apples", "İNDİR Share", "Teilen İ"}
    for rules in (load_rules(), load_rules(str(extra))):
        assert rules.screen.unscreened or rules is load_rules()
        for line in sorted(lines):
            toks = _py_words(line.casefold())
            for n in (len(toks), len(toks) / 1.5):
                assert rules._hits(line, toks, n) == _every_rule_hit(rules, line, toks, n), line
    assert {load_rules(str(extra)).rules[i].name for i, _ in load_rules(str(extra)).screen.unscreened} == {"twice", "behind"}


def test_table_rows_without_bars_are_a_table_but_not_links_that_carry_numbers():
    rules, p = load_rules(), L.Params()
    seo = [f"Open 24/7 laundry in {code}, Valley District" for code in ("41207", "41209", "41210", "41212", "41215")]
    page = ["1 2 3 4 5", "", *_STANDINGS, "", *seo, "", "5 out of 10 readers said 3 or 4 times"]
    table = {f.text for f in L.features(page, rules, p) if f is not None and f.table}
    assert table == set(_STANDINGS[2:4] + _STANDINGS[5:7])     # the four rows, across the blank line
    assert not {f.text for f in L.features(_STANDINGS[:4], rules, p) if f is not None and f.table}   # two rows: no run


def test_batch_features_equal_the_per_line_definition():
    rules, p = load_rules(), L.Params()
    pages = _fixture_pages()
    batch = L.features_many(pages, rules, p)
    for page, feats in zip(pages, batch):
        assert _as_tuples(feats) == _reference_features(page, rules, p)
    assert _as_tuples(L.features(pages[0], rules, p)) == _as_tuples(batch[0])   # one page alone: the same
    assert L.features_many([], rules, p) == [] and L.features_many([[]], rules, p) == [[]]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.one_of(st.sampled_from(_TRICKY), st.text(alphabet="aäİıß Ǆ1.,:;|-\"'«»“”‘’📌\u00a0\u0307ΣxyzAB橋の。ไ।\u093e\u0947❤\ufe0f",
                                                                         max_size=40)), max_size=12), max_size=4))
def test_batch_features_equal_the_per_line_definition_on_random_pages(pages):
    rules, p = load_rules(), L.Params()
    for page, feats in zip(pages, L.features_many(pages, rules, p)):
        assert _as_tuples(feats) == _reference_features(page, rules, p)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=" a\tB\u00a0\u3000\x1c\x0bßİΣ\u2028\u200b", max_size=12), max_size=8))
def test_batch_keys_are_the_lines_casefolded_with_spaces_collapsed(page):
    page = [l.replace("\n", " ") for l in page]
    assert L.batch_features([page], load_rules(), L.Params()).keys == [" ".join(l.split()).casefold() for l in page]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(alphabet=" a\tß\u00a0\u3000\x1c\u2028\"“„»«‘'</>xΣ橋のไ\u10a0\u0130\u0149ǅ.…)。", max_size=14), max_size=8))
def test_line_facts_of_the_word_pass_mean_what_they_say(page):
    lines = [l.replace("\n", " ") for l in page] or [""]
    _, _, facts = scan("\n".join(lines).casefold())      # as the features call it: on casefolded text
    script = matches(column("\n".join(lines)), "[" + "".join(c for c, _ in UNSPACED) + UNPUNCTUATED + "]")
    for line, f, has_script in zip(lines, facts.tolist(), script.tolist(), strict=True):
        assert bool(f & SPACED) == (" ".join(line.split()) != line)
        assert bool(f & QUOTE) == any(q in line for q in QUOTE_MARKS)
        assert bool(f & CLOSING_TAG) == ("</" in line)
        assert bool(f & WIDE) or not has_script
        assert bool(f & ENDS) == (line[-1:] in tuple(END_MARKS))
    assert empty(column("\n".join(lines))).tolist() == [not line for line in lines]
    assert empty(column("\n".join(lines)).slice(1)).tolist() == [not line for line in lines[1:]]


def test_no_character_casefolds_to_or_from_a_line_end_mark():
    # the ENDS fact is read on casefolded text but speaks of the line as printed
    for c in range(0x110000):
        ch = chr(c)
        assert (ch in END_MARKS) == (ch.casefold()[-1:] in tuple(END_MARKS))


def test_scripts_without_spaces_or_stops_lie_where_the_word_pass_looks_for_them():
    points = np.array([c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and not (0xE00 <= c < 0x2000 or c >= 0x2E80)])
    every = pa.array(["".join(map(chr, points))])
    assert not pc.match_substring_regex(every, "[" + "".join(c for c, _ in UNSPACED) + UNPUNCTUATED + "]")[0].as_py()


def test_user_rules_that_re2_cannot_run_fall_back_to_python(tmp_path):
    extra = tmp_path / "rules.toml"
    extra.write_text("[rule.twice]\nmax_words = 6\nstarts = ['(?P<w>echo) (?P=w)$']\n"
                     "[rule.behind]\nmax_words = 6\npatterns = ['(?<=\\d )apples']\n"
                     "[rule.tail]\nmax_words = 6\nends = ['^the end']\n", encoding="utf-8")
    rules, p = load_rules(str(extra)), L.Params()
    assert len(rules.screen.python) == 2                 # the lookbehind and the backreference
    page = ["Echo echo", "- echo ECHO", "We sold 3 apples", "We sold apples", "The end", "- the end", "nothing here"]
    assert _as_tuples(L.features(page, rules, p)) == _reference_features(page, rules, p)
    assert [f.rule for f in L.features(page, rules, p)] == ["twice", "twice", "behind", None, "tail", "tail", None]


def test_re2_classes_mean_what_python_means():
    chars = [chr(i) for i in range(0x110000) if not 0xD800 <= i < 0xE000]
    col = pa.array(chars)
    space = pc.match_substring_regex(col, f"^[{SPACE}]$").to_pylist()
    assert space == [re.match(r"\s", c) is not None for c in chars]
    word = _members()[0]
    assert [bool(word[ord(c)]) for c in chars] == [re.match(r"\w", c) is not None for c in chars]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="ab Z_9.\n\u00e9\u0301\u093e\u0915\u0e32\u0e01\u65e5\ud800\U0001f389-", max_size=12), max_size=6))
def test_tokens_are_the_words_of_each_line(lines):
    text = "\n".join(lines)
    col, parent = tokens(text)
    want = [(i, w) for i, line in enumerate(text.split("\n")) for w in words(line)]
    assert list(zip(parent.tolist(), col.to_pylist())) == want


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefhiklmnoprstuvwxyz ABZ019.,:;/()|-_©→İıß\u00a0\u2009\u0307é日", max_size=30))
def test_screens_match_wherever_the_python_pattern_does(line):
    patterns = [r"(\d+|one) (comments?|replies)\b", r"[A-ZÀ-Ö][\w.\-]+( [A-Z][\w.\-]+){0,3} (is an?)",
                r"\W{0,3}\)?$", r"\bab\b", r"\Bb\B", r"(?:©|\(c\) ?\d{4})", r"[\w]+ [\d]+$", r"\S+\s+\S",
                r"^a|b$", r"[\s\S]c", r"\D+ uv$"]
    text, starts = joined([line])
    for pat in patterns:
        rx = screen(pat)
        assert rx is not None, pat
        if re.search(pat, line):
            assert line_matches(text, starts, rx).tolist() == [True], (pat, line)
    assert screen(r"(?<=a)b") is None and screen(r"(a)\1") is None and screen("(?i)a") is None
    assert screen(r"[^\w]") is None and screen(r"[^\d\s]+ x") is None and screen("a{,3}") is None
    assert screen(r"a\Cb") is None


_LINE_PATTERNS = [r"^ab", r"b$", r"\Aa", r"a\z", r"(?i)^A[^x]*B$", r"[^a]+", r"a\s+b", r"a\S*$", r"[\x00-\x{10ffff}]{3}",
                  r"^$", r"x*", r"(?i)é|ß", r"b[\s\S]?a", r"\W\W"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="abAB xé\u00a0\t.\ud800ß", max_size=8), max_size=6))
def test_patterns_run_over_joined_lines_match_as_on_each_line_alone(lines):
    # one text for a batch must not let a match span two lines, nor ^ $ \A \z miss a line's edges
    text, starts = joined(lines)
    col = column("\n".join(lines))
    for rx in _LINE_PATTERNS:      # Arrow matches each line alone
        assert line_matches(text, starts, rx).tolist() == matches(col, rx).tolist(), (rx, lines)


def test_column_splits_like_str_split():
    for text in ("", "a", "a\n", "\n", "é\n\nü 🎉\nlast", "\r\n\u2028x\n"):
        assert column(text).to_pylist() == text.split("\n")


def _reference_mask(line: str, title: str | None) -> str:
    s = line.casefold()
    masked = s
    if title and len(title) >= 8:
        masked = masked.replace(title.casefold(), "\u2036T\u2036")
    masked = QUOTED.sub("\u2036Q\u2036", masked)
    if masked != s and len(_PY_WORD.findall(masked)) - masked.count("\u2036") // 2 >= 4:
        s = masked
    if re.search(r"\d", s):
        months = re.compile(r"\b(?:jan(?:uary|uar)?|feb(?:ruary|ruar)?|m(?:ar(?:ch)?|ärz)|apr(?:il)?|ma[iy]|jun[ei]?|"
                            r"jul[iy]?|aug(?:ust)?|sep(?:t(?:ember)?)?|o[ck]t(?:ober)?|nov(?:ember)?|"
                            r"de[cz](?:ember)?)\b\.?", re.IGNORECASE)
        s = re.sub(r"\d+(?:[.,:/]\d+)*", "0", months.sub("\u2036M\u2036", s))
    return s


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_TRICKY + ["Published 3 May 2024", "mayıs 3 aprıl", "Maı 5", "Comment on "
                                                      "\"Bridge opens in May\" here and tell us"]),
                          st.text(alphabet="maijunlyprsep \"“”'0123456789ıİ.", max_size=25)), max_size=8),
       st.one_of(st.none(), st.sampled_from(["Bridge opens in May", "short", "Title\nwith a break"])))
def test_page_masks_equal_the_per_line_mask(lines, title):
    assert masks(lines, title) == [_reference_mask(l, title) for l in lines]
    assert [line_hash(l, title) for l in lines] == [line_hash(l, title) for l in lines]


def test_apply_many_equals_apply_one_by_one():
    pages = [(FIX / name).read_text(encoding="utf-8") for name in ("en_full_page.txt", "de_full_page.txt")]
    seeds, _ = _seeds()
    arts = [_article(f"p{i}", t, "one-page.example") for i, t in enumerate(pages)] + seeds
    cleaner = Cleaner(_no_profiles())
    learned = learn_templates(seeds, cleaner)
    templates = [None, None] + [learned["it-boltwise"]] * len(seeds)
    one = [Article(id=a.id, text=a.text, site=a.site) for a in arts]
    many = [Article(id=a.id, text=a.text, site=a.site) for a in arts]
    for a, t in zip(one, templates):
        cleaner.apply(a, t)
    cleaner.apply_many(many, templates)
    assert [(a.text, a.title, a.removed) for a in one] == [(a.text, a.title, a.removed) for a in many]


def test_mark_table_covers_every_code_point():
    """`codepoints.marks` looks for marks in two ranges only: none lies elsewhere."""
    every = np.fromiter((unicodedata.category(chr(i))[0] == "M" for i in range(codepoints.SIZE)),
                        dtype=bool, count=codepoints.SIZE)
    assert (codepoints.marks() == every).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.text(alphabet="aeinrstuäößéıкто的 ", max_size=8), st.sampled_from(sorted(stopwords._index()[0])[:2000])),
                max_size=60))
def test_stop_word_ids_from_the_compiled_table_equal_the_dictionary(words):
    rows = stopwords._index()[0]
    encoded = pa.array(words, pa.large_string()).dictionary_encode()
    assert stopwords.word_ids(encoded).tolist() == [rows.get(w, -1) for w in words]
    assert stopwords.word_ids(encoded.slice(1)).tolist() == [rows.get(w, -1) for w in words[1:]]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from("İΣσςßẞﬁǅ\u0345\n "),
               max_size=60))
def test_compiled_casefold_is_pythons(text):
    folded, points = casefold(text)
    assert folded == text.casefold()
    assert "".join(map(chr, points.tolist())) == folded
    assert scan(folded, points)[0].to_pylist() == scan(folded)[0].to_pylist()


def test_no_character_beyond_the_fold_table_changes_under_casefold():
    from builder.boilerplate.columns import _FOLDED_BELOW
    assert all(chr(c).casefold() == chr(c) for c in range(_FOLDED_BELOW, 0x110000))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab.U S,é_1 ", max_size=90))
def test_a_headline_shape_reads_an_abbreviation_at_the_end_as_a_search_of_the_whole_line_does(text):
    line = text + "."
    full = not (line.startswith(("- ", "* ", "|")) or line.endswith((",", ";")) or not ABBREVIATION.search(line))
    assert _headline_shape(line) == full


def test_a_headline_may_end_in_an_abbreviation_but_not_in_a_full_stop():
    assert _headline_shape("Talks in the U.S.") and _headline_shape("In the " + "U." * 30)
    assert not _headline_shape("He said it is done.") and not _headline_shape("A word xab.c.")
    assert not _headline_shape("x" * 60 + "b.c.")      # the letter before the run is still seen
