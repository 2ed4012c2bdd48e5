"""manifest.json: what a release is made of, so anyone can verify it byte by byte.

Determinism choice: the manifest holds no wall-clock time, so two builds of the same inputs give
the same manifest. `built_at` appears only when SOURCE_DATE_EPOCH is set (the reproducible-builds
convention, a time the caller fixes). The real build time and timings go to `build-info.json`,
which is the one file of a release outside the manifest and outside the determinism promise.
"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import builder
from builder.config import Config
from builder.errors import BuilderError
from builder.filenames import printable, printable_parts
from builder.publish.versions import is_version

MANIFEST = "manifest.json"
BUILD_INFO = "build-info.json"
FORMAT = 1


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def dump_json(data, path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def _input_files(root: Path) -> list[tuple[str, Path]]:
    # named as ingest names them (`origin`): a file name that is not UTF-8 gets `\xNN` escapes
    if root.is_file():
        return [(printable(root.name), root)]
    if root.is_dir():
        prefix = printable(root.resolve().name)
        return [("/".join((prefix, *printable_parts(root, p))), p) for p in root.rglob("*") if p.is_file()]
    raise BuilderError(f"input not found: {root}")


def input_fingerprint(paths: list[Path]) -> str:
    """sha256 over (relative path, size, sha256) of every input file, sorted: where the inputs
    live on disk does not matter, their names and bytes do."""
    entries = sorted(
        (rel, p.stat().st_size, sha256_file(p)) for root in paths for rel, p in _input_files(Path(root)))
    h = hashlib.sha256()
    for rel, size, digest in entries:
        h.update(f"{rel}\0{size}\0{digest}\n".encode("utf-8"))
    return h.hexdigest()


def file_entries(release: Path, skip: set[str]) -> list[dict]:
    """Every file of the release (relative posix path, sha256, bytes, and rows for Parquet)."""
    entries = []
    for p in sorted(release.rglob("*")):
        rel = p.relative_to(release).as_posix()
        if not p.is_file() or rel in skip:
            continue
        entry = {"path": rel, "sha256": sha256_file(p), "bytes": p.stat().st_size}
        if p.suffix == ".parquet":
            entry["rows"] = pq.ParquetFile(p).metadata.num_rows
        entries.append(entry)
    return entries


def build_manifest(release: Path, *, name: str, version: str, previous: str | None, cfg: Config,
                   input_fp: str, article_counts: dict, num_bytes: int, dedup=None) -> dict:
    files = file_entries(release, skip={MANIFEST, BUILD_INFO})
    train_rows = sum(f["rows"] for f in files if f["path"].startswith("data/train-"))
    manifest = {
        "format": FORMAT,
        "name": name,
        "version": version,
        "previous": previous,
        "builder_version": builder.__version__,
        # byte-identical output is promised per library version too, so record the writers
        "libraries": {"pyarrow": pa.__version__, "matplotlib": metadata.version("matplotlib")},
        "config_hash": cfg.hash(),
        "config": cfg.to_dict(invocation=False),
        "input_fingerprint": input_fp,
        "counts": article_counts,
        "splits": {"train": {"rows": train_rows, "num_bytes": num_bytes}},
        "files": files,
    }
    if dedup is not None:
        manifest["dedup"] = {k: getattr(dedup, k, None) for k in ("threshold", "bands", "rows")}
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        manifest["built_at"] = datetime.fromtimestamp(int(epoch), timezone.utc).isoformat()
    return manifest


def write_build_info(release: Path, stats: dict, dedup=None) -> None:
    """The build's wall-clock time, the pipeline's stats and the dedup report: useful, but not
    reproducible, so kept out of the manifest, the card and the data."""
    info = {"built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "stats": stats,
            "dedup": dedup.to_dict() if dedup is not None else None}
    release.joinpath(BUILD_INFO).write_text(
        json.dumps(info, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


def read_manifest(release: Path) -> dict:
    """The manifest of a release folder; BuilderError (exit 2) when it is not a usable release."""
    path = Path(release) / MANIFEST
    if not Path(release).is_dir():
        raise BuilderError(f"not a release folder: {release}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BuilderError(f"not a release (no {MANIFEST}): {release}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BuilderError(f"unreadable {MANIFEST} in {release}: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list) or "version" not in data:
        raise BuilderError(f"{MANIFEST} in {release} lacks version or files")
    if not is_version(data["version"]):
        raise BuilderError(f"{MANIFEST} in {release}: version {data['version']!r} is not a semantic version (X.Y.Z)")
    return data


def mismatches(release: Path, manifest: dict) -> list[str]:
    """What in `release` differs from its manifest: missing files, other bytes or row counts, and
    files the manifest does not list (build-info.json aside). Empty for an intact release."""
    bad, listed = [], set()
    for entry in manifest["files"]:
        try:
            rel = entry["path"]
            listed.add(rel)
            path = release / rel
            if not path.is_file():
                bad.append(f"{rel}: missing")
            elif path.stat().st_size != entry["bytes"] or sha256_file(path) != entry["sha256"]:
                bad.append(f"{rel}: sha256 or size differs")
            elif "rows" in entry and pq.ParquetFile(path).metadata.num_rows != entry["rows"]:
                bad.append(f"{rel}: row count differs")
        except (KeyError, TypeError):
            bad.append(f"malformed manifest entry {entry!r}")
        except Exception as e:  # a Parquet footer pyarrow cannot parse: several exception types
            bad.append(f"{entry.get('path')}: unreadable ({type(e).__name__})")
    unlisted = sorted(p.relative_to(release).as_posix() for p in release.rglob("*")
                      if p.is_file() and p.relative_to(release).as_posix() not in listed | {MANIFEST, BUILD_INFO})
    return bad + [f"{rel}: not in the manifest" for rel in unlisted]


def listed(bad: list[str], first: int) -> str:
    """The first `first` of `mismatches`, then how many more: "a; b (and 3 more)"."""
    more = f" (and {len(bad) - first} more)" if len(bad) > first else ""
    return "; ".join(bad[:first]) + more


def require_intact(release: Path, manifest: dict, refused: str) -> None:
    """BuilderError (exit 2) naming what differs, when `release` differs from its manifest: a file
    changed or added since the build would go on unseen. `refused`: what is not done then."""
    bad = mismatches(release, manifest)
    if bad:
        raise BuilderError(f"{release} differs from its manifest.json, {refused}: {listed(bad, 3)}"
                           " (see `builder check`)")
