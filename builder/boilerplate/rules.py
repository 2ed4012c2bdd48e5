"""Single-page rules loaded from TOML data: which short lines are site furniture, and why.

The built-in rules live in `rules.toml` beside this module; a user's extra rules file (config
`boilerplate.rules_file`) is merged on top: a rule of the same name replaces the built-in one.
All patterns of one action are compiled into one alternation with named groups, so a line costs
one regex search per action, whatever the number of rules.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from builder.errors import BuilderError

BUILTIN = Path(__file__).with_name("rules.toml")
ACTIONS = ("drop", "cut")
_MAX_PHRASE = 3        # words per phrase in a rule's `words`
_TOKEN = re.compile(r"\w+")
_TAIL = 100            # `ends` patterns look at this many characters at the end of a line


@dataclass(frozen=True)
class _Rule:
    name: str
    action: str
    max_words: int
    starts: re.Pattern | None
    ends: re.Pattern | None
    patterns: re.Pattern | None


@dataclass(frozen=True)
class Rules:
    """Compiled rules. Word triggers are looked up in a dict by the line's word n-grams, so a
    line costs a few set operations plus the anchored `starts` matches of the rules in range."""
    rules: tuple[_Rule, ...]
    words: dict[str, tuple[int, ...]]      # phrase (space-joined tokens) -> indices of rules
    phrase_sizes: tuple[int, ...]
    first_tokens: frozenset[str]           # first words of all phrases: a cheap pre-test
    top_words: int                         # the largest word limit of any rule
    any_start: tuple[tuple[int, tuple[re.Pattern, ...]], ...]  # (word limit, `starts` of the rules admitting it)
    scan_rules: tuple[int, ...]            # rules with `ends` or `patterns`

    def match(self, line: str, tokens: list[str], action: str, scale: float = 1.0) -> str | None:
        """Name of the first rule (file order) of `action` that hits the line, else None.

        `tokens` are the line's casefolded word tokens; `scale` stretches every rule's word limit
        (a weaker, wider test used only to locate the main text)."""
        for i in self._hits(line, tokens, len(tokens) / scale):
            if self.rules[i].action == action:
                return self.rules[i].name
        return None

    def judge(self, line: str, tokens: list[str], scale: float) -> tuple[str | None, str | None, str | None]:
        """(drop rule, drop rule with word limits stretched by `scale`, cut rule) in one pass."""
        n = len(tokens)
        drop = wide = cut = None
        for i in self._hits(line, tokens, n / scale):
            r = self.rules[i]
            if r.action == "cut":
                if cut is None and n <= r.max_words:
                    cut = r.name
            else:
                wide = wide or r.name
                if drop is None and n <= r.max_words:
                    drop = r.name
        return drop, wide, cut

    def _hits(self, line: str, tokens: list[str], n: float) -> list[int]:
        """Indices (file order) of the rules whose word limit admits n words and that hit the line."""
        if n > self.top_words:
            return []
        hit: set[int] = set()
        words = self.words
        first = self.first_tokens
        for k, tok in enumerate(tokens if not first.isdisjoint(tokens) else ()):
            if tok in first:
                for size in self.phrase_sizes:
                    ids = words.get(tok if size == 1 else " ".join(tokens[k:k + size]))
                    if ids:
                        hit.update(ids)
        # All `starts` of all rules in one anchored alternation per case mode: a line costs one
        # match; only on a hit are the rules tried one by one (a later rule may also match).
        starts = next((rxs for limit, rxs in self.any_start if n <= limit), ())
        if any(rx.match(line) for rx in starts):
            hit.update(i for i, r in enumerate(self.rules) if r.starts is not None and r.starts.match(line))
        tail = line[-_TAIL:]
        for i in self.scan_rules:
            r = self.rules[i]
            if (r.ends is not None and r.ends.search(tail)) or (r.patterns is not None and r.patterns.search(line)):
                hit.add(i)
        return sorted(i for i in hit if n <= self.rules[i].max_words)


def _read(path: Path) -> dict:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BuilderError(f"boilerplate: no such rules file: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise BuilderError(f"boilerplate: {path} is not valid TOML: {e}") from None
    rules = data.get("rule", {})
    if not isinstance(rules, dict) or not all(isinstance(v, dict) for v in rules.values()):
        raise BuilderError(f"boilerplate: {path}: [rule.<name>] tables expected")
    return rules


def _strings(spec: dict, key: str, name: str, where: str) -> list[str]:
    value = spec.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BuilderError(f"boilerplate: {where}: rule {name}: {key} must be a list of strings")
    return value


def _regex(parts: list[str], flags: int, name: str, where: str) -> re.Pattern | None:
    if not parts:
        return None
    try:
        return re.compile("|".join(f"(?:{p})" for p in parts), flags)
    except re.error as e:
        raise BuilderError(f"boilerplate: {where}: rule {name}: bad pattern: {e}") from None


def _compile(rules: dict, where: str) -> Rules:
    known = {"action", "max_words", "words", "starts", "ends", "patterns", "case_sensitive"}
    compiled: list[_Rule] = []
    words: dict[str, list[int]] = {}
    sizes: set[int] = set()
    for name, spec in rules.items():
        unknown = sorted(set(spec) - known)
        if unknown:
            raise BuilderError(f"boilerplate: {where}: rule {name}: unknown key {unknown[0]}")
        action = spec.get("action", "drop")
        if action not in ACTIONS:
            raise BuilderError(f"boilerplate: {where}: rule {name}: action must be drop or cut")
        max_words = spec.get("max_words", 40)
        if not isinstance(max_words, int) or max_words < 1:
            raise BuilderError(f"boilerplate: {where}: rule {name}: max_words must be a positive integer")
        flags = 0 if spec.get("case_sensitive", False) else re.IGNORECASE
        idx = len(compiled)
        starts = _strings(spec, "starts", name, where)
        compiled.append(_Rule(name, action, max_words, _regex(starts, flags, name, where),
                              _regex([f"(?:{e})$" for e in _strings(spec, "ends", name, where)], flags, name, where),
                              _regex(_strings(spec, "patterns", name, where), flags, name, where)))
        for phrase in _strings(spec, "words", name, where):
            toks = _TOKEN.findall(phrase.casefold())
            if not 1 <= len(toks) <= _MAX_PHRASE:
                raise BuilderError(f"boilerplate: {where}: rule {name}: word {phrase!r} must have 1 to {_MAX_PHRASE} words")
            sizes.add(len(toks))
            words.setdefault(" ".join(toks), []).append(idx)
    # Per word limit, one alternation of the `starts` of every rule whose limit admits it.
    any_start = []
    for limit in sorted({r.max_words for r in compiled if r.starts is not None}):
        admitted = [(spec, r) for spec, r in zip(rules.values(), compiled) if r.starts is not None and r.max_words >= limit]
        rxs = []
        for case in (False, True):
            pats = [p for spec, r in admitted if bool(spec.get("case_sensitive", False)) == case
                    for p in _strings(spec, "starts", r.name, where)]
            if pats:
                rxs.append(_regex(pats, 0 if case else re.IGNORECASE, "*", where))
        any_start.append((limit, tuple(rxs)))
    any_start = tuple(any_start)
    return Rules(tuple(compiled), {w: tuple(ids) for w, ids in words.items()}, tuple(sorted(sizes)),
                 frozenset(w.split()[0] for w in words), max((r.max_words for r in compiled), default=0),
                 any_start, tuple(i for i, r in enumerate(compiled) if r.ends is not None or r.patterns is not None))


@lru_cache(maxsize=8)
def load_rules(extra_file: str = "") -> Rules:
    """The built-in rules, with the rules of `extra_file` (if given) replacing same-named ones."""
    rules = dict(_read(BUILTIN))
    if extra_file:
        rules.update(_read(Path(extra_file)))
    return _compile(rules, extra_file or str(BUILTIN))
