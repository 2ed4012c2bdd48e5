"""Single-page rules loaded from TOML data: which short lines are site furniture, and why.

The built-in rules live in `rules.toml` beside this module; a user's extra rules file (config
`boilerplate.rules_file`) is merged on top: a rule of the same name replaces the built-in one.
Case-insensitive patterns are lowercased and matched case-sensitively against the lowercased line:
Python's `re` skips an alternative whose first literal does not match only in case-sensitive mode,
so a long alternation of word lists costs a few character tests instead of one trial per branch.

A batch of lines is first screened as a whole (`Rules.screen`: RE2 over the lines joined into one
text, Arrow set lookups of the word triggers); only the lines a screen flags are judged here one by one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import re2

from builder.boilerplate.columns import joined, line_matches, pattern_set, screen
from builder.boilerplate.columns import words as tokens
from builder.errors import BuilderError
from builder.tomlfile import read_toml

BUILTIN = Path(__file__).with_name("rules.toml")
ACTIONS = ("drop", "cut")
_MAX_PHRASE = 3        # words per phrase in a rule's `words`
_TAIL = 100            # `ends` patterns look at this many characters at the end of a line
_MEMO_LINES = 200_000  # verdicts remembered (then forgotten all at once: memory stays bounded)
_ESCAPE = re.compile(r"(\\.)|[^\\]+", re.S)
_PATTERN_PART = re.compile(r"\\.|\[(?:\\.|[^\]\\])*\]|\(\?P[<=]\w+[>)]?|\(\?|\(|[^\\(\[]+|.", re.S)


@dataclass(frozen=True)
class _Rule:
    name: str
    action: str
    max_words: int
    starts: re.Pattern | None
    ends: re.Pattern | None
    patterns: re.Pattern | None
    sure_at: int = 0                       # a cut honoured only with this many hits on a page (0 = the usual test)
    in_extracted: bool = True              # a cut also honoured on extracted text
    lower: bool = True                     # patterns were lowercased: match them on the lowercased line
    box: bool = False                      # a cut that does not end the text heads or closes a teaser box
    in_prose: bool = False                 # a drop that also removes a long paragraph inside the main text


@dataclass(frozen=True)
class _Screen:
    """Tests of all rules at once over a column of lines, admitting every line some rule hits
    (and a few more): only the lines they flag are judged one by one."""
    phrases: tuple[pa.Array, ...]          # per phrase length (1, 2, ...): the `words` phrases of that many words
    limits: tuple[np.ndarray, ...]         # ... the largest word limit of their rules
    firsts: tuple[pa.Array, ...]           # ... and their first words (a cheap pre-test)
    last: pa.Array                         # `last_words`
    last_limits: np.ndarray                # ... the largest word limit of their rules
    starts: tuple[str | None, ...]         # RE2: the screenable `starts`, case-insensitive / case-sensitive
    scans: tuple[str | None, ...]          # ... and the screenable `ends` and `patterns`
    python: tuple[tuple[re.Pattern, str, bool], ...]  # (pattern, "starts"/"ends"/"patterns", lowercased) RE2 cannot run
    each: re2.Set | None                   # one line's screens, rule by rule: entry k screens `entries[k]`
    entries: tuple[tuple[int, bool], ...]  # (rule index, its `starts` (True) or its `ends` and `patterns`)
    unscreened: tuple[tuple[int, bool], ...]  # the same, for the rules with a pattern RE2 cannot run

    def patterns(self, lines: list[str], items: np.ndarray, test: np.ndarray) -> np.ndarray:
        """Per line of `lines` where `test` holds: may one of the rules' regular expressions hit
        it, or its text after a list marker (`items`: list items, which are judged without their
        two-character marker)?"""
        hits = np.zeros(len(lines), dtype=bool)
        tested = np.flatnonzero(test)
        if not len(tested):
            return hits
        # A list item's `starts` are also tried after its marker, on its tail appended as one
        # more line: one optional two-character prefix on every line made RE2 three times slower.
        at = np.flatnonzero(items & test)
        text, starts = joined([lines[i] for i in tested.tolist()] + [lines[i][2:] for i in at.tolist()])
        found = np.logical_or.reduce([line_matches(text, starts, rx) for rx in self.starts])
        found[:len(tested)] |= np.logical_or.reduce([line_matches(text, starts, rx) for rx in self.scans])[:len(tested)]
        hits[tested] = found[:len(tested)]
        hits[at] |= found[len(tested):]
        if self.python:
            for i in np.flatnonzero(test & ~hits).tolist():
                hits[i] = self._python_hit(lines[i][2:] if items[i] else lines[i])
        return hits

    def words(self, tokens: pa.Array, codes: pa.DictionaryArray, parent: np.ndarray, n: np.ndarray,
              scale: float, lengths: np.ndarray | None = None) -> np.ndarray:
        """Per line: may one of the rules' `words` or `last_words` hit it? `tokens` are all lines'
        casefolded word tokens in order (`codes`: the same, dictionary-encoded, so that each
        distinct word is tested once), `parent` the line of each, `n` each line's number of
        tokens; `scale` stretches the word limits as in `Rules.judge`, which are held against
        `lengths`, each line's words (default `n`; see `size` in `Rules.judge`)."""
        flags = np.zeros(len(n), dtype=bool)
        within = (n if lengths is None else lengths) / scale
        index = codes.indices.to_numpy()
        for size, (phrases, limits, firsts) in enumerate(zip(self.phrases, self.limits, self.firsts), 1):
            first = pc.is_in(codes.dictionary, value_set=firsts).to_numpy(zero_copy_only=False)
            at = np.flatnonzero(first[index])
            at = at[at + size <= len(parent)]
            at = at[parent[at + size - 1] == parent[at]]
            grams = tokens.take(at) if size == 1 else pc.binary_join_element_wise(
                *(tokens.take(at + k) for k in range(size)), pa.scalar(" ", pa.large_string()))
            self._mark(flags, parent[at], pc.index_in(grams, value_set=phrases), limits, within)
        two = np.flatnonzero(n >= 2)
        last = tokens.take(np.cumsum(n)[two] - 1)
        self._mark(flags, two, pc.index_in(last, value_set=self.last), self.last_limits, within)
        return flags

    @staticmethod
    def _mark(flags: np.ndarray, line: np.ndarray, found: pa.Array, limits: np.ndarray, within: np.ndarray) -> None:
        """Flag the lines where a trigger was found (its index in `found`) and a rule of it admits the line's length."""
        idx = pc.fill_null(found, -1).to_numpy()
        hit = idx >= 0
        line, idx = line[hit], idx[hit]
        flags[line[within[line] <= limits[idx]]] = True

    def candidates(self, line: str) -> list[tuple[int, bool]]:
        """The (rule, `starts` or not) whose patterns may hit the line: those whose screen matches
        it, and those with a pattern RE2 cannot run. A line holding "İ", which Python's lower()
        makes two characters, may be hit by any."""
        if "\u0130" in line:
            return [*self.entries, *self.unscreened]
        found = self.each.Match(line.encode("utf-8", "surrogatepass")) if self.each is not None else None
        return [*(self.entries[k] for k in found or ()), *self.unscreened]

    def _python_hit(self, line: str) -> bool:
        low = line.lower()
        for rx, kind, lower in self.python:
            text = low if lower else line
            if (rx.match(text) if kind == "starts" else rx.search(text[-_TAIL:] if kind == "ends" else text)):
                return True
        return False


