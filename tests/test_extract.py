"""HTML -> text: trafilatura's main text in the cleaner's plain-text shape."""
from __future__ import annotations

from pathlib import Path

from builder.article import Article
from builder.boilerplate import clean_corpus
from builder.config import BoilerplateConfig
from builder.extract import extract_html
from builder.normalize import normalize_text

FIX = Path(__file__).parent / "fixtures" / "boilerplate"


def _page() -> Article:
    return Article(id="p", html=(FIX / "page.html").read_text(encoding="utf-8"), site="ledger.example")


def test_extracts_paragraphs_lists_and_title():
    a = _page()
    extract_html(a)
    assert a.alive and a.html is None
    assert a.title and a.title.startswith("Lighthouse keeper retires after forty years")
    paragraphs = a.text.split("\n\n")
    assert any(p.startswith("The last keeper of the northern lighthouse") for p in paragraphs)
    assert "- Built in 1872 from local granite\n- Automated in 1995 after a long campaign" in paragraphs
    assert "Home" not in paragraphs and not any("All rights reserved" in p for p in paragraphs)


def test_keeps_a_given_title():
    a = _page()
    a.title = "Given title"
    extract_html(a)
    assert a.title == "Given title"


def test_unreadable_html_is_quarantined():
    for html in ("", "<html><body></body></html>", "<html><body><script>var x = 1;</script></body></html>"):
        a = Article(id="x", html=html)
        extract_html(a)
        assert a.status == "quarantined" and a.reason == "unreadable:html" and a.html is None


def test_text_input_is_left_alone():
    a = Article(id="t", text="plain text")
    extract_html(a)
    assert a.text == "plain text" and a.alive


def test_extracted_text_goes_through_the_template_layer():
    arts = []
    for i, topic in enumerate(("harbour", "ferry", "museum")):
        a = _page()
        a.html = a.html.replace("lighthouse", topic).replace(
            "</article>", "<p>Letters to the editor are read by our whole team before they appear.</p></article>")
        a.id = f"p{i}"
        extract_html(a)
        a.text = normalize_text(a.text)
        arts.append(a)
    clean_corpus(arts, BoilerplateConfig(sites_dir=""))
    for a in arts:
        assert "Letters to the editor" not in a.text
        assert any(r.startswith("template:") for _, r in a.removed)
        assert "forty volumes" in a.text
