"""`builder diff OLD NEW` and CHANGELOG.md: which documents a version added, removed and changed.

Documents are matched by `id`; "changed" means the same id with a different content_hash.
A removed document's reason comes from the new release's audit (e.g. it became a duplicate or
failed a filter); one that is in neither part of the new release was absent from its inputs.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from builder.errors import BuilderError
from builder.publish.manifest import read_manifest
from builder.publish.parquet import read_columns

NOT_IN_INPUTS = "not in inputs"


@dataclass
class ReleaseDiff:
    old_version: str
    new_version: str
    added: list[str] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)   # (id, reason)
    changed: list[str] = field(default_factory=list)
    sites: dict[str, tuple[int, int]] = field(default_factory=dict)  # site -> (old, new) kept rows, only changes
    langs: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """The semantic-version bump this diff calls for."""
        if self.removed or self.changed:
            return "major"
        return "minor" if self.added else "patch"

    def summary(self) -> str:
        return (f"{self.old_version} -> {self.new_version}: {len(self.added)} added, "
                f"{len(self.removed)} removed, {len(self.changed)} changed ({self.kind})")

    def to_dict(self) -> dict:
        return {
            "old_version": self.old_version, "new_version": self.new_version, "kind": self.kind,
            "added": self.added, "removed": [{"id": i, "reason": r} for i, r in self.removed],
            "changed": self.changed,
            "sites": {k: {"old": o, "new": n} for k, (o, n) in self.sites.items()},
            "langs": {k: {"old": o, "new": n} for k, (o, n) in self.langs.items()},
        }

    def to_markdown(self, heading: str = "##") -> str:
        out = [f"{heading} {self.new_version}", "",
               f"Compared with {self.old_version}: {len(self.added)} added, {len(self.removed)} removed, "
               f"{len(self.changed)} changed documents ({self.kind} version change).", ""]
        if self.added:
            out += ["### Added", ""] + [f"- `{i}`" for i in self.added] + [""]
        if self.removed:
            out += ["### Removed", ""] + [f"- `{i}`: {r}" for i, r in self.removed] + [""]
        if self.changed:
            out += ["### Changed (same id, new content)", ""] + [f"- `{i}`" for i in self.changed] + [""]
        for title, table in (("site", self.sites), ("language", self.langs)):
            if table:
                out += [f"### Documents by {title}", "", f"| {title} | old | new | change |", "|---|---:|---:|---:|"]
                out += [f"| {k} | {o} | {n} | {n - o:+d} |" for k, (o, n) in table.items()] + [""]
        return "\n".join(out)


def _kept(release: Path) -> list[dict]:
    shards = sorted((release / "data").glob("train-*.parquet"))
    try:
        return read_columns(shards, ["id", "content_hash", "site", "lang"]).to_pylist()
    except Exception as e:  # any unreadable shard: pyarrow raises several types
        raise BuilderError(f"cannot read the data of {release}: {e}") from None


def _audit_reasons(release: Path) -> dict[str, str]:
    shards = sorted((release / "audit").glob("removed-*.parquet"))
    try:
        rows = read_columns(shards, ["id", "reason", "duplicate_of"]).to_pylist()
    except Exception as e:
        raise BuilderError(f"cannot read the audit of {release}: {e}") from None
    return {r["id"]: r["reason"] + (f" (duplicate of `{r['duplicate_of']}`)" if r["duplicate_of"] else "")
            for r in rows}


def _count_changes(old: list[dict], new: list[dict], key: str) -> dict[str, tuple[int, int]]:
    a, b = Counter(r[key] or "unknown" for r in old), Counter(r[key] or "unknown" for r in new)
    return {k: (a[k], b[k]) for k in sorted(set(a) | set(b)) if a[k] != b[k]}


def diff_releases(old: Path, new: Path) -> ReleaseDiff:
    old, new = Path(old), Path(new)
    old_version, new_version = _version_of_intact(old), _version_of_intact(new)
    return diff_data(old, new, old_version, new_version)


def _version_of_intact(release: Path) -> str:
    """The version of a release whose Parquet shards are all there: a lost shard would otherwise
    show up as documents removed."""
    manifest = read_manifest(release)
    for entry in manifest["files"]:
        path = entry.get("path", "") if isinstance(entry, dict) else ""
        if path.endswith(".parquet") and path.startswith(("data/", "audit/")) and not (release / path).is_file():
            raise BuilderError(f"{release} is damaged: {path} is missing (see `builder check {release}`)")
    return manifest["version"]


def diff_data(old: Path, new: Path, old_version: str, new_version: str) -> ReleaseDiff:
    """Diff two folders holding data/ and audit/ (the new one may still lack its manifest)."""
    before, after = _kept(old), _kept(new)
    old_hash = {r["id"]: r["content_hash"] for r in before}
    new_hash = {r["id"]: r["content_hash"] for r in after}
    reasons = _audit_reasons(new)
    return ReleaseDiff(
        old_version=old_version, new_version=new_version,
        added=[r["id"] for r in after if r["id"] not in old_hash],
        removed=[(r["id"], reasons.get(r["id"], NOT_IN_INPUTS)) for r in before if r["id"] not in new_hash],
        changed=[r["id"] for r in after if r["id"] in old_hash and old_hash[r["id"]] != r["content_hash"]],
        sites=_count_changes(before, after, "site"),
        langs=_count_changes(before, after, "lang"),
    )


def changelog(diff: ReleaseDiff | None, *, version: str, kept: int, note: str | None,
              previous_changelog: str | None) -> str:
    """CHANGELOG.md: this version's section on top of the previous release's sections."""
    if diff is None:
        section = f"## {version}\n\nFirst version: {kept} documents.\n"
    else:
        section = diff.to_markdown() + (f"\n_{note}_\n" if note else "")
    older = ""
    if previous_changelog:
        older = previous_changelog.split("\n", 1)[1].strip() if previous_changelog.startswith("# ") else previous_changelog.strip()
    return "# Changelog\n\n" + section.strip() + "\n" + (f"\n{older}\n" if older else "")