@dataclass(frozen=True)
class Rules:
    """Compiled rules. Word triggers are looked up in a dict by the line's word n-grams, so a
    line costs a few set operations, one RE2 set search, and Python's matches of the patterns of
    the rules that search names."""
    rules: tuple[_Rule, ...]
    words: dict[str, tuple[int, ...]]      # phrase (space-joined tokens) -> indices of rules
    last_words: dict[str, tuple[int, ...]]  # a line's last word -> indices of rules
    phrase_sizes: tuple[int, ...]
    first_tokens: frozenset[str]           # first words of all phrases: a cheap pre-test
    multi_first: frozenset[str]            # first words of the phrases of two words or more
    top_words: int                         # the largest word limit of any rule
    screen: _Screen                        # RE2 tests of all patterns: over a batch of lines, and rule by rule on one
    # Verdicts of lines seen before: menus, footers and prompts recur across a site's pages.
    memo: dict[tuple[str, float], tuple[str | None, str | None, str | None]] = field(
        default_factory=dict, compare=False, repr=False)

    def match(self, line: str, tokens: list[str], action: str, scale: float = 1.0) -> str | None:
        """Name of the first rule (file order) of `action` that hits the line, else None.

        `tokens` are the line's casefolded word tokens; `scale` stretches every rule's word limit
        (a weaker, wider test used only to locate the main text)."""
        for i in self._hits(line, tokens, len(tokens) / scale):
            if self.rules[i].action == action:
                return self.rules[i].name
        return None

    def sure_at(self, name: str) -> int:
        """How many hits of cut rule `name` make it sure on a page (0 = never)."""
        return next((r.sure_at for r in self.rules if r.name == name), 0)

    def in_extracted(self, name: str) -> bool:
        """Is cut rule `name` honoured on extracted text too?"""
        return next((r.in_extracted for r in self.rules if r.name == name), True)

    def box(self, name: str) -> bool:
        """Does cut rule `name`, where it does not end the main text, mark a box of teasers?"""
        return next((r.box for r in self.rules if r.name == name), False)

    def judge(self, line: str, tokens: list[str], scale: float, source: str | None = None,
              patterns: bool = True, size: int | None = None) -> tuple[str | None, str | None, str | None]:
        """(drop rule, drop rule with word limits stretched by `scale`, cut rule) in one pass.

        `tokens` are the casefolded word tokens of `source` (default: `line`), the text `line` was
        taken from (a list item with its marker): the verdict is remembered by source.
        `patterns=False` skips the rules' regular expressions: `screen` found none can match.
        `size`: the words of `source` held against the word limits, when its tokens undercount
        them (a run of Chinese or Japanese characters is one token, but a sentence); it must
        depend on `source` alone, as the verdict is remembered by it. Default: the tokens."""
        key = (source if source is not None else line, scale)
        verdict = self.memo.get(key)
        if verdict is None:
            if len(self.memo) >= _MEMO_LINES:
                self.memo.clear()
            verdict = self.memo[key] = self._judge(line, tokens, scale, patterns, size)
        return verdict

    def remembered(self, source: str, scale: float) -> tuple[str | None, str | None, str | None] | None:
        """The `judge` verdict of `source` at `scale` if it was judged before (and is still remembered)."""
        return self.memo.get((source, scale))

    def _judge(self, line: str, tokens: list[str], scale: float,
               patterns: bool = True, size: int | None = None) -> tuple[str | None, str | None, str | None]:
        n = len(tokens) if size is None else size
        drop = wide = cut = None
        for i in self._hits(line, tokens, n / scale, patterns):
            r = self.rules[i]
            if r.action == "cut":
                if cut is None and n <= r.max_words:
                    cut = r.name
            else:
                wide = wide or r.name
                if drop is None and n <= r.max_words:
                    drop = r.name
        return drop, wide, cut

    def _hits(self, line: str, tokens: list[str], n: float, patterns: bool = True) -> list[int]:
        """Indices (file order) of the rules whose word limit admits n words and that hit the line
        (by its words only when not `patterns`)."""
        if n > self.top_words:
            return []
        hit: set[int] = set()
        if len(tokens) > 1 and (line[-1].isalnum() or line[-1] == ":"):
            hit.update(self.last_words.get(tokens[-1], ()))
        words = self.words
        common = self.first_tokens.intersection(tokens)
        if common:
            for tok in common:
                hit.update(words.get(tok, ()))
            multi = self.multi_first.intersection(common)
            if multi:
                for k, tok in enumerate(tokens):
                    if tok in multi:
                        for size in self.phrase_sizes:
                            if size > 1:
                                hit.update(words.get(" ".join(tokens[k:k + size]), ()))
        if not patterns:
            return sorted(i for i in hit if n <= self.rules[i].max_words)
        # RE2 tells which rules' patterns may hit (a superset); Python's `re` decides those only
        low = line.lower()
        for i, starts in self.screen.candidates(line):
            r = self.rules[i]
            if n > r.max_words:
                continue
            text = low if r.lower else line
            if starts:
                found = r.starts.match(text)
            else:
                found = ((r.ends is not None and r.ends.search(text[-_TAIL:]))
                         or (r.patterns is not None and r.patterns.search(text)))
            if found:
                hit.add(i)
        return sorted(i for i in hit if n <= self.rules[i].max_words)


