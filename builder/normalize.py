"""Text normalisation, the aggressive hashing key, and datelines.

`normalize_text` runs on every document, so it is built from whole-string passes (regex, one
compiled pass for the spaces and lines) and calls ftfy only on texts that show the typical byte
patterns of mojibake.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import ftfy
import numpy as np
import xxhash

from builder import codepoints
from builder.article import Article
from builder.config import NormalizeConfig
from builder.jit import kernel

_WORD = re.compile(r"\w+", re.UNICODE)
# Scripts written without spaces (Chinese, Japanese, Thai, Lao, Khmer, Myanmar, Tibetan): each of
# their word characters is a word of the hashing key, so shingles are character n-grams there (a
# whole sentence would otherwise be one word, and one changed character would change it).
UNSPACED_RANGES = ((0x0E00, 0x0EFF), (0x0F00, 0x0FFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x2E80, 0x2FDF),
                   (0x3005, 0x3007), (0x3021, 0x3029), (0x3038, 0x303B), (0x3041, 0x30FF), (0x31F0, 0x31FF),
                   (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFF66, 0xFF9F), (0x20000, 0x3134F))
UNSPACED = "".join(f"{chr(a)}-{chr(b)}" for a, b in UNSPACED_RANGES)     # as a regex class body
_KEY_WORD = re.compile(f"(?=[{UNSPACED}])\\w|(?:(?![{UNSPACED}])\\w)+")
_DIGIT = re.compile(r"\d")
# C0 controls (not \t \n \r), zero-width space, word joiner, BOM, soft hyphen and bidi controls.
# ZWJ/ZWNJ stay: they carry meaning in Persian, Indic scripts and emoji sequences.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# C1 controls go only after the mojibake repair, which needs them ("â\x80\x99" is a cut "’")
_C1 = re.compile("[\x80-\x9f]")
_REMOVED = re.compile(f"[{_INVISIBLE.pattern[1:-1]}{_C1.pattern[1:-1]}]")     # either of the two
# A UTF-8 lead byte read as cp1252/Latin-1, followed by a continuation byte read the same way:
# "Ã¼", "â€™", "Ð¿". Correct text in any language hardly ever has these pairs.
_LEAD = "[\u00c2-\u00c5\u00ce\u00cf\u00d0\u00d1\u00d8\u00d9\u00e0-\u00ef]"
_CONTINUATION = ("[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014"
                 "\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")
_MOJIBAKE_HINT = re.compile(_LEAD + _CONTINUATION)
# The lines ftfy may change: mojibake, a lead byte whose no-break space became a space ("Â "), C1 controls.
_NEEDS_FTFY = re.compile(f"{_LEAD}{_CONTINUATION}|{_LEAD} |{_C1.pattern}")
# Only encoding repairs: typography („“ ‚‘ «» – —, ligatures, full-width forms) is the author's.
_FTFY = ftfy.TextFixerConfig(
    unescape_html=False, remove_terminal_escapes=False, fix_latin_ligatures=False,
    fix_character_width=False, uncurl_quotes=False, fix_line_breaks=False,
    remove_control_chars=False, normalization=None, explain=False)


def normalize_text(text: str, cfg: NormalizeConfig | None = None) -> str:
    """NFC, \n line endings, no control or zero-width characters, single spaces within lines,
    trimmed lines, at most one blank line in a row, mojibake repaired (cfg.fix_mojibake)."""
    fix = cfg is None or cfg.fix_mojibake
    plain = text.replace("\t", " ")
    if not unicodedata.is_normalized("NFC", plain):
        plain = unicodedata.normalize("NFC", plain)
    # Most texts have nothing to remove or repair: then the passes below come to this (a test
    # checks it), at ~60% of the cost (two regular-expression scans and an NFC check fewer).
    # Whether they do is read off the code points the space collapse takes anyway, in one compiled
    # pass (`_REMOVED` and `_MOJIBAKE_HINT` searched by `re`: ~0.17 ms an article).
    points = codepoints.points(plain)
    if not _needs_repair(points, *_repair_tables(), fix):
        return _settle(plain, points)
    # the repair starts from `plain`: removing controls (starters that compose with nothing)
    # after NFC gives the NFC of removing them before
    return _repaired(plain, fix)


def _repaired(text: str, fix: bool) -> str:
    text = _one_pass(text, fix)
    # ftfy decides by context, and the clean-up changes the context (a stripped NBSP, a removed
    # control between two halves of a broken character), so repeat until stable: the result
    # must be idempotent. Only texts that still look broken pay for this.
    for _ in range(3):
        if not (fix and _MOJIBAKE_HINT.search(text)):
            break
        again = _one_pass(text, fix)
        if again == text:
            break
        text = again
    return text


def _one_pass(text: str, fix: bool) -> str:
    text = _INVISIBLE.sub("", text.replace("\t", " "))
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if fix and _MOJIBAKE_HINT.search(text):
        # ftfy may decode to any character, controls included (an overlong "Ã\x80" is NUL)
        text = _INVISIBLE.sub("", _fix_lines(text).replace("\t", " "))
    text = _C1.sub("", text)
    if not unicodedata.is_normalized("NFC", text):  # again: a removed control may free a combining mark
        text = unicodedata.normalize("NFC", text)
    return _settle(text)


# A zero-width joiner or non-joiner at the edge of a line joins nothing: some page builders write
# empty paragraphs as a lone U+200D, which would stay in the text as a "line" of nothing visible.
_EDGE_JOINERS = re.compile("(?m)^[\u200c\u200d ]+|[\u200c\u200d ]+$")


@lru_cache(maxsize=1)
def _repair_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return codepoints.table(_REMOVED.pattern), codepoints.table(_LEAD), codepoints.table(_CONTINUATION)


@kernel
def _needs_repair(points, removed, lead, continuation, pairs):
    """Does a code point of `removed` occur (`_REMOVED.search`), or, with `pairs`, one of `lead`
    followed by one of `continuation` (`_MOJIBAKE_HINT.search`)?"""
    after_lead = False
    for c in points:
        if removed[c] or (pairs and after_lead and continuation[c]):
            return True
        after_lead = lead[c]
    return False


def _settle(text: str, points: np.ndarray | None = None) -> str:
    """`collapse_spaces`, and no joiner at the edge of a line (a line of nothing else is blank).
    `points`: the text's code points, if at hand."""
    text = collapse_spaces(text, points)
    if "\u200d" in text or "\u200c" in text:
        text = collapse_spaces(_EDGE_JOINERS.sub("", text))
    return text


