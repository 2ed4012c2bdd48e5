"""HTML -> text: trafilatura's main text in the cleaner's plain-text shape."""
from __future__ import annotations

from pathlib import Path

from builder.article import Article, unescape_title
from builder.boilerplate import clean_corpus
from builder.config import BoilerplateConfig
from builder import extract
from builder.extract import extract_html
from builder.normalize import normalize_text
from builder.pipeline import explain_lines
from justext.core import ParagraphMaker, classify_paragraphs, revise_paragraph_classification

FIX = Path(__file__).parent / "fixtures" / "boilerplate"
EXTRACT = Path(__file__).parent / "fixtures" / "extract"


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


def _extracted(name: str) -> Article:
    a = Article(id=name, html=(EXTRACT / name).read_text(encoding="utf-8"), site="ledger.example")
    extract_html(a)
    return a


def test_repeated_blocks_and_wordless_lines_are_dropped():
    a = _extracted("repeated.html")
    paragraphs = a.text.split("\n\n")
    # the long paragraph the page repeats appears once; a repeated short heading stays
    assert sum(p.startswith("Regular passengers said") for p in paragraphs) == 1
    assert paragraphs.count("Back on time") == 2
    assert "*" not in paragraphs
    assert paragraphs[-1].startswith("The crew thanked the yard workers")


def test_logo_h1_is_not_the_title():
    # the page's only <h1> is the site name that the <title> carries as its suffix
    assert _extracted("repeated.html").title == "Harbour ferry returns after winter repairs"


def _titled_page(title: str, topic: str, before: str = "") -> Article:
    """A story of six paragraphs about `topic` under <title> `title` (`before`: markup ahead of
    the article), extracted."""
    body = "".join(f"<p>Paragraph {i} of the story about {topic} and the people who meet it every day.</p>"
                   for i in range(6))
    a = Article(id="t", html=f"<html><head><title>{title}</title></head><body>{before}<article>{body}</article></body></html>")
    extract_html(a)
    return a


def test_short_section_h1_gives_way_to_the_title_element():
    a = _titled_page("New crane lifts its first boat | Coastal Ledger", "the new harbour crane", "<h1>News</h1>")
    assert a.title == "New crane lifts its first boat"


def test_a_chinese_title_element_loses_its_site_name():
    a = _titled_page("新吊车吊起第一艘船_本地新闻_海岸网", "the new harbour crane", "<h1>新吊车吊起第一艘船</h1>")
    assert a.title == "新吊车吊起第一艘船"


def test_a_title_the_site_escaped_twice_is_decoded_once():
    a = _titled_page("Harbour &amp;#x26; ferry fares rise | R&amp;D Ledger", "ferry fares")
    assert a.title == "Harbour & ferry fares rise"


def test_unescape_title_decodes_only_character_references():
    assert unescape_title("Harbour &#x26; ferry &amp; crane") == "Harbour & ferry & crane"
    assert unescape_title("R&D at AT&T") == "R&D at AT&T"
    assert unescape_title(None) is None and unescape_title("") == ""

def test_short_extraction_gets_the_recall_pass():
    # a guide page whose topics sit in link-heavy cards: the default pass keeps only the intro
    a = _extracted("cards.html")
    assert "The harbour has been the centre of the town" in a.text
    for topic in ("Anglers need a permit", "The old dry dock takes small boats", "Printed tide tables"):
        assert topic in a.text
    assert a.title == "Living by the harbour"


def test_an_extraction_much_smaller_than_the_visible_page_gets_the_recall_pass(monkeypatch):
    # however long the default text, a page that shows twice its words may hide its body in cards
    monkeypatch.setattr(extract, "_SHORT_WORDS", 0)
    a = Article(id="cards.html", html=(EXTRACT / "cards.html").read_text(encoding="utf-8"), site="ledger.example")
    extract_html(a, rendered_ratio=3.5)
    for topic in ("Anglers need a permit", "The old dry dock takes small boats", "Printed tide tables"):
        assert topic in a.text


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
    stories = {
        "harbour": ["The harbour master has ordered new mooring posts after the winter storms bent "
                    "several of the old ones, and the work should be finished before the summer season.",
                    "Boat owners will be asked to move their boats to the outer basin for two weeks "
                    "while divers replace the chains on the harbour floor."],
        "ferry": ["The evening ferry to the islands will run every day from May, the operator said, "
                  "after a trial last year carried more passengers than expected.",
                  "Tickets for the late crossing can be bought on board, and cyclists travel free "
                  "on weekdays until the end of June."],
        "museum": ["The town museum has reopened its maritime room, which now shows models of the "
                   "fishing boats built in the old yard at the mouth of the river.",
                   "Volunteers spent two years restoring the models, some of which had not been on "
                   "show since the museum moved to its present building."],
    }
    arts = []
    for i, (topic, paras) in enumerate(stories.items()):
        body = "".join(f"<p>{p}</p>" for p in paras)
        html = (f"<html><head><title>{topic.title()} news | The Ledger</title></head><body>"
                f"<article><h1>{topic.title()} news of the week</h1>{body}"
                "<p>Letters to the editor are read by our whole team before they appear.</p>"
                "</article></body></html>")
        a = Article(id=f"p{i}", html=html, site="ledger.example")
        extract_html(a)
        a.text = normalize_text(a.text)
        arts.append(a)
    clean_corpus(arts, BoilerplateConfig(sites_dir=""))
    for a, paras in zip(arts, stories.values()):
        assert "Letters to the editor" not in a.text
        assert any(r.startswith("template:") for _, r in a.removed)
        assert all(p in a.text for p in paras)