def _read(path: Path) -> dict:
    data = read_toml(path, "boilerplate rules")
    rules = data.get("rule", {})
    if not isinstance(rules, dict) or not all(isinstance(v, dict) for v in rules.values()):
        raise BuilderError(f"boilerplate: {path}: [rule.<name>] tables expected")
    return rules


def _strings(spec: dict, key: str, name: str, where: str) -> list[str]:
    value = spec.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BuilderError(f"boilerplate: {where}: rule {name}: {key} must be a list of strings")
    return value


def _lowered(pattern: str) -> str:
    """The pattern for lowercased text: literals lowercased (escapes kept: \\S is not \\s), groups
    made non-capturing (a capturing group hides its first literal from the branch skip)."""
    out = []
    for m in _PATTERN_PART.finditer(pattern):
        part = m.group()
        if part == "(":
            part = "(?:"
        elif not part.startswith("(?P"):       # group names keep their case
            part = _ESCAPE.sub(lambda e: e.group(1) or e.group().lower(), part)
        out.append(part)
    return "".join(out)


def _regex(parts: list[str], lower: bool, name: str, where: str) -> re.Pattern | None:
    if not parts:
        return None
    try:
        return re.compile("|".join(f"(?:{_lowered(p) if lower else p})" for p in parts))
    except re.error as e:
        raise BuilderError(f"boilerplate: {where}: rule {name}: bad pattern: {e}") from None


