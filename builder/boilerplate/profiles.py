"""Optional explicit site profiles: `configs/sites/*.toml`, one per site, used only for that site.

A profile names its site and may give, all as regular expressions tested on whole lines:
    site      = "example.org"        # matched case-insensitively against Article.site
    cut_from  = ['^Related stories$']   # this line and everything after it is dropped
    cut_until = ['^Skip to content$']   # everything up to and including this line is dropped
    drop      = ['^Advertisement$']     # these lines are dropped
    title     = '^Headline: (?P<title>.+)$'  # the first matching line gives the title (line dropped)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from builder.errors import BuilderError
from builder.tomlfile import read_toml

_KEYS = {"site", "cut_from", "cut_until", "drop", "title"}


@dataclass(frozen=True)
class SiteProfile:
    site: str
    cut_from: tuple[re.Pattern, ...] = ()
    cut_until: tuple[re.Pattern, ...] = ()
    drop: tuple[re.Pattern, ...] = ()
    title: re.Pattern | None = None

    def apply(self, lines: list[str]) -> tuple[list[str | None], str | None]:
        """Verdict per line (None = keep, else "profile:<what>") and the captured title, if any."""
        n = len(lines)
        verdict: list[str | None] = [None] * n
        title = None
        start = 0
        for i, line in enumerate(lines):
            if line and any(p.search(line) for p in self.cut_until):
                start = i + 1
                break
        for i in range(start):
            verdict[i] = "profile:cut_until"
        for i in range(start, n):
            line = lines[i]
            if not line:
                continue
            if any(p.search(line) for p in self.cut_from):
                for k in range(i, n):
                    verdict[k] = "profile:cut_from"
                break
            if title is None and self.title is not None:
                m = self.title.search(line)
                if m:
                    title = (m.groupdict().get("title") or m.group(0)).strip()
                    verdict[i] = "profile:title"
                    continue
            if any(p.search(line) for p in self.drop):
                verdict[i] = "profile:drop"
        return verdict, title


def _patterns(value, key: str, where: Path) -> tuple[re.Pattern, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BuilderError(f"site profile {where}: {key} must be a list of regular expressions")
    try:
        return tuple(re.compile(v) for v in value)
    except re.error as e:
        raise BuilderError(f"site profile {where}: {key}: bad regular expression: {e}") from None


def parse_profile(data: dict, where: Path) -> SiteProfile:
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise BuilderError(f"site profile {where}: unknown key {unknown[0]}")
    site = data.get("site")
    if not isinstance(site, str) or not site:
        raise BuilderError(f"site profile {where}: `site` must be a non-empty string")
    title = _patterns(data["title"], "title", where)[0] if "title" in data else None
    return SiteProfile(site.casefold(), _patterns(data.get("cut_from", []), "cut_from", where),
                       _patterns(data.get("cut_until", []), "cut_until", where),
                       _patterns(data.get("drop", []), "drop", where), title)


@lru_cache(maxsize=8)
def load_profiles(sites_dir: str) -> dict[str, SiteProfile]:
    """All profiles in `sites_dir` by (casefolded) site; an absent folder means no profiles."""
    folder = Path(sites_dir)
    if not sites_dir or not folder.is_dir():
        return {}
    out: dict[str, SiteProfile] = {}
    for path in sorted(folder.glob("*.toml")):
        data = read_toml(path, "site profile")
        prof = parse_profile(data, path)
        if prof.site in out:
            raise BuilderError(f"site profile {path}: site {prof.site} already has a profile")
        out[prof.site] = prof
    return out