def test_the_full_rendering_is_kept_only_when_the_extraction_looks_short():
    a = _page()
    extract_html(a, rendered_ratio=1.0)
    # all visible text, menu and footer included, in block lines
    assert a.rendered is not None and "The last keeper of the northern lighthouse" in a.rendered
    assert "All rights reserved" in a.rendered and "All rights reserved" not in a.text
    b = _page()
    extract_html(b, rendered_ratio=100.0)
    assert b.rendered is None and b.text == a.text
    c = _page()
    extract_html(c)     # off by default for library callers
    assert c.rendered is None


def test_a_vote_keeps_the_rendering_and_three_other_extractors_texts_of_every_page():
    a = _page()
    extract_html(a, vote=True)          # even with the rendering's own comparison off
    assert a.rendered is not None and "All rights reserved" in a.rendered
    assert a.voters is not None and len(a.voters) == 3
    assert all("The last keeper of the northern lighthouse" in t for t in a.voters)
    b = _page()
    extract_html(b, rendered_ratio=100.0)
    assert b.rendered is None and b.voters is None and b.text == a.text


def test_a_failing_voter_costs_the_page_only_its_vote(monkeypatch):
    def fail(*_args, **_kw):
        raise ValueError("odd tree")
    monkeypatch.setattr("builder.extract.ReadabilityDocument", fail)
    a = _page()
    extract_html(a, vote=True)
    assert a.alive and a.voters[1] == "" and a.voters[0] and a.voters[2]


def test_a_failing_renderer_costs_the_page_only_its_rendering(monkeypatch):
    def fail(_tree):
        raise ValueError("odd tree")
    monkeypatch.setattr("builder.extract.html_text.extract_text", fail)
    a = _page()
    extract_html(a, rendered_ratio=1.0)
    assert a.alive and a.rendered is None
    assert "The last keeper of the northern lighthouse" in a.text


_BOX = "Photo: the new crane at work on its first morning in the harbour."
_STORY = [
    "The new harbour crane lifted its first boat on Monday, three months after the old one was taken "
    "down because its arm had cracked during a storm in the winter.",
    "Fishermen had waited all spring for the crane, and some of them had their boats lifted by a hired "
    "truck crane from the town, which cost them twice as much as the harbour charges.",
    "The harbour master said the crane can lift boats of up to forty tonnes, which is enough for every "
    "boat that is moored in the inner basin today, and for most of the visiting yachts.",
    "The crane was built in a yard on the other side of the bay and came across on a barge in April, "
    "when the weather was calm enough for the crossing to be made in one day.",
]


def _rendering() -> str:
    menu = ["Home", "News", "Sport", "Weather", "Contact", "Subscribe"]
    footer = ["About us", "Privacy policy", "Cookie settings", "© 2024 The Ledger. All rights reserved."]
    return "\n".join(menu + ["", "New crane lifts its first boat", "", _BOX, ""]
                     + [p + "\n" for p in _STORY] + footer)


def test_a_short_extraction_gives_way_to_the_cleaned_rendering():
    # The extractor took the photo caption for the article; the page's rendering holds the story.
    a = Article(id="r", text=_BOX, site="ledger.example", title="New crane lifts its first boat",
                extracted=True, rendered=normalize_text(_rendering()))
    clean_corpus([a], BoilerplateConfig(sites_dir=""))
    assert a.rendered is None and not a.extracted
    assert all(p in a.text for p in _STORY)
    for furniture in ("Home", "Weather", "Privacy policy", "All rights reserved"):
        assert furniture not in a.text.split("\n\n")
    assert any(line == "Privacy policy" for line, _ in a.removed)


def test_an_extraction_of_the_story_stays():
    story = "\n\n".join(_STORY)
    a = Article(id="s", text=story, site="ledger.example", title="New crane lifts its first boat",
                extracted=True, rendered=normalize_text(_rendering()))
    clean_corpus([a], BoilerplateConfig(sites_dir=""))
    assert a.rendered is None and a.extracted and a.text == story
    # with the comparison off, the extraction stays (the caption's rule hit aside, which is
    # another layer's: tests/test_boilerplate.py)
    off = Article(id="o", text=_BOX, site="ledger.example", extracted=True, rendered=normalize_text(_rendering()))
    clean_corpus([off], BoilerplateConfig(sites_dir="", rendered_ratio=0.0, extracted_rule_hits=False))
    assert off.text == _BOX and off.rendered is None