def _flag(spec: dict, key: str, default: bool, name: str, where: str) -> bool:
    value = spec.get(key, default)
    if not isinstance(value, bool):
        raise BuilderError(f"boilerplate: {where}: rule {name}: {key} must be true or false")
    return value


def _compile(rules: dict, where: str) -> Rules:
    known = {"action", "max_words", "words", "last_words", "starts", "ends", "patterns", "case_sensitive", "sure_at",
             "in_extracted", "box", "in_prose"}
    compiled: list[_Rule] = []
    words: dict[str, list[int]] = {}
    last_words: dict[str, list[int]] = {}
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
        sure_at = spec.get("sure_at", 0)
        if not isinstance(sure_at, int) or sure_at < 0:
            raise BuilderError(f"boilerplate: {where}: rule {name}: sure_at must be a non-negative integer")
        in_extracted = _flag(spec, "in_extracted", True, name, where)
        box = _flag(spec, "box", False, name, where)
        in_prose = _flag(spec, "in_prose", False, name, where)
        lower = not _flag(spec, "case_sensitive", False, name, where)
        idx = len(compiled)
        starts = _strings(spec, "starts", name, where)
        compiled.append(_Rule(name, action, max_words, _regex(starts, lower, name, where),
                              _regex([f"(?:{e})$" for e in _strings(spec, "ends", name, where)], lower, name, where),
                              _regex(_strings(spec, "patterns", name, where), lower, name, where), sure_at, in_extracted,
                              lower, box, in_prose))
        for word in _strings(spec, "last_words", name, where):
            toks = tokens(word.casefold())
            if len(toks) != 1:
                raise BuilderError(f"boilerplate: {where}: rule {name}: last word {word!r} must be one word")
            last_words.setdefault(toks[0], []).append(idx)
        for phrase in _strings(spec, "words", name, where):
            toks = tokens(phrase.casefold())
            if not 1 <= len(toks) <= _MAX_PHRASE:
                raise BuilderError(f"boilerplate: {where}: rule {name}: word {phrase!r} must have 1 to {_MAX_PHRASE} words")
            sizes.add(len(toks))
            words.setdefault(" ".join(toks), []).append(idx)
    return Rules(tuple(compiled), {w: tuple(ids) for w, ids in words.items()},
                 {w: tuple(ids) for w, ids in last_words.items()}, tuple(sorted(sizes)),
                 frozenset(w.split()[0] for w in words), frozenset(w.split()[0] for w in words if " " in w),
                 max((r.max_words for r in compiled), default=0), _screen(rules, compiled, where, words, last_words))