def collapse_spaces(text: str, points: np.ndarray | None = None) -> str:
    """Lines (as `str.splitlines` finds them: \\r\\n, \\r, \\u2028 and friends) trimmed, each run of
    spaces inside them (`str.split`: NBSP and other spaces too) one space, at most one blank line
    in a row, no blank lines at the ends: that is, `re.sub("\\n{3,}", "\\n\\n", "\\n".join(" ".join(l.split())
    for l in text.splitlines())).strip()`, in one compiled pass (that took ~0.35 ms an article).
    `points`: the text's code points (`codepoints.points`), if at hand."""
    return codepoints.text(_collapse(codepoints.points(text) if points is None else points, *_space_tables()))


_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"    # where str.splitlines splits


@lru_cache(maxsize=1)
def _space_tables() -> tuple[np.ndarray, np.ndarray]:
    breaks = np.zeros(codepoints.SIZE, dtype=bool)
    breaks[[ord(c) for c in _LINE_BREAKS]] = True
    return codepoints.table(r"\s"), breaks


@kernel
def _collapse(points, space, breaks):
    out = np.empty(len(points), dtype=points.dtype)
    n = 0
    newlines = 0        # line breaks since the last character written
    gap = False         # a space since the last character written, on the same line
    i = 0
    while i < len(points):
        c = points[i]
        if breaks[c]:
            if c == 13 and i + 1 < len(points) and points[i + 1] == 10:
                i += 1      # \r\n is one break
            newlines += 1
            gap = False
        elif space[c]:
            gap = True
        else:
            if n and newlines:
                for _ in range(min(newlines, 2)):
                    out[n] = 10
                    n += 1
            elif n and gap:
                out[n] = 32
                n += 1
            newlines = 0
            gap = False
            out[n] = c
            n += 1
        i += 1
    return out[:n]


