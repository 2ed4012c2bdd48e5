"""`builder diff OLD NEW` and CHANGELOG.md: which documents a version added, removed and changed.

Documents are matched by `id`; "changed" means the same id with a different content_hash.
A removed document's reason comes from the new release's audit (e.g. it became a duplicate or
failed a filter); one that is in neither part of the new release was absent from its inputs.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

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


def _kept(release: Path) -> pa.Table:
    shards = sorted((release / "data").glob("train-*.parquet"))
    try:
        return _strings(read_columns(shards, ["id", "content_hash", "site", "lang"]))
    except Exception as e:  # any unreadable shard: pyarrow raises several types
        raise BuilderError(f"cannot read the data of {release}: {e}") from None


def _strings(table: pa.Table) -> pa.Table:
    """Every column as strings (what they are), also when no shard gave them a type."""
    return table.cast(pa.schema([pa.field(name, pa.string()) for name in table.column_names]))


def _audit_reasons(release: Path, ids: list[str]) -> dict[str, str]:
    """The audit reason of each of `ids` found in the release's audit."""
    shards = sorted((release / "audit").glob("removed-*.parquet"))
    try:
        table = _strings(read_columns(shards, ["id", "reason", "duplicate_of"]))
    except Exception as e:
        raise BuilderError(f"cannot read the audit of {release}: {e}") from None
    rows = table.filter(pc.is_in(table["id"], value_set=pa.array(ids, pa.string()))).to_pylist()
    return {r["id"]: r["reason"] + (f" (duplicate of `{r['duplicate_of']}`)" if r["duplicate_of"] else "")
            for r in rows}


def _counts(table: pa.Table, key: str) -> Counter:
    out = Counter()
    for item in pc.value_counts(table[key]).to_pylist():
        out[item["values"] or "unknown"] += item["counts"]
    return out


def _count_changes(old: pa.Table, new: pa.Table, key: str) -> dict[str, tuple[int, int]]:
    a, b = _counts(old, key), _counts(new, key)
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
    """Diff two folders holding data/ and audit/ (the new one may still lack its manifest).

    Works on Arrow columns (id, content_hash, site, lang): a few dozen bytes a document."""
    before, after = _kept(old), _kept(new)
    in_old = pc.is_in(after["id"], value_set=before["id"])
    old_hash = pc.take(before["content_hash"], pc.index_in(after["id"], value_set=before["id"]))
    changed = pc.fill_null(pc.not_equal(after["content_hash"], old_hash), False)
    gone = before["id"].filter(pc.invert(pc.is_in(before["id"], value_set=after["id"]))).to_pylist()
    reasons = _audit_reasons(new, gone)
    return ReleaseDiff(
        old_version=old_version, new_version=new_version,
        added=after["id"].filter(pc.invert(in_old)).to_pylist(),
        removed=[(i, reasons.get(i, NOT_IN_INPUTS)) for i in gone],
        changed=after["id"].filter(changed).to_pylist(),
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