def _triggers(triggers: dict[str, list[int]], compiled: list[_Rule]) -> tuple[pa.Array, np.ndarray]:
    """Trigger words as an Arrow set and the largest word limit of each one's rules."""
    keys = sorted(triggers)
    return (pa.array(keys, pa.large_string()),
            np.array([max(compiled[i].max_words for i in triggers[k]) for k in keys], dtype=np.float64))


def _screen(rules: dict, compiled: list[_Rule], where: str, words: dict[str, list[int]],
            last_words: dict[str, list[int]]) -> _Screen:
    """RE2 screens of all patterns (one per case mode) and Arrow sets of the word triggers."""
    # (case-insensitive, case-sensitive) x (starts, ends and patterns): the `starts` go in one
    # alternation behind one anchor, which RE2 tries at the line start only (half the time of
    # one alternation of everything, where any unanchored part makes it try every position)
    parts: tuple[list[str], ...] = ([], [], [], [])
    python = []
    # ... and each rule's `starts`, and its `ends` and `patterns`, as one entry of a set of screens
    # for one line at a time, or unscreened when one of them cannot be screened
    entries, each, unscreened = [], [], []
    for i, (spec, r) in enumerate(zip(rules.values(), compiled)):
        screens: dict[bool, list[str | None]] = {True: [], False: []}
        for kind in ("starts", "ends", "patterns"):
            for p in _strings(spec, kind, r.name, where):
                src = f"(?:{p})$" if kind == "ends" else p
                src = _lowered(src) if r.lower else src
                rx = screen(src, anchors=False)
                screens[kind == "starts"].append(rx)
                if rx is None:
                    python.append((re.compile(src), kind, r.lower))
                else:
                    parts[2 * (not r.lower) + (kind != "starts")].append(f"(?:{rx})")
        for starts, rxs in screens.items():
            if rxs and None in rxs:
                unscreened.append((i, starts))
            elif rxs:
                body = "|".join(f"(?:{rx})" for rx in rxs)
                each.append(("(?i)" if r.lower else "") + (f"^(?:{body})" if starts else body))
                entries.append((i, starts))
    # Case-insensitive patterns run on Python's lower() of a line, RE2's (?i) on the line: the same
    # but for "İ", which lower() makes two characters: such lines are always judged.
    starts = ["^(?:" + "|".join(p) + ")" if p else None for p in parts[0::2]]
    insensitive = "(?i)" + "|".join(parts[1] + [r"\x{130}"]) if parts[0] or parts[1] else None
    by_size = [_triggers({w: ids for w, ids in words.items() if w.count(" ") == k}, compiled)
               for k in range(max((w.count(" ") + 1 for w in words), default=0))]
    firsts = [pa.array(sorted({w.split(" ")[0] for w in phrases.to_pylist()}), pa.large_string())
              for phrases, _ in by_size]
    last, last_limits = _triggers(last_words, compiled)
    return _Screen(tuple(p for p, _ in by_size), tuple(l for _, l in by_size), tuple(firsts), last, last_limits,
                   ("(?i)" + starts[0] if starts[0] else None, starts[1]), (insensitive, "|".join(parts[3]) or None),
                   tuple(python), pattern_set(each) if each else None, tuple(entries), tuple(unscreened))


@lru_cache(maxsize=8)
def load_rules(extra_file: str = "") -> Rules:
    """The built-in rules, with the rules of `extra_file` (if given) replacing same-named ones."""
    rules = dict(_read(BUILTIN))
    if extra_file:
        rules.update(_read(Path(extra_file)))
    return _compile(rules, extra_file or str(BUILTIN))