def _fix_lines(text: str) -> str:
    """ftfy on the lines that show mojibake or C1 controls. ftfy itself fixes a text line by
    line, and on a whole article most lines need nothing: it took 16 ms per affected article."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _NEEDS_FTFY.search(line):
            lines[i] = ftfy.fix_text(line, _FTFY)
    return "\n".join(lines)


_C1_PAIR = re.compile(f"{_LEAD}{_C1.pattern}")


def repair_misdecoded(text: str) -> str:
    r"""`text` whose UTF-8 bytes were read as Latin-1 ("â\x80\x94" for "—"), decoded right;
    else `text` unchanged. Only the C1-control form is repaired here, for consumers that drop
    control characters before `normalize_text` could see them (an HTML extractor makes
    "wallâ\x80\x94then" "wallâthen"); the cp1252 form ("â€”") survives them and is
    repaired by `normalize_text`. A page that also has characters beyond Latin-1 (a mix) is
    repaired line by line by ftfy."""
    if not _C1_PAIR.search(text):
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return _fix_lines(text)


def normalize_article(a: Article, cfg: NormalizeConfig) -> None:
    a.text = normalize_text(a.text, cfg)
    if a.rendered:
        a.rendered = normalize_text(a.rendered, cfg)
    if a.voters:
        a.voters = [normalize_text(t, cfg) if t else t for t in a.voters]
    if a.title:
        a.title = normalize_text(a.title, cfg).replace("\n", " ")


# --- datelines: "PLACE[ / PLACE][, DATE] [(SOURCE)] – " at the very start of the body ---------------
_W = r"[^\W\d_]+(?:['’.\-][^\W\d_]+)*\.?"             # a word of letters: "NEW", "BADEN-BADEN", "ST."
_PLACE = rf"{_W}(?: {_W}){{0,3}}"
_DATELINE = re.compile(
    rf"(?P<place>{_PLACE}(?: ?/ ?{_PLACE}){{0,3}})?"
    r"(?:, (?P<date>[^\W_]+(?:\.[^\W_]+)*\.?(?: [^\W_]+\.?){0,3}))?"  # "March 3", "5. März", "Calif."
    r" ?(?:\((?P<source>[^\W\d_][^()\n]{1,39})\))?"
    r"(?P<dash> +--? +| ?[–—] ?|(?<=\))\.[-–—] ?)")  # "(EFE).- ": Spanish wire copy closes with a stop
# Capitalised first words that start sentences rather than place names ("In Berlin – so ...").
_NOT_PLACE = frozenset("""
a an and as at but by for from he her his i if in it its of on or she so that the their there they
this to we when with you der die das dem den des ein eine einer und oder aber im am an auf aus bei
mit nach von vom zu zum zur so wie wenn als er sie es wir ich le la les un une et ou de du des il
elle en el y o del il lo gli e di da
update breaking exclusive eilmeldung analyse analysis kommentar comment interview opinion meinung
live video foto photo
""".split())
_MIN_PARAGRAPH_WORDS = 8
_HEADLINE = re.compile(r"([^\n]+)\n+")
_MAX_HEADLINE_WORDS = 25
_OPEN_QUOTES = "\"'„“”«»‚‘‹›"


def split_dateline(text: str, max_chars: int = 80) -> tuple[str | None, str | None, str]:
    """("BERLIN", "dpa", rest) for "BERLIN (dpa) – rest"; (None, None, text) if none.

    The dateline is the place with its date or region ("NEW YORK, March 3"); either place or source
    may be missing, not both. To never eat a sentence or a heading, the place must be ALL CAPS or
    capitalised words that are not a common sentence opener, the source must be short and without
    digits, and the rest must start like a sentence (capital letter, digit or quote). Without a
    source the evidence is thinner: one word ("Wien – ") or ALL CAPS ("NEW YORK – "), an en or em
    dash, and the line must go on as a real paragraph.
    """
    m = _DATELINE.match(text, 0, min(len(text), max_chars + 1))
    if not m or m.end() > max_chars or m.end() >= len(text):
        return None, None, text
    place, date, source = m.group("place"), m.group("date"), m.group("source")
    rest = text[m.end():]
    if not (place or source) or not (rest[0].isupper() or rest[0].isdigit() or rest[0] in _OPEN_QUOTES):
        return None, None, text
    if source and (len(source.split()) > 4 or source.strip() != source or _DIGIT.search(source)):
        return None, None, text
    if place and not _is_place(place, bool(source)):
        return None, None, text
    if not source and ("-" in m.group("dash") or len(rest.split("\n", 1)[0].split()) < _MIN_PARAGRAPH_WORDS):
        return None, None, text  # "Title - Site" headings use a hyphen; "Wien – " a real dash
    if date and not (place and (_DIGIT.search(date) or (source and _is_region(date)))):
        return None, None, text
    dateline = f"{place}, {date}" if date else place
    return dateline, source, rest


def _is_place(place: str, has_source: bool) -> bool:
    parts = [p.split() for p in place.split("/")]
    words = [w for p in parts for w in p]
    caps = all(w.isupper() for w in words)
    if caps and has_source:
        return True  # "DEN HAAG (ANP) –", "DES MOINES (AP) –": the strongest evidence there is
    if words[0].casefold().strip(".") in _NOT_PLACE:
        return False
    if caps:
        return True
    if not all(w[0].isupper() for w in words):
        return False
    # "Kiew/Moskau (dpa) -", "Frankfurt/Main (dts) -", or a plain "Wien – "
    return all(len(p) <= 2 for p in parts) if has_source else len(words) == 1


def _is_region(part: str) -> bool:
    """A state or country after the place: "Ill.", "N.Y.", "Calif.", "Texas"."""
    words = part.split()
    return len(words) <= 2 and len(part) <= 20 and all(w[0].isupper() for w in words)


def move_dateline(a: Article, cfg: NormalizeConfig) -> None:
    """Move a dateline at the start of the body, or right after a headline line, to a.dateline/a.source."""
    if not cfg.move_dateline:
        return
    dateline, source, rest = split_dateline(a.text, cfg.max_dateline_chars)
    if not (dateline or source):
        # syndicated copies often repeat the headline as the first line, then the dateline
        m = _HEADLINE.match(a.text)
        if not m or len(m.group(1).split()) > _MAX_HEADLINE_WORDS:
            return
        dateline, source, rest = split_dateline(a.text[m.end():], cfg.max_dateline_chars)
        if not (dateline or source):
            return
        rest = m.group(0) + rest
    a.dateline, a.source, a.text = dateline, source, rest


def key(text: str, fold_digits: bool = False) -> str:
    """Aggressive key for hashing: casefolded words only (each character a word in scripts
    without spaces), single spaces."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    k = " ".join(_KEY_WORD.findall(text.casefold()))
    return fold(k) if fold_digits else k


def fold(k: str) -> str:
    """Digits folded to 0 in a key (stories that differ only in figures hash alike)."""
    return _DIGIT.sub("0", k)


def hash_key(k: str) -> str:
    return xxhash.xxh3_128_hexdigest(k.encode("utf-8"))


def content_hash(text: str) -> str:
    return hash_key(key(text))
