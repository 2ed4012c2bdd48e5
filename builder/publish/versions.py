"""Semantic versions of releases: parsing, finding the latest, and the automatic bump.

A release folder is `<output>/<name>/<X.Y.Z>/` holding a `manifest.json`; anything else in
`<output>/<name>/` (temp folders of a running build, stray files) is ignored.
"""
from __future__ import annotations

import re
from pathlib import Path

from builder.errors import BuilderError

_SEMVER = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")

Version = tuple[int, int, int]


def is_version(text: object) -> bool:
    """Whether `text` is a version string parse_version takes ("1.2.3" or "v1.2.3")."""
    return isinstance(text, str) and _SEMVER.match(text.strip()) is not None


def parse_version(text: str) -> Version:
    """(1, 2, 3) for "1.2.3" or "v1.2.3"; BuilderError for anything else."""
    m = _SEMVER.match(text.strip())
    if not m:
        raise BuilderError(f"not a semantic version (X.Y.Z): {text!r}")
    return int(m[1]), int(m[2]), int(m[3])


def format_version(v: Version) -> str:
    return f"{v[0]}.{v[1]}.{v[2]}"


def bump(v: Version, kind: str) -> Version:
    """kind: "major" (documents removed or changed), "minor" (only added), "patch" (nothing)."""
    if kind == "major":
        return v[0] + 1, 0, 0
    if kind == "minor":
        return v[0], v[1] + 1, 0
    return v[0], v[1], v[2] + 1


def is_release(path: Path) -> bool:
    return path.is_dir() and (path / "manifest.json").is_file()


def existing_versions(root: Path) -> list[Version]:
    """Published versions under `<output>/<name>/`, oldest first."""
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        if _SEMVER.match(child.name) and not child.name.startswith("v") and is_release(child):
            found.append(parse_version(child.name))
    return sorted(found)


def check_unpublished(root: Path, version: str) -> None:
    """BuilderError unless `version` is a semantic version not yet published under `root`."""
    target = root / format_version(parse_version(version))
    if target.exists():
        raise BuilderError(f"release {target} exists; a published version is never overwritten")


def locate_previous(root: Path, previous: Path | str) -> Path:
    """The release folder meant by --previous: a path to a release, or a version under `root`."""
    path = Path(previous)
    if not path.exists() and _SEMVER.match(str(previous)):
        path = root / format_version(parse_version(str(previous)))
    if not is_release(path):
        raise BuilderError(f"--previous {previous}: not a release folder (no manifest.json)")
    # Its kept articles, clusters and signatures carry over into the new release.
    from builder.publish.manifest import read_manifest, require_intact
    require_intact(path, read_manifest(path), "not used as --previous")
    _require_columns(path, previous)
    return path


def _require_columns(release: Path, previous: Path | str) -> None:
    """BuilderError unless every data shard of `release` has the columns a build carries over: a
    shard rewritten without one (its manifest updated to match) would fail the build half-way."""
    import pyarrow.parquet as pq

    from builder.article import DATA_SCHEMA
    for shard in sorted((release / "data").glob("*.parquet")):
        try:
            schema = pq.read_schema(shard)
        except Exception as e:  # a footer pyarrow cannot parse: several exception types
            raise BuilderError(f"--previous {previous}: unreadable data shard {shard.name} ({type(e).__name__})") from None
        wrong = [f"{f.name} ({schema.field(f.name).type if f.name in schema.names else 'missing'}, not {f.type})"
                 for f in DATA_SCHEMA if f.name not in schema.names or not schema.field(f.name).type.equals(f.type)]
        if wrong:
            raise BuilderError(f"--previous {previous}: data shard {shard.name} has other columns than a release: "
                               + ", ".join(wrong))


def pick_previous(root: Path, previous: Path | str | None, version: str | None) -> tuple[Path | None, bool]:
    """The release to compare with, and whether it was found automatically (the latest under
    `root`, below the requested version if one is given)."""
    if previous is not None:
        return locate_previous(root, previous), False
    ceiling = parse_version(version) if version else None
    older = [v for v in existing_versions(root) if ceiling is None or v < ceiling]
    return (root / format_version(older[-1]), True) if older else (None, False)


def resolve_version(version: str | None, previous: str | None, change: str | None, default: str) -> str:
    """The version to publish: the explicit one (which must be newer than the previous), else the
    previous bumped by `change` ("major", "minor", "patch"), else the config's default."""
    if version:
        v = parse_version(version)
        if previous and v <= parse_version(previous):
            raise BuilderError(f"--version {format_version(v)} is not newer than the previous release {previous}")
        return format_version(v)
    if previous:
        return format_version(bump(parse_version(previous), change or "patch"))
    return format_version(parse_version(default))