_NEXT = [
    "The town library will open on Sundays from next month, the council decided on Thursday evening after "
    "a long debate about the cost of the extra staff that the library will need.",
    "Readers had asked for Sunday hours for years, and a petition with more than two thousand names was "
    "handed to the mayor in the spring by a group of students and retired teachers.",
]


def test_an_extraction_that_took_the_next_story_too_is_outvoted():
    # The extractor ran on into the next story of the page; the cleaned rendering and another
    # extractor agree on the article without it.
    story = "\n\n".join(_STORY)
    views = dict(text="\n\n".join(_STORY + _NEXT), site="ledger.example", title="New crane lifts its first boat",
                 extracted=True, rendered=normalize_text(_rendering()), voters=[story])
    a = Article(id="v", **views)
    clean_corpus([a], BoilerplateConfig(sites_dir=""))
    assert a.rendered is None and a.voters is None and not a.extracted and a.view in ("rendering", "favor_recall")
    assert f"from the page's {a.view} view, not its extraction" in "\n".join(explain_lines([a], "v"))
    assert all(p in a.text for p in _STORY) and not any(p in a.text for p in _NEXT)
    off = Article(id="o", **views)
    clean_corpus([off], BoilerplateConfig(sites_dir="", html_vote=False))
    assert off.extracted and all(p in off.text for p in _STORY + _NEXT)


def test_an_extraction_that_one_other_view_backs_stays():
    story = "\n\n".join(_STORY)
    # two other extractors took the next story along; the rendering and a third back the extraction
    a = Article(id="w", text=story, site="ledger.example", title="New crane lifts its first boat", extracted=True,
                rendered=normalize_text(_rendering()), voters=["\n\n".join(_STORY + _NEXT)] * 2 + [story])
    clean_corpus([a], BoilerplateConfig(sites_dir=""))
    assert a.extracted and a.text == story and a.view is None


def test_a_page_whose_utf8_was_read_as_latin1_comes_out_right():
    # the extractor drops C1 control characters, so "’" misread as "â\x80\x99" would become "â"
    body = "".join(f"<p>The ferry’s crew — twelve of them — said paragraph {i} of the story isn’t over.</p>"
                   for i in range(6))
    html = f"<html><head><title>Ferry news</title></head><body><article>{body}</article></body></html>"
    a = Article(id="m", html=html.encode("utf-8").decode("latin-1"))
    extract_html(a)
    assert "The ferry’s crew — twelve of them — said paragraph 0 of the story isn’t over." in a.text
    assert "â" not in a.text
    off = Article(id="m", html=html.encode("utf-8").decode("latin-1"))
    extract_html(off, fix_mojibake=False)
    assert "â" in off.text


def test_a_batch_counts_an_html_page_with_its_other_views():
    from builder.boilerplate import batched_by_pages
    plain = [Article(id=f"t{i}", text="x") for i in range(5)]
    html = [Article(id=f"h{i}", text="x", rendered="y", voters=["a", "", "b"]) for i in range(3)]   # 4 pages each
    batches = batched_by_pages(plain + html, 8)
    assert [[a.id for a in b] for b in batches] == [["t0", "t1", "t2", "t3", "t4"], ["h0", "h1"], ["h2"]]
    assert batched_by_pages(html, 2) == [[a] for a in html]     # one article at least, however many views


def _jus_paragraphs(make, html: str) -> list[tuple]:
    import lxml.etree
    from trafilatura.utils import load_html
    tree = load_html(html)
    lxml.etree.strip_elements(tree, "script", "style", "noscript", "template", with_tail=False)
    paragraphs = make(tree)
    classify_paragraphs(paragraphs, extract._stop_words(), 50, 150, 0.1, 0.2, 0.25, True)
    revise_paragraph_classification(paragraphs, 150)
    return [(p.text, p.dom_path, p.tags_count, p.chars_count_in_links, p.cf_class, p.class_type) for p in paragraphs]


def test_the_jusText_voter_makes_the_paragraphs_jusText_makes():
    pages = [p.read_text(encoding="utf-8") for p in sorted([*FIX.glob("*.html"), *EXTRACT.glob("*.html")])]
    pages.append("<?xml-stylesheet href='a'?><html><body><p>One <a href='x'>link</a> and<br><br>two<!-- c -->"
                 " parts</p>tail <select><option>A</option></select><h2>Head</h2><div>x<br>y</div></body></html>")
    for html in pages:
        assert _jus_paragraphs(extract._paragraphs, html) == _jus_paragraphs(ParagraphMaker.make_paragraphs, html)
    assert any(row[5] == "good" for row in _jus_paragraphs(extract._paragraphs, pages[0]))

